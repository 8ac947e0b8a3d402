import Foundation
import Kernels

/// One tensor's entry in a GGUF file's tensor table.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    /// Dimensions in ggml order: `dims[0]` is the contiguous (row) length, so a PyTorch `[out, in]` matrix
    /// is stored as `dims == [in, out]`.
    public let dims: [Int]
    public let type: GGMLType
    /// Offset from the start of the tensor data section (a multiple of the file's alignment).
    public let offset: Int
    /// Bytes the tensor occupies.
    public let byteCount: Int

    /// Total number of values.
    public var elementCount: Int { dims.reduce(1, *) }
    /// Length of one row (`dims[0]`).
    public var rowLength: Int { dims.first ?? 1 }
    /// Number of rows (product of the other dimensions).
    public var rowCount: Int { dims.dropFirst().reduce(1, *) }
}

/// A parsed GGUF file (format versions 1–3, little-endian): metadata, tensor table and tensor data.
///
/// Every count, length and offset in the header is checked against the bytes that remain before anything is
/// allocated for it, so a corrupted or hostile header throws a `GGUFError` naming the field instead of
/// allocating terabytes, reading past the end, or looping.
public final class GGUFFile: Sendable {
    /// Where the file came from (its path, or the name given to `init(bytes:name:)`).
    public let name: String
    /// Format version (1, 2 or 3). Version 1 stored lengths and counts as 32-bit, later versions as 64-bit.
    public let version: Int
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Tensor table in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the tensor data (`general.alignment`, default 32).
    public let alignment: Int
    /// Absolute offset of the tensor data section.
    public let dataOffset: Int

    private let storage: MappedFile
    // Keyed by UTF-8 bytes, not String: String equality is canonical equivalence, and two distinct keys that
    // differ only in Unicode normalisation must stay distinct.
    private let metadataIndex: [[UInt8]: Int]
    private let tensorIndex: [[UInt8]: Int]

    /// Fewest nested array levels we accept; real files use one.
    static let maxArrayDepth = 4
    static let maxDims = 4

    /// Memory-maps and parses the file at `url`.
    public convenience init(url: URL) throws {
        let path = url.path
        let storage: MappedFile
        do {
            storage = try MappedFile(path: path)
        } catch {
            switch error {
            case .open: throw GGUFError(file: path, field: "file", reason: "cannot open: \(error.reason)")
            case .stat: throw GGUFError(file: path, field: "file", reason: "cannot stat: \(error.reason)")
            case .notRegularFile: throw GGUFError(file: path, field: "file", reason: error.reason)
            case .map: throw GGUFError(file: path, field: "file", reason: "mmap failed: \(error.reason)")
            }
        }
        try self.init(storage: storage, name: path)
    }

    /// Parses an in-memory copy of a GGUF file (the bytes are copied once).
    public convenience init(bytes: [UInt8], name: String = "<memory>") throws {
        try self.init(storage: MappedFile(copying: bytes), name: name)
    }

    private init(storage: MappedFile, name: String) throws {
        self.storage = storage
        self.name = name
        var r = GGUFReader(base: storage.base, count: storage.count, file: name)
        let magic = try r.u32("magic")
        guard magic == 0x4655_4747 else {  // "GGUF" read little-endian
            throw GGUFError(file: name, field: "magic", reason: String(format: "not a GGUF file (magic 0x%08x)", magic))
        }
        let rawVersion = try r.u32("version")
        guard (1...3).contains(rawVersion) else {
            let swapped = rawVersion.byteSwapped
            let why = (1...3).contains(swapped) ? "big-endian GGUF is not supported" : "unsupported version \(rawVersion)"
            throw GGUFError(file: name, field: "version", reason: why)
        }
        version = Int(rawVersion)
        r.sizeFieldBytes = version == 1 ? 4 : 8

        let tensorCount = try r.size("tensor_count")
        let kvCount = try r.size("metadata_kv_count")
        // Each metadata pair needs at least a key length, a type tag and one byte of value.
        try r.requireRoom(count: kvCount, each: r.sizeFieldBytes + 4 + 1, field: "metadata_kv_count")

        var metadata: [(key: String, value: GGUFValue)] = []
        var metadataIndex: [[UInt8]: Int] = [:]
        metadata.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let key = try r.string("metadata[\(i)].key")
            let typeRaw = try r.u32("metadata '\(key)' type")
            guard let type = GGUFValueType(rawValue: typeRaw) else {
                throw GGUFError(file: name, field: "metadata '\(key)'", reason: "unknown value type \(typeRaw)")
            }
            let value = try r.value(type, field: "metadata '\(key)'", depth: 0)
            let keyBytes = Array(key.utf8)
            guard metadataIndex[keyBytes] == nil else {
                throw GGUFError(file: name, field: "metadata '\(key)'", reason: "duplicate key")
            }
            metadataIndex[keyBytes] = metadata.count
            metadata.append((key, value))
        }

