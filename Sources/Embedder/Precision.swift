import Kernels

/// The arithmetic an embedding model's linear layers run in. Attention, norms and activations stay float32 at every
/// precision; only the weight matrices and the activations entering them change.
///
/// Vectors made at different precisions are not interchangeable (they differ in the third decimal of their cosines),
/// so a collection records the precision its vectors were made with and refuses another (docs/FORMAT.md).
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// float32 weights and products (OpenBLAS, or vecdb's AVX-512 product): the reference.
    case f32
    /// bfloat16 weights and activations, float32 accumulation (AVX-512 BF16 where the CPU has it).
    case bf16
    /// int8 weights per output channel, int8 activations per row, exact int32 accumulation (AVX-512 VNNI where the
    /// CPU has it).
    case int8

    /// The packed format of the weight matrices, nil for float32.
    public var packedFormat: PackedMatrix.Format? {
        switch self {
        case .f32: return nil
        case .bf16: return .bf16
        case .int8: return .int8
        }
    }

    /// Whether float32 layers run on the packed float32 product rather than OpenBLAS: only where that product has a
    /// SIMD variant (AVX-512); the portable one would be slower than any BLAS.
    static var packsFloat32: Bool { PackedMatrix.Kernel.active(.f32).name != "portable" }

    /// The kernel this precision's products run on in this process: a packed variant ("avx512vnni", "avx512bf16",
    /// "avx512", "portable"), or "openblas".
    public var kernelName: String {
        if let format = packedFormat { return PackedMatrix.Kernel.active(format).name }
        return Precision.packsFloat32 ? PackedMatrix.Kernel.active(.f32).name : "openblas"
    }
}
