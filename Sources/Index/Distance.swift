import Kernels

/// The index's metric. vecdb stores unit-length vectors, so cosine similarity is their dot product, and the index
/// orders by −dot. The kernel itself is `Kernels.dot`, the one the models use too.
public enum Distance {
    /// Dot product of two `count`-float vectors at any 2-byte-aligned addresses (vectors read in place from LMDB's
    /// memory map are aligned no better).
    @inlinable
    public static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        Kernels.active.dot(a, b, count: count)
    }

    /// Dot product of two float arrays of equal length.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float { Kernels.active.dot(a, b) }
}