        // Each tensor info needs a name length, ndims, type and offset (and at least one dimension in practice).
        try r.requireRoom(count: tensorCount, each: r.sizeFieldBytes + 4 + 4 + 8, field: "tensor_count")
        struct RawInfo { var name: String; var dims: [Int]; var type: GGMLType; var offset: UInt64 }
        var raw: [RawInfo] = []
        raw.reserveCapacity(tensorCount)
        var tensorIndex: [[UInt8]: Int] = [:]
        for i in 0..<tensorCount {
            let tname = try r.string("tensor[\(i)].name")
            let field = "tensor '\(tname)'"
            let nDims = try r.u32("\(field) n_dims")
            guard nDims >= 1, nDims <= UInt32(GGUFFile.maxDims) else {
                throw GGUFError(file: name, field: field, reason: "n_dims \(nDims) outside 1...\(GGUFFile.maxDims)")
            }
            var dims: [Int] = []
            var elements = 1
            for d in 0..<Int(nDims) {
                let v = try r.u64("\(field) dims[\(d)]")
                guard v >= 1, v <= UInt64(Int.max) else {
                    throw GGUFError(file: name, field: field, reason: "dimension \(d) is \(v)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(v))
                guard !overflow else {
                    throw GGUFError(file: name, field: field, reason: "element count overflows")
                }
                elements = product
                dims.append(Int(v))
            }
            let typeRaw = try r.u32("\(field) type")
            guard let type = GGMLType(rawValue: typeRaw) else {
                throw GGUFError(file: name, field: field, reason: "unsupported ggml type \(typeRaw)")
            }
            let offset = try r.u64("\(field) offset")
            let nameBytes = Array(tname.utf8)
            guard tensorIndex[nameBytes] == nil else {
                throw GGUFError(file: name, field: field, reason: "duplicate tensor name")
            }
            tensorIndex[nameBytes] = raw.count
            raw.append(RawInfo(name: tname, dims: dims, type: type, offset: offset))
        }

        var alignment = 32
        if let i = metadataIndex[Array("general.alignment".utf8)] {
            guard let a = metadata[i].value.intValue, a > 0, a <= 1 << 30, a & (a - 1) == 0 else {
                throw GGUFError(file: name, field: "metadata 'general.alignment'",
                                reason: "must be a power of two, got \(metadata[i].value)")
            }
            alignment = a
        }
        let headerEnd = r.offset
        let dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        // A file with no tensors may end right after its header, without padding.
        if tensorCount > 0, dataOffset > storage.count {
            throw GGUFError(file: name, field: "tensor data", reason: "file ends at \(storage.count), before the data section at \(dataOffset)")
        }
        let dataBytes = max(0, storage.count - dataOffset)

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for t in raw {
            let field = "tensor '\(t.name)'"
            guard t.dims[0] % t.type.blockSize == 0 else {
                throw GGUFError(file: name, field: field, reason: "row length \(t.dims[0]) is not a multiple of the \(t.type) block size \(t.type.blockSize)")
            }
            let elements = t.dims.reduce(1, *)
            guard let bytes = t.type.byteCount(values: elements) else {
                throw GGUFError(file: name, field: field, reason: "byte size overflows")
            }
            guard t.offset % UInt64(alignment) == 0 else {
                throw GGUFError(file: name, field: field, reason: "offset \(t.offset) is not a multiple of the alignment \(alignment)")
            }
            guard t.offset <= UInt64(dataBytes), bytes <= dataBytes - Int(t.offset) else {
                throw GGUFError(file: name, field: field,
                                reason: "data [\(t.offset), +\(bytes)) runs past the end of the file (\(dataBytes) data bytes)")
            }
            tensors.append(GGUFTensorInfo(name: t.name, dims: t.dims, type: t.type, offset: Int(t.offset), byteCount: bytes))
        }

        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.tensors = tensors
        self.tensorIndex = tensorIndex
        self.alignment = alignment
        self.dataOffset = dataOffset
    }

    /// The metadata value for `key`, or nil.
    public subscript(key: String) -> GGUFValue? {
        metadataIndex[Array(key.utf8)].map { metadata[$0].value }
    }

    /// The metadata value for `key`; throws naming the key when it is missing.
    public func require(_ key: String) throws -> GGUFValue {
        guard let v = self[key] else { throw GGUFError(file: name, field: "metadata '\(key)'", reason: "missing") }
        return v
    }

    /// An integer metadata value; throws naming the key when missing or not an integer.
    public func requireInt(_ key: String) throws -> Int {
        guard let v = try require(key).intValue else {
            throw GGUFError(file: name, field: "metadata '\(key)'", reason: "not an integer")
        }
        return v
    }

    /// A float metadata value (integers accepted); throws naming the key when missing or not a number.
    public func requireDouble(_ key: String) throws -> Double {
        guard let v = try require(key).doubleValue else {
            throw GGUFError(file: name, field: "metadata '\(key)'", reason: "not a number")
        }
        return v
    }

    /// The tensor named `name`, or nil.
    public func tensor(named tensorName: String) -> GGUFTensorInfo? {
        tensorIndex[Array(tensorName.utf8)].map { tensors[$0] }
    }

    /// The tensor named `name`; throws naming it when absent.
    public func requireTensor(_ tensorName: String) throws -> GGUFTensorInfo {
        guard let t = tensor(named: tensorName) else {
            throw GGUFError(file: name, field: "tensor '\(tensorName)'", reason: "missing")
        }
        return t
    }

    /// Runs `body` over the raw bytes of `tensor` (valid only inside `body`; the file stays mapped meanwhile).
    public func withRawBytes<R>(of tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = storage.base.map { $0 + dataOffset + tensor.offset }
        return try withExtendedLifetime(storage) {
            try body(UnsafeRawBufferPointer(start: start, count: tensor.byteCount))
        }
    }

    /// The tensor dequantised to floats, row after row (ggml order: `dims[0]` values per row).
    public func dequantize(_ tensor: GGUFTensorInfo) throws -> [Float] {
        let n = tensor.elementCount
        var out = [Float](repeating: 0, count: n)
        try out.withUnsafeMutableBufferPointer { dst in
            try withRawBytes(of: tensor) { src in
                do {
                    try QuantBlockFormats.dequantizeRow(tensor.type, src: src, count: n, dst: dst)
                } catch let e as QuantError {
                    throw GGUFError(file: name, field: "tensor '\(tensor.name)'", reason: e.reason)
                }
            }
        }
        return out
    }

    /// Dequantises the tensor named `name`.
    public func dequantize(named tensorName: String) throws -> [Float] {
        try dequantize(requireTensor(tensorName))
    }
}

/// A bounds-checked little-endian cursor over the header; every read throws when it would pass the end.
struct GGUFReader {
    let base: UnsafeRawPointer?
    let count: Int
    let file: String
    var offset = 0
    /// 4 in GGUF v1 (32-bit lengths and counts), 8 in v2 and v3.
    var sizeFieldBytes = 8

