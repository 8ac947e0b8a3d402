import Kernels

/// int8 scalar quantisation with one scale per vector: code cᵢ = round(xᵢ / s), s = max|xᵢ| / 127, so every code is in
/// −127…127 and xᵢ ≈ s·cᵢ with an error of at most s/2 per component.
///
/// A scale per vector needs no training pass and no statistics that later inserts could invalidate (Qdrant's
/// quantile-based global range does), and it uses the full code range whatever the vector's length, so the same
/// code serves cosine, dot and Euclidean indexes. Products of two such vectors are exact integer dot products
/// (`Int8Kernel`), scaled once: x·y ≈ sₓ·s_y·Σ cₓᵢ·c_yᵢ.
enum ScalarQuantization {
    /// Writes the int8 record of the `dimensions` floats at `vector` into `record` (`HNSWLayout.quantizedStride`
    /// bytes): codes, zero padding, then scale, sum of codes and squared length.
    static func encode(_ vector: UnsafeRawPointer, dimensions: Int, into record: UnsafeMutableRawPointer) {
        let stride = HNSWLayout.quantizedStride(dimensions: dimensions)
        record.initializeMemory(as: UInt8.self, repeating: 0, count: stride)
        // Loaded unaligned: a vector read in place from the map is only 2-byte aligned.
        func x(_ i: Int) -> Float { vector.loadUnaligned(fromByteOffset: 4 * i, as: Float.self) }
        var largest: Float = 0, squaredLength: Float = 0
        for i in 0..<dimensions {
            largest = max(largest, abs(x(i)))
            squaredLength += x(i) * x(i)
        }
        let scale = largest / 127
        var sum: Int32 = 0
        if largest > 0 {
            let inverse = 127 / largest
            let codes = record.assumingMemoryBound(to: Int8.self)
            for i in 0..<dimensions {
                let c = Int8(max(-127, min(127, (x(i) * inverse).rounded())))
                codes[i] = c
                sum += Int32(c)
            }
        }
        let trailer = record + stride - 16
        trailer.storeBytes(of: scale.bitPattern.littleEndian, as: UInt32.self)
        trailer.storeBytes(of: sum.littleEndian, toByteOffset: 4, as: Int32.self)
        trailer.storeBytes(of: squaredLength.bitPattern.littleEndian, toByteOffset: 8, as: UInt32.self)
    }

    /// The scale, sum of codes and squared length in a record's trailer.
    @inline(__always)
    static func trailer(_ record: UnsafeRawPointer, stride: Int) -> (scale: Float, codeSum: Int32, squaredLength: Float) {
        let t = record + stride - 16
        return (Float(bitPattern: UInt32(littleEndian: t.loadUnaligned(as: UInt32.self))),
                Int32(littleEndian: t.loadUnaligned(fromByteOffset: 4, as: Int32.self)),
                Float(bitPattern: UInt32(littleEndian: t.loadUnaligned(fromByteOffset: 8, as: UInt32.self))))
    }
}

/// A query encoded for the int8 walk, kept in `SearchScratch` and reused: its codes shifted by +128 to unsigned bytes
/// (what VPDPBUSD multiplies), its scale and its squared length.
///
/// Σ (q+128)·c = Σ q·c + 128·Σ c, so with the stored Σ c each product is Σ q·c exactly, and
/// similarity ≈ s_q·s_c·Σ q·c (dot, cosine) or −(‖q‖² + ‖x‖² − 2·s_q·s_c·Σ q·c) (Euclidean, with ‖x‖² stored exactly).
final class EncodedQuery {
    let dimensions: Int
    let codes: UnsafeMutableRawPointer
    var scale: Float = 0
    var squaredLength: Float = 0

    init(dimensions: Int) {
        self.dimensions = dimensions
        codes = .allocate(byteCount: max(dimensions, 1), alignment: 64)
    }

    deinit { codes.deallocate() }

    func encode(_ q: UnsafeRawPointer) {
        let stride = HNSWLayout.quantizedStride(dimensions: dimensions)
        withUnsafeTemporaryAllocation(byteCount: stride, alignment: 64) { record in
            ScalarQuantization.encode(q, dimensions: dimensions, into: record.baseAddress!)
            let signed = record.baseAddress!.assumingMemoryBound(to: Int8.self)
            let shifted = codes.assumingMemoryBound(to: UInt8.self)
            for i in 0..<dimensions { shifted[i] = UInt8(Int16(signed[i]) + 128) }
            let t = ScalarQuantization.trailer(record.baseAddress!, stride: stride)
            scale = t.scale
            squaredLength = t.squaredLength
        }
    }

    /// The walk's distance (−similarity) to the node whose int8 record is at `record`.
    @inline(__always)
    func distance(to record: UnsafeRawPointer, stride: Int, metric: Metric, kernel: Int8Kernel) -> Float {
        let t = ScalarQuantization.trailer(record, stride: stride)
        let integer = Int64(kernel.dot(codes, record, count: dimensions)) - 128 * Int64(t.codeSum)
        let dot = scale * t.scale * Float(integer)
        return metric == .euclid ? squaredLength + t.squaredLength - 2 * dot : -dot
    }
}
