import Embedder

/// Writes small GGUF files for the reader tests and the fuzz seeds (v1 uses 32-bit lengths and counts, v2/v3 64-bit).
public struct GGUFTestWriter {
    public var version: UInt32 = 3
    public var bytes: [UInt8] = []

    public init(version: UInt32 = 3) { self.version = version }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func size(_ v: UInt64) { version == 1 ? u32(UInt32(truncatingIfNeeded: v)) : u64(v) }
    public mutating func string(_ s: String) {
        size(UInt64(s.utf8.count))
        bytes.append(contentsOf: s.utf8)
    }

    public mutating func value(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): u8(x)
        case .int8(let x): u8(UInt8(bitPattern: x))
        case .uint16(let x): withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
        case .int16(let x): withUnsafeBytes(of: x.littleEndian) { bytes.append(contentsOf: $0) }
        case .uint32(let x): u32(x)
        case .int32(let x): u32(UInt32(bitPattern: x))
        case .float32(let x): u32(x.bitPattern)
        case .bool(let x): u8(x ? 1 : 0)
        case .string(let s): string(s)
        case .array(let t, let items):
            u32(t.rawValue)
            size(UInt64(items.count))
            for i in items { value(i) }
        case .uint64(let x): u64(x)
        case .int64(let x): u64(UInt64(bitPattern: x))
        case .float64(let x): u64(x.bitPattern)
        }
    }

    public static func type(of v: GGUFValue) -> GGUFValueType {
        switch v {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        }
    }

    public struct Tensor {
        public var name: String
        public var dims: [UInt64]
        public var type: GGMLType
        public var data: [UInt8]

        public init(name: String, dims: [UInt64], type: GGMLType, data: [UInt8]) {
            self.name = name
            self.dims = dims
            self.type = type
            self.data = data
        }
    }

    /// A complete file: header, metadata, tensor table, padding to `alignment`, tensor data (each padded).
    public static func file(version: UInt32 = 3, metadata: [(String, GGUFValue)], tensors: [Tensor], alignment: Int = 32) -> [UInt8] {
        var w = GGUFTestWriter(version: version)
        w.bytes.append(contentsOf: Array("GGUF".utf8))
        w.u32(version)
        w.size(UInt64(tensors.count))
        w.size(UInt64(metadata.count))
        for (k, v) in metadata {
            w.string(k)
            w.u32(type(of: v).rawValue)
            w.value(v)
        }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, o) in zip(tensors, offsets) {
            w.string(t.name)
            w.u32(UInt32(t.dims.count))
            for d in t.dims { w.u64(d) }
            w.u32(t.type.rawValue)
            w.u64(UInt64(o))
        }
        while w.bytes.count % alignment != 0 { w.u8(0) }
        for t in tensors {
            w.bytes.append(contentsOf: t.data)
            while w.bytes.count % alignment != 0 { w.u8(0) }
        }
        return w.bytes
    }
}
