import Foundation

/// Paired significance tests on two systems' per-query scores over the same queries, written from their
/// definitions (checked against scipy: Tests/VecDBTests/Fixtures/eval/significance_reference.json).
///
/// Every function takes the per-query differences d = b − a. The random ones draw from the caller's seeded
/// generator, so a report's p-values and intervals are the same on every run.
public enum PairedSignificance {
    /// A two-sided interval for the mean difference.
    public struct Interval: Sendable, Equatable {
        public var low: Double
        public var high: Double

        public init(low: Double, high: Double) {
            self.low = low
            self.high = high
        }
    }

    /// Two-sided p-value of Fisher's paired randomization test: under the null hypothesis the two systems are
    /// exchangeable on each query, so each difference's sign is a coin flip. The p-value is the share of
    /// `permutations` random sign assignments whose |mean| is at least the observed |mean|, counting the observed
    /// assignment as one of them ((hits + 1) / (permutations + 1)), so it is never 0 and is a valid p-value.
    public static func randomizationTest<G: RandomNumberGenerator>(
        _ differences: [Double], permutations: Int = 10_000, using generator: inout G
    ) -> Double {
        precondition(permutations > 0, "at least one permutation")
        let observed = abs(differences.reduce(0, +))
        // Sums of the same numbers in another order differ in the last bits; a flip that only reorders them must
        // still count as "at least as extreme".
        let slack = 1e-12 * differences.reduce(0) { $0 + abs($1) }
        var hits = 0
        for _ in 0..<permutations {
            var sum = 0.0
            var bits: UInt64 = 0
            for (index, difference) in differences.enumerated() {
                if index % 64 == 0 { bits = generator.next() }
                sum += bits & 1 == 0 ? difference : -difference
                bits >>= 1
            }
            if abs(sum) >= observed - slack { hits += 1 }
        }
        return Double(hits + 1) / Double(permutations + 1)
    }

    /// Two-sided p-value of the paired t-test (t = mean / (s / √n), n − 1 degrees of freedom), or nil when it is
    /// undefined: fewer than two queries, or every difference 0. Equal nonzero differences give t = ∞ and p 0.
    public static func pairedTTest(_ differences: [Double]) -> Double? {
        let n = Double(differences.count)
        guard differences.count >= 2 else { return nil }
        let mean = differences.reduce(0, +) / n
        let variance = differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        if variance == 0 { return mean == 0 ? nil : 0 }
        return StudentT.twoSidedTail(mean / (variance / n).squareRoot(), degreesOfFreedom: n - 1)
    }

    /// Percentile bootstrap confidence interval of the mean difference: `resamples` means of n differences drawn
    /// with replacement; the bounds are their (1 − level)/2 and (1 + level)/2 quantiles, interpolated linearly
    /// between order statistics (numpy's default percentile).
    public static func bootstrapInterval<G: RandomNumberGenerator>(
        _ differences: [Double], level: Double = 0.95, resamples: Int = 10_000, using generator: inout G
    ) -> Interval {
        precondition(!differences.isEmpty && resamples > 0 && level > 0 && level < 1)
        let n = differences.count
        var means = [Double](repeating: 0, count: resamples)
        for resample in 0..<resamples {
            var sum = 0.0
            for _ in 0..<n { sum += differences[Int.random(in: 0..<n, using: &generator)] }
            means[resample] = sum / Double(n)
        }
        means.sort()
        func quantile(_ q: Double) -> Double {
            let position = q * Double(resamples - 1)
            let below = Int(position.rounded(.down))
            let above = min(below + 1, resamples - 1)
            return means[below] + (position - Double(below)) * (means[above] - means[below])
        }
        return Interval(low: quantile((1 - level) / 2), high: quantile((1 + level) / 2))
    }

    /// Holm's step-down correction of p-values tested together: the i-th smallest of m becomes
    /// max over j ≤ i of min(1, (m − j + 1) · p₍ⱼ₎). Controls the family-wise error rate like Bonferroni but
    /// rejects more. Returned in the input's order.
    public static func holm(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        var adjusted = [Double](repeating: 0, count: m)
        var running = 0.0
        for (step, index) in pValues.indices.sorted(by: { pValues[$0] < pValues[$1] }).enumerated() {
            running = max(running, min(1, Double(m - step) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}
