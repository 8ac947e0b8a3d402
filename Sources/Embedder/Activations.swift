/// Vectorised transcendental functions and the row-wise kernels of the transformer (GELU, LayerNorm,
/// softmax).
///
/// Written with `SIMD16<Float>` because the scalar libm calls are far too slow at this scale: one MiniLM pass
/// over 1,024 short sentences evaluates GELU ~217 million times. Accuracy is verified against Glibc in the
/// tests (exp: relative error ≤ 1e-6; erf: absolute error ≤ 1e-6 on [-6, 6]).
public enum Activations {
    public typealias Vector = SIMD16<Float>
    public static let width = Vector.scalarCount

    /// eˣ for each lane. Inputs are clamped to [-87, 88] (results stay normal floats; below -87 the true value
    /// is < 1.7e-38, which every caller here treats as zero anyway).
    @inline(__always)
    public static func exp(_ x: Vector) -> Vector {
        // Compare-and-select: stdlib's `clamped`/`pointwiseMax` compile to a scalar loop (NaN rules).
        let low = Vector(repeating: -87), high = Vector(repeating: 88)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // n = round(x / ln 2) by the 1.5·2²³ trick: adding it pushes the fraction out of the mantissa, and the
        // low mantissa bits then hold n, ready to become the exponent of 2ⁿ without a float→int conversion.
        let magic = Vector(repeating: 12_582_912)
        let shifted = magic.addingProduct(clamped, Vector(repeating: 1.442_695_04))
        let n = shifted - magic
        // r = x − n·ln 2 in two steps (Cody–Waite) so the reduction itself stays exact to float precision.
        var r = clamped.addingProduct(n, Vector(repeating: -0.693_145_751_953_125))
        r = r.addingProduct(n, Vector(repeating: -1.428_606_765_330_187e-6))
        // Taylor to degree 7 on |r| ≤ ln2/2: truncation error < 1e-8 relative.
        var p = Vector(repeating: 1.0 / 5040)
        p = Vector(repeating: 1.0 / 720).addingProduct(p, r)
        p = Vector(repeating: 1.0 / 120).addingProduct(p, r)
        p = Vector(repeating: 1.0 / 24).addingProduct(p, r)
        p = Vector(repeating: 1.0 / 6).addingProduct(p, r)
        p = Vector(repeating: 0.5).addingProduct(p, r)
        p = Vector(repeating: 1).addingProduct(p, r)
        p = Vector(repeating: 1).addingProduct(p, r)
        let bits = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &- 0x4B40_0000 &+ 127
        let scale = unsafeBitCast(bits &<< 23, to: Vector.self)
        return p * scale
    }

    /// erf for each lane: Abramowitz & Stegun 7.1.26 (absolute error ≤ 1.5e-7 in exact arithmetic, ≤ 5e-7
    /// in float), erf(x) = 1 − (a₁t + … + a₅t⁵)·e^(−x²), t = 1/(1 + p|x|), sign restored afterwards.
    @inline(__always)
    public static func erf(_ x: Vector) -> Vector {
        // |x| by clearing the sign bit (SIMD vectors have no `abs`).
        let a = unsafeBitCast(unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: Vector.self)
        let t = 1 / Vector(repeating: 1).addingProduct(a, Vector(repeating: 0.327_591_1))
        var poly = Vector(repeating: 1.061_405_429)
        poly = Vector(repeating: -1.453_152_027).addingProduct(poly, t)
        poly = Vector(repeating: 1.421_413_741).addingProduct(poly, t)
        poly = Vector(repeating: -0.284_496_736).addingProduct(poly, t)
        poly = Vector(repeating: 0.254_829_592).addingProduct(poly, t)
        poly = poly * t
        let y = Vector(repeating: 1) - poly * Activations.exp(Vector(repeating: 0) - a * a)
        return y.replacing(with: -y, where: x .< 0)
    }

