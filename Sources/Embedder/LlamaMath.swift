import Foundation

/// Vectorised elementwise kernels for the Llama forward pass (RMSNorm, SiLU, softmax), on SIMD16<Float> so
/// that `-target-cpu skylake-avx512` turns them into AVX-512.
enum LlamaMath {
    typealias V = SIMD16<Float>

    /// e^x for 16 lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-7 Taylor polynomial (relative error
    /// below 2e-8 on that interval, under float rounding), 2^n built in the exponent bits. Inputs are clamped to
    /// the range where the result is a normal float; below it the result is ~1e-38, not 0, which is harmless
    /// for softmax and SiLU.
    @inline(__always) static func exp(_ x: V) -> V {
        // Masked replacement rather than `clamped(lowerBound:upperBound:)`, which Swift lowers to a per-lane
        // scalar loop (it made SwiGLU 8% of the whole forward pass).
        var xc = x
        xc.replace(with: V(repeating: -87.0), where: x .< V(repeating: -87.0))
        xc.replace(with: V(repeating: 88.0), where: x .> V(repeating: 88.0))
        // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits are then n itself (two's complement
        // offset by 0x4B40_0000). This avoids a float→int SIMD conversion, which Swift lowers to a per-lane
        // checked loop.
        let magic = V(repeating: 12_582_912)
        let shifted = xc * V(repeating: 1.442_695_04) + magic
        let n = shifted - magic
        // ln 2 split in two so that n·ln2hi is exact.
        let r = xc - n * V(repeating: 0.693_145_751_953_125) - n * V(repeating: 1.428_606_765_330_187e-06)
        var p = V(repeating: 1.0 / 5040)
        p = p * r + V(repeating: 1.0 / 720)
        p = p * r + V(repeating: 1.0 / 120)
        p = p * r + V(repeating: 1.0 / 24)
        p = p * r + V(repeating: 1.0 / 6)
        p = p * r + V(repeating: 0.5)
        p = p * r + V(repeating: 1)
        p = p * r + V(repeating: 1)
        let nInt = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let bits = (nInt &+ 127) &<< 23
        return p * unsafeBitCast(bits, to: V.self)
    }

    /// y = x / sqrt(mean(x²) + eps) · w for each of `rows` rows of `dim` values.
    static func rmsNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                        rows: Int, dim: Int, eps: Float) {
        for r in 0..<rows {
            let xr = x + r * dim, yr = y + r * dim
            var acc = V(), i = 0
            while i + 16 <= dim {
                let v = UnsafeRawPointer(xr + i).loadUnaligned(as: V.self)
                acc += v * v
                i += 16
            }
            var ss = acc.sum()
            while i < dim { ss += xr[i] * xr[i]; i += 1 }
            let scale = 1 / (ss / Float(dim) + eps).squareRoot()
            i = 0
            while i + 16 <= dim {
                let v = UnsafeRawPointer(xr + i).loadUnaligned(as: V.self)
                let g = UnsafeRawPointer(w + i).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(yr + i).storeBytes(of: v * scale * g, as: V.self)
                i += 16
            }
            while i < dim { yr[i] = xr[i] * scale * w[i]; i += 1 }
        }
    }

    /// out[i] = silu(gate[i]) · up[i] = gate / (1 + e^-gate) · up.
    static func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let g = UnsafeRawPointer(gate + i).loadUnaligned(as: V.self)
            let u = UnsafeRawPointer(up + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: g / (1 + exp(-g)) * u, as: V.self)
            i += 16
        }
        while i < count {
            let g = gate[i]
            out[i] = g / (1 + Foundation.exp(-g)) * up[i]
            i += 1
        }
    }

    /// In-place softmax of `x[0..<count]`.
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var m = -Float.infinity
        for i in 0..<count { m = max(m, x[i]) }
        var i = 0, accV = V()
        while i + 16 <= count {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: V.self) - m)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: V.self)
            accV += e
            i += 16
        }
        var sum = accV.sum()
        while i < count {
            x[i] = Foundation.exp(x[i] - m)
            sum += x[i]
            i += 1
        }
        let inv = 1 / sum
        for k in 0..<count { x[k] *= inv }
    }

    /// x[i] += y[i].
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            let a = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            let b = UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: a + b, as: V.self)
            i += 16
        }
        while i < count { x[i] += y[i]; i += 1 }
    }

    /// Σ a[i]·b[i].
    @inline(__always) static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = V(), i = 0
        while i + 16 <= count {
            acc += UnsafeRawPointer(a + i).loadUnaligned(as: V.self) * UnsafeRawPointer(b + i).loadUnaligned(as: V.self)
            i += 16
        }
        var sum = acc.sum()
        while i < count { sum += a[i] * b[i]; i += 1 }
        return sum
    }

    /// out[0..<dim] = Σ_j weights[j] · rows[j·rowStride ..< j·rowStride + dim].
    static func weightedSum(weights: UnsafePointer<Float>, count: Int, rows: UnsafePointer<Float>, rowStride: Int,
                            dim: Int, out: UnsafeMutablePointer<Float>) {
        out.update(repeating: 0, count: dim)
        for j in 0..<count {
            let w = weights[j], row = rows + j * rowStride
            var i = 0
            while i + 16 <= dim {
                let acc = UnsafeRawPointer(out + i).loadUnaligned(as: V.self)
                let r = UnsafeRawPointer(row + i).loadUnaligned(as: V.self)
                UnsafeMutableRawPointer(out + i).storeBytes(of: acc + w * r, as: V.self)
                i += 16
            }
            while i < dim { out[i] += w * row[i]; i += 1 }
        }
    }
}