    init(base: UnsafeRawPointer?, count: Int, file: String) {
        self.base = base
        self.count = count
        self.file = file
    }

    var remaining: Int { count - offset }

    func truncated(_ field: String, need: Int) -> GGUFError {
        GGUFError(file: file, field: field, reason: "file truncated: needs \(need) bytes at offset \(offset), \(remaining) left")
    }

    mutating func take<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws -> T {
        let n = MemoryLayout<T>.size
        guard remaining >= n, let base else { throw truncated(field, need: n) }
        let v = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += n
        return T(littleEndian: v)
    }

    mutating func u32(_ field: String) throws -> UInt32 { try take(UInt32.self, field) }
    mutating func u64(_ field: String) throws -> UInt64 { try take(UInt64.self, field) }

    /// A length or count: 32-bit in v1, 64-bit later. Anything beyond the file size is rejected here already.
    mutating func size(_ field: String) throws -> Int {
        let v: UInt64 = sizeFieldBytes == 4 ? UInt64(try u32(field)) : try u64(field)
        guard v <= UInt64(count) else {
            throw GGUFError(file: file, field: field, reason: "value \(v) exceeds the file size \(count)")
        }
        return Int(v)
    }

    /// Throws unless `count` items of at least `each` bytes fit in what is left of the file.
    func requireRoom(count items: Int, each: Int, field: String) throws {
        guard items <= remaining / max(each, 1) else {
            throw GGUFError(file: file, field: field,
                            reason: "\(items) entries of at least \(each) bytes cannot fit in the \(remaining) bytes left")
        }
    }

