/// Where one judged-relevant document of one query ranks under two models: the unit of the report's rank-shift
/// chart.
public struct RankMovement: Sendable, Equatable {
    /// Ranks deeper than this count as "not retrieved" (`nil`), whatever --k retrieved: Recall@100 is the deepest
    /// measure reported, and the chart's log axis ends there.
    public static let depth = 100

    public var query: String
    public var document: String
    /// The document's grade in the qrels (> 0).
    public var grade: Int
    /// 1-based rank under the first model, in the order the metrics measure (`IRMetrics.ranked`); nil beyond `depth`.
    public var rankA: Int?
    /// The same under the second model.
    public var rankB: Int?

    public init(query: String, document: String, grade: Int, rankA: Int?, rankB: Int?) {
        self.query = query
        self.document = document
        self.grade = grade
        self.rankA = rankA
        self.rankB = rankB
    }

    /// Places gained under the second model (positive: moved up), counting "not retrieved" as rank `depth` + 1.
    public var gain: Int { (rankA ?? Self.depth + 1) - (rankB ?? Self.depth + 1) }

    /// Every relevant (grade > 0) document of every judged query, with its rank in both runs; ordered by query id,
    /// then document id.
    public static func all(runA: [String: [ScoredDocument]], runB: [String: [ScoredDocument]], qrels: Qrels) -> [RankMovement] {
        var movements: [RankMovement] = []
        for query in qrels.keys.sorted() {
            let ranksA = ranks(runA[query] ?? []), ranksB = ranks(runB[query] ?? [])
            for (document, grade) in qrels[query]!.sorted(by: { $0.key < $1.key }) where grade > 0 {
                movements.append(RankMovement(query: query, document: document, grade: grade,
                                              rankA: ranksA[document], rankB: ranksB[document]))
            }
        }
        return movements
    }

    /// Document id → 1-based rank within the first `depth` of a run, in measurement order.
    private static func ranks(_ run: [ScoredDocument]) -> [String: Int] {
        Dictionary(IRMetrics.ranked(run).prefix(depth).enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { first, _ in first })
    }
}
