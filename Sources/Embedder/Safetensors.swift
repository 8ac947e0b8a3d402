import Foundation
import Kernels

/// A `.safetensors` file, memory-mapped and validated once when opened.
///
/// Layout: 8-byte little-endian header length N, N bytes of JSON (`name → {dtype, shape, data_offsets}`,
/// plus an optional `__metadata__` that is ignored), then the data area that `data_offsets` index into.
/// Everything the header claims is checked against the file before any tensor is read, so a damaged or
/// hostile file produces an `EmbedderError` rather than a read outside the mapping.
public final class SafetensorsFile: Sendable {
    /// Element types the format defines. Only the floating-point ones can be read as `[Float]`; the others
    /// are still validated so that files carrying, say, an `I64` `position_ids` buffer open fine.
    public enum DType: String, Sendable, CaseIterable {
        case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
        case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
        case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8", bool = "BOOL"
        case f8e4m3 = "F8_E4M3", f8e5m2 = "F8_E5M2"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .f64, .i64, .u64: return 8
            case .f32, .i32, .u32: return 4
            case .f16, .bf16, .i16, .u16: return 2
            case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
            }
        }
    }

    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Equatable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// Byte range inside the data area (not the file).
        public var dataOffsets: Range<Int>
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// The file this was opened from.
    public let url: URL
    /// Every tensor in the file, by name.
    public let tensors: [String: TensorInfo]

    private let file: MappedFile
    private let dataStart: Int

    /// Maps `url` and validates its header. Throws `EmbedderError` naming the file and the offending field.
    public init(url: URL) throws {
        self.url = url
        let name = url.path
        do {
            file = try MappedFile(path: name)
        } catch {
            switch error {
            case .open: throw EmbedderError.file(name, "cannot open (\(error.reason))")
            case .stat: throw EmbedderError.file(name, "cannot stat (\(error.reason))")
            case .notRegularFile: throw EmbedderError.file(name, "cannot open (\(error.reason))")
            case .map: throw EmbedderError.file(name, "cannot mmap (\(error.reason))")
            }
        }
        guard file.count >= 8, let base = file.base else {
            throw EmbedderError.file(name, "file is \(file.count) bytes, too short for the 8-byte header length")
        }
        let parsed = try SafetensorsFile.parseHeader(base, fileSize: file.count, name: name)
        tensors = parsed.tensors
        dataStart = parsed.dataStart
    }

    /// The tensor's values converted to `Float` (F32 copied, F16/BF16 widened exactly).
    public func floats(_ tensorName: String) throws -> [Float] {
        guard let info = tensors[tensorName] else {
            throw EmbedderError.file(url.path, "no tensor '\(tensorName)'")
        }
        let count = info.elementCount
        // `file.base` is non-nil: init refused files shorter than the header length.
        let source = file.base! + dataStart + info.dataOffsets.lowerBound
        switch info.dtype {
        case .f32:
            // The data area need not be 4-byte aligned (it starts right after the JSON), so copy bytes.
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: source, byteCount: count * 4) }
                initialized = count
            }
        case .f16:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 { Kernels.active.widenHalves(source, into: buffer.baseAddress!, count: count) }
                initialized = count
            }
        case .bf16:
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Kernels.float(fromBFloat16: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                }
                initialized = count
            }
        default:
            throw EmbedderError.file(
                url.path, "tensor '\(tensorName)' has dtype \(info.dtype.rawValue); only F32, F16 and BF16 can be read as floats")
        }
    }

    private static func parseHeader(
        _ base: UnsafeRawPointer, fileSize: Int, name: String
    ) throws -> (tensors: [String: TensorInfo], dataStart: Int) {
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(fileSize - 8) else {
            throw EmbedderError.file(name, "header length \(headerLength) goes beyond the end of the \(fileSize)-byte file")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = fileSize - dataStart
        let json = Data(bytes: base + 8, count: Int(headerLength))
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw EmbedderError.file(name, "header is not valid JSON (\(error.localizedDescription))")
        }
        guard let entries = root as? [String: Any] else {
            throw EmbedderError.file(name, "header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        for (tensorName, value) in entries where tensorName != "__metadata__" {
            func fail(_ message: String) -> EmbedderError {
                EmbedderError.file(name, "tensor '\(tensorName)': \(message)")
            }
            guard let entry = value as? [String: Any] else { throw fail("entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw fail("missing dtype") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw fail("unknown dtype '\(dtypeName)' (expected F32, F16 or BF16)")
            }
            guard let shapeValues = entry["shape"] as? [Any],
                  let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail("shape is not a list of non-negative integers")
            }
            guard let offsetValues = entry["data_offsets"] as? [Any], let offsets = integers(offsetValues),
                  offsets.count == 2 else {
                throw fail("data_offsets is not a pair of integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataSize else {
                throw fail("data_offsets [\(begin), \(end)] outside the \(dataSize)-byte data area")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { throw fail("shape \(shape) is too large") }
                elements = product
            }
            let (expected, overflow) = elements.multipliedReportingOverflow(by: dtype.size)
            guard !overflow, expected == end - begin else {
                throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(overflow ? "too many" : String(expected))")
            }
            tensors[tensorName] = TensorInfo(name: tensorName, dtype: dtype, shape: shape, dataOffsets: begin..<end)
        }
        // Overlapping tensors would alias each other's data: a sign of a corrupt or crafted file.
        let ordered = tensors.values.filter { !$0.dataOffsets.isEmpty }.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where next.dataOffsets.lowerBound < previous.dataOffsets.upperBound {
            throw EmbedderError.file(
                name, "tensor '\(next.name)': data_offsets [\(next.dataOffsets.lowerBound), \(next.dataOffsets.upperBound)] overlap tensor '\(previous.name)' [\(previous.dataOffsets.lowerBound), \(previous.dataOffsets.upperBound)]")
        }
        return (tensors, dataStart)
    }

    /// JSON numbers as `Int`, rejecting fractions and strings. (JSON booleans cannot be told apart reliably:
    /// Foundation bridges 0 and 1 to `Bool` too; a boolean shape is caught by the size check anyway.)
    private static func integers(_ values: [Any]) -> [Int]? {
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber else { return nil }
            let double = number.doubleValue
            guard double == double.rounded(), abs(double) < 9e15 else { return nil }
            result.append(number.intValue)
        }
        return result
    }
}
