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
        let xc = x.clamped(lowerBound: V(repeating: -87.0), upperBound: V(repeating: 88.0))
        let n = (xc * V(repeating: 1.442_695_04)).rounded(.toNearestOrEven)
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
        let bits = (SIMD16<Int32>(n, rounding: .toNearestOrEven) &+ 127) &<< 23
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
}