    /// A length-prefixed UTF-8 string; invalid UTF-8 throws rather than being silently replaced.
    mutating func string(_ field: String) throws -> String {
        let n = try size("\(field) length")
        guard n <= remaining, let base else {
            if n == 0 { return "" }
            throw truncated(field, need: n)
        }
        let buf = UnsafeRawBufferPointer(start: base + offset, count: n)
        guard let s = String(validating: buf.assumingMemoryBound(to: UInt8.self), as: UTF8.self) else {
            throw GGUFError(file: file, field: field, reason: "invalid UTF-8")
        }
        offset += n
        return s
    }

    mutating func value(_ type: GGUFValueType, field: String, depth: Int) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try take(UInt8.self, field))
        case .int8: return .int8(try take(Int8.self, field))
        case .uint16: return .uint16(try take(UInt16.self, field))
        case .int16: return .int16(try take(Int16.self, field))
        case .uint32: return .uint32(try take(UInt32.self, field))
        case .int32: return .int32(try take(Int32.self, field))
        case .uint64: return .uint64(try take(UInt64.self, field))
        case .int64: return .int64(try take(Int64.self, field))
        case .float32: return .float32(Float(bitPattern: try take(UInt32.self, field)))
        case .float64: return .float64(Double(bitPattern: try take(UInt64.self, field)))
        case .bool:
            let b = try take(UInt8.self, field)
            guard b <= 1 else { throw GGUFError(file: file, field: field, reason: "bool byte is \(b)") }
            return .bool(b == 1)
        case .string:
            return .string(try string(field))
        case .array:
            guard depth < GGUFFile.maxArrayDepth else {
                throw GGUFError(file: file, field: field, reason: "arrays nested deeper than \(GGUFFile.maxArrayDepth)")
            }
            let elementRaw = try u32("\(field) array type")
            guard let elementType = GGUFValueType(rawValue: elementRaw) else {
                throw GGUFError(file: file, field: field, reason: "unknown array element type \(elementRaw)")
            }
            let n = try size("\(field) array length")
            try requireRoom(count: n, each: elementType.minimumEncodedSize(sizeFieldBytes: sizeFieldBytes),
                            field: "\(field) array length")
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for i in 0..<n {
                // The element's index is added to the field only on failure: building 49,152 field names for
                // a vocabulary that parses fine would dominate load time.
                do {
                    items.append(try value(elementType, field: field, depth: depth + 1))
                } catch let e as GGUFError where e.field == field {
                    throw GGUFError(file: e.file, field: "\(field)[\(i)]", reason: e.reason)
                }
            }
            return .array(elementType, items)
        }
    }
}
