/// The ggml tensor types vecdb can dequantise, with their raw ids as GGUF stores them (`ggml_type`).
///
/// Each type packs `blockSize` values into `blockBytes` bytes; a row's length must be a whole number of blocks.
public enum GGMLType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8
    case q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    /// Values per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: return 1
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0: return 32
        case .q4_K, .q5_K, .q6_K: return 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: return 4
        case .f16, .bf16: return 2
        case .q4_0: return 18      // fp16 d + 16 bytes of nibbles
        case .q4_1: return 20      // fp16 d, fp16 m + 16 bytes of nibbles
        case .q5_0: return 22      // fp16 d + 32-bit high bits + 16 bytes of nibbles
        case .q5_1: return 24      // fp16 d, fp16 m + 32-bit high bits + 16 bytes of nibbles
        case .q8_0: return 34      // fp16 d + 32 int8
        case .q4_K: return 144     // fp16 d, fp16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
        case .q5_K: return 176     // as Q4_K plus 32 bytes of fifth bits
        case .q6_K: return 210     // 128 bytes low nibbles, 64 bytes high 2-bit pairs, 16 int8 scales, fp16 d
        }
    }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q5_0: return "Q5_0"
        case .q5_1: return "Q5_1"
        case .q8_0: return "Q8_0"
        case .q4_K: return "Q4_K"
        case .q5_K: return "Q5_K"
        case .q6_K: return "Q6_K"
        }
    }

    /// Bytes taken by `count` values, or nil when `count` is not a whole number of blocks or overflows.
    public func byteCount(values count: Int) -> Int? {
        guard count >= 0, count % blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}
