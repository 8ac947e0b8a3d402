/// Distance kernels. vecdb stores unit-length vectors, so cosine similarity is the dot product.
///
/// Vectors read straight from LMDB's memory map carry no alignment guarantee (LMDB aligns values to 2 bytes),
/// so the kernels load unaligned.
public enum Distance {
    /// Dot product of two `count`-float vectors at arbitrary addresses, 16 lanes at a time with 4 accumulators.
    @inlinable
    public static func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        let stride = MemoryLayout<SIMD16<Float>>.size
        var i = 0
        while i + 64 <= count {
            let o = i * 4
            s0.addProduct(a.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self),
                          b.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self))
            s1.addProduct(a.loadUnaligned(fromByteOffset: o + stride, as: SIMD16<Float>.self),
                          b.loadUnaligned(fromByteOffset: o + stride, as: SIMD16<Float>.self))
            s2.addProduct(a.loadUnaligned(fromByteOffset: o + 2 * stride, as: SIMD16<Float>.self),
                          b.loadUnaligned(fromByteOffset: o + 2 * stride, as: SIMD16<Float>.self))
            s3.addProduct(a.loadUnaligned(fromByteOffset: o + 3 * stride, as: SIMD16<Float>.self),
                          b.loadUnaligned(fromByteOffset: o + 3 * stride, as: SIMD16<Float>.self))
            i += 64
        }
        while i + 16 <= count {
            s0.addProduct(a.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                          b.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        var sum = ((s0 + s1) + (s2 + s3)).sum()
        while i < count {
            sum += a.loadUnaligned(fromByteOffset: i * 4, as: Float.self) * b.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
            i += 1
        }
        return sum
    }

    /// Dot product of two float arrays of equal length.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "vectors of different lengths")
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in dot(pa.baseAddress!, pb.baseAddress!, count: a.count) } }
    }
}