    /// Exact (erf) GELU of `count` contiguous values, in place: ½·v·(1 + erf(v/√2)) — BERT's `gelu`, not the tanh
    /// approximation.
    @inline(__always)
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values)
        var i = 0
        while i + width <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            let g = Vector(repeating: 0.5) * v * (Vector(repeating: 1) + erf(v * Vector(repeating: 0.707_106_781_186_547_5)))
            raw.storeBytes(of: g, toByteOffset: i * 4, as: Vector.self)
            i += width
        }
        while i < count {
            var v = Vector(repeating: 0)
            v[0] = values[i]
            let g = Vector(repeating: 0.5) * v * (Vector(repeating: 1) + erf(v * Vector(repeating: 0.707_106_781_186_547_5)))
            values[i] = g[0]
            i += 1
        }
    }

    /// Post-norm residual step: `row = LayerNorm(row + residual + bias)` (each of `residual` and `bias` optional),
    /// with biased variance as in PyTorch.
    @inline(__always)
    public static func layerNorm(
        _ row: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, count: Int, epsilon: Float
    ) {
        let raw = UnsafeMutableRawPointer(row)
        var sum = Vector(repeating: 0)
        var tailSum: Float = 0
        var i = 0
        while i + width <= count {
            var v = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            if let residual { v += UnsafeRawPointer(residual).loadUnaligned(fromByteOffset: i * 4, as: Vector.self) }
            if let bias { v += UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: i * 4, as: Vector.self) }
            raw.storeBytes(of: v, toByteOffset: i * 4, as: Vector.self)
            sum += v
            i += width
        }
        while i < count {
            row[i] += (residual?[i] ?? 0) + (bias?[i] ?? 0)
            tailSum += row[i]
            i += 1
        }
        let mean = (sum.sum() + tailSum) / Float(count)
        // Two passes (mean first, then squared deviations) avoid the cancellation of E[x²] − E[x]².
        var squares = Vector(repeating: 0)
        var tailSquares: Float = 0
        i = 0
        while i + width <= count {
            let d = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self) - Vector(repeating: mean)
            squares = squares.addingProduct(d, d)
            i += width
        }
        while i < count {
            tailSquares += (row[i] - mean) * (row[i] - mean)
            i += 1
        }
        let inverse = 1 / (((squares.sum() + tailSquares) / Float(count)) + epsilon).squareRoot()
        i = 0
        while i + width <= count {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            let g = UnsafeRawPointer(gamma).loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            let b = UnsafeRawPointer(beta).loadUnaligned(fromByteOffset: i * 4, as: Vector.self)
            raw.storeBytes(of: b.addingProduct((v - Vector(repeating: mean)) * Vector(repeating: inverse), g),
                           toByteOffset: i * 4, as: Vector.self)
            i += width
        }
        while i < count {
            row[i] = (row[i] - mean) * inverse * gamma[i] + beta[i]
            i += 1
        }
    }

    /// Softmax of a row, in place (max-subtracted, so large scores cannot overflow).
    @inline(__always)
    public static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count { maximum = max(maximum, row[i]) }
        let raw = UnsafeMutableRawPointer(row)
        var sum = Vector(repeating: 0)
        var i = 0
        while i + width <= count {
            let e = exp(raw.loadUnaligned(fromByteOffset: i * 4, as: Vector.self) - Vector(repeating: maximum))
            raw.storeBytes(of: e, toByteOffset: i * 4, as: Vector.self)
            sum += e
            i += width
        }
        var total = sum.sum()
        if i < count {
            var v = Vector(repeating: -100)
            for k in i..<count { v[k - i] = row[k] - maximum }
            let e = exp(v)
            for k in i..<count {
                row[k] = e[k - i]
                total += e[k - i]
            }
        }
        let inverse = 1 / total
        for k in 0..<count { row[k] *= inverse }
    }

    /// Array conveniences (used by tests and by anything outside the hot loop).
    public static func exp(_ values: [Float]) -> [Float] { map(values, exp) }
    public static func erf(_ values: [Float]) -> [Float] { map(values, erf) }

    private static func map(_ values: [Float], _ f: (Vector) -> Vector) -> [Float] {
        var result = [Float](repeating: 0, count: values.count)
        var i = 0
        while i < values.count {
            var v = Vector(repeating: 0)
            let n = min(width, values.count - i)
            for k in 0..<n { v[k] = values[i + k] }
            let out = f(v)
            for k in 0..<n { result[i + k] = out[k] }
            i += width
        }
        return result
    }
}
