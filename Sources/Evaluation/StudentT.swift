import Foundation

/// Student's t distribution: the tail probability the paired t-test needs, from the regularized incomplete beta
/// function (P(|T| ≥ t) = I_{ν/(ν+t²)}(ν/2, 1/2) for ν degrees of freedom).
public enum StudentT {
    /// P(|T| ≥ |t|) for T with `degreesOfFreedom` ν > 0: the two-sided p-value of a t statistic.
    public static func twoSidedTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        if t.isNaN { return .nan }
        if t.isInfinite { return 0 }
        return regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
    }

    /// I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and x in [0, 1], to about 1e-14.
    ///
    /// Evaluated by its continued fraction (Lentz's method), which converges fast for x below the distribution's
    /// mean (a + 1) / (a + b + 2); above it the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) moves x below.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "a and b must be positive")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
        // x^a (1 − x)^b / (a B(a, b)), in logarithms so large a and b do not overflow.
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)) / a
        return front * continuedFraction(x, a: a, b: b)
    }

    /// 1 / (1 + d₁ / (1 + d₂ / (1 + …))) with d₂ₘ₊₁ = −(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)) and
    /// d₂ₘ = m (b − m) x / ((a + 2m − 1)(a + 2m)), by the modified Lentz recurrence.
    private static func continuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        // Lentz replaces an exact zero denominator by a tiny number so the recurrence can continue.
        let tiny = 1e-300
        func guarded(_ value: Double) -> Double { abs(value) < tiny ? tiny : value }
        var c = 1.0
        var d = 1 / guarded(1 - (a + b) * x / (a + 1))
        var result = d
        for m in 1...10_000 {
            let m = Double(m)
            let even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guarded(1 + even * d)
            c = guarded(1 + even / c)
            result *= d * c
            let odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guarded(1 + odd * d)
            c = guarded(1 + odd / c)
            let step = d * c
            result *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return result
    }
}
