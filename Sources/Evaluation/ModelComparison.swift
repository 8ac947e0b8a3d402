import Foundation

/// Two models' runs over the same judged queries, compared the way an IR paper does: per-query nDCG@10 deltas,
/// wins / ties / losses, the mean delta with a bootstrap 95 % interval, paired randomization and t-test
/// p-values, and where every relevant document moved.
public struct ModelComparison: Sendable {
    /// The measure compared: the one BEIR and MTEB rank models by.
    public static let metric = RetrievalEvaluation.Metric(.ndcg, k: 10)

    /// The first model (the baseline of the deltas).
    public var a: String
    /// The second model.
    public var b: String
    /// b − a in nDCG@10, by query id.
    public var deltas: [String: Double]
    /// Queries where b scores higher, the same (|delta| ≤ `tieTolerance`), lower.
    public var wins: Int
    public var ties: Int
    public var losses: Int
    /// Mean of `deltas`: b's mean nDCG@10 minus a's.
    public var meanDelta: Double
    /// Percentile bootstrap 95 % interval of `meanDelta`.
    public var interval: PairedSignificance.Interval
    public var pRandomization: Double
    /// nil when the t-test is undefined (every delta 0, or a single query).
    public var pTTest: Double?
    /// `pRandomization` after Holm's correction over all pairs compared together (`compareAll`); equal to
    /// `pRandomization` for a single pair.
    public var pHolm: Double
    public var movements: [RankMovement]

    /// Deltas this small are float noise, not a difference (the same relevant ranks give the same nDCG, but sums
    /// of the same gains in another order may differ in the last bit).
    public static let tieTolerance = 1e-12

    /// Significance level of the report's "significant" mark, applied to `pHolm`.
    public static let alpha = 0.05

    public var significant: Bool { pHolm < Self.alpha }

    /// Compares run `runB` of model `b` with run `runA` of `a` on `qrels`' queries. `permutations` sets both the
    /// randomization test's sign flips and the bootstrap's resamples; both draw from `generator`.
    public init<G: RandomNumberGenerator>(
        a: String, runA: [String: [ScoredDocument]], b: String, runB: [String: [ScoredDocument]], qrels: Qrels,
        permutations: Int = 10_000, using generator: inout G
    ) {
        self.a = a
        self.b = b
        let metric = Self.metric
        let valuesA = IRMetrics.perQuery(metric.measure, k: metric.k, run: runA, qrels: qrels)
        let valuesB = IRMetrics.perQuery(metric.measure, k: metric.k, run: runB, qrels: qrels)
        var deltas: [String: Double] = [:]
        for (query, value) in valuesB { deltas[query] = value - valuesA[query]! }
        self.deltas = deltas
        // Query-id order: the same differences in the same order give the same random draws, hence the same p.
        let ordered = deltas.sorted { $0.key < $1.key }.map(\.value)
        wins = ordered.filter { $0 > Self.tieTolerance }.count
        losses = ordered.filter { $0 < -Self.tieTolerance }.count
        ties = ordered.count - wins - losses
        meanDelta = ordered.isEmpty ? 0 : ordered.reduce(0, +) / Double(ordered.count)
        if ordered.isEmpty {
            interval = PairedSignificance.Interval(low: 0, high: 0)
            pRandomization = 1
        } else {
            pRandomization = PairedSignificance.randomizationTest(ordered, permutations: permutations, using: &generator)
            interval = PairedSignificance.bootstrapInterval(ordered, resamples: permutations, using: &generator)
        }
        pTTest = PairedSignificance.pairedTTest(ordered)
        pHolm = pRandomization
        movements = RankMovement.all(runA: runA, runB: runB, qrels: qrels)
    }

    /// Every pair (i < j) of the named `runs`, in their order (a = the earlier), Holm-corrected together. Each pair
    /// draws from its own generator made from `seed`, so adding a model does not change the other pairs' p-values.
    public static func compareAll<G: RandomNumberGenerator>(
        _ runs: [(name: String, run: [String: [ScoredDocument]])], qrels: Qrels, permutations: Int = 10_000,
        seed: UInt64, generator makeGenerator: (UInt64) -> G
    ) -> [ModelComparison] {
        var comparisons: [ModelComparison] = []
        for i in runs.indices {
            for j in runs.indices where j > i {
                var generator = makeGenerator(seed)
                comparisons.append(ModelComparison(
                    a: runs[i].name, runA: runs[i].run, b: runs[j].name, runB: runs[j].run,
                    qrels: qrels, permutations: permutations, using: &generator))
            }
        }
        for (index, p) in PairedSignificance.holm(comparisons.map(\.pRandomization)).enumerated() {
            comparisons[index].pHolm = p
        }
        return comparisons
    }

    /// The queries whose delta is largest in size, biggest first (ties by query id), at most `count`.
    public func mostChanged(_ count: Int = 10) -> [(query: String, delta: Double)] {
        deltas.filter { abs($0.value) > Self.tieTolerance }
            .sorted { abs($0.value) != abs($1.value) ? abs($0.value) > abs($1.value) : $0.key < $1.key }
            .prefix(count).map { ($0.key, $0.value) }
    }
}
