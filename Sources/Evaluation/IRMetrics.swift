import Foundation

/// Relevance judgements: query id → document id → grade. A grade of 0 or less means "judged not relevant".
public typealias Qrels = [String: [String: Int]]

/// One retrieved document of a run, with the similarity score the search gave it.
public struct ScoredDocument: Sendable, Equatable, Codable {
    public var id: String
    public var score: Double

    public init(id: String, score: Double) {
        self.id = id
        self.score = score
    }
}

/// The retrieval metrics BEIR and MTEB report, computed the way they compute them.
///
/// nDCG@k, MAP@k and Recall@k follow pytrec_eval (trec_eval's `ndcg_cut`, `map_cut` and `recall` measures);
/// MRR@k follows BEIR's own `mrr` (1 / rank of the first relevant document in the top k, else 0). Definitions:
///
/// - A document is relevant when its grade is > 0; unjudged documents count as grade 0.
/// - nDCG@k: Σ_{i≤k} grade_i / log2(i + 1) over the ranking, divided by the same sum over the ideal ranking of
///   *all* judged relevant documents (grades descending), cut at k. Gains are the grades themselves (linear).
/// - MAP@k: Σ over relevant documents at ranks i ≤ k of precision@i, divided by the number of *all* relevant
///   documents (not min(k, R)) — that is what trec_eval's `map_cut` does.
/// - Recall@k: relevant documents in the top k / all relevant documents.
/// - A query without any relevant document scores 0 on every metric.
///
/// Ranking: documents are ordered by score descending, ties by document id descending (byte-wise), because
/// trec_eval re-sorts every run that way before measuring, whatever order the run lists them in (checked against
/// pytrec_eval 0.5: tied documents "a" and "c" rank "c" first). BEIR's MRR keeps Python's stable sort of the
/// run's insertion order for ties instead; here MRR uses the same order as the other metrics so that all four
/// describe one ranking. Ties of float cosine scores are rare; with none the two agree exactly.
public enum IRMetrics {
    /// The measures `vecdb eval` reports.
    public enum Measure: String, Sendable, CaseIterable, Codable {
        case ndcg, mrr, recall, map
    }

    /// `run` in the order trec_eval measures it: score descending, then id descending (byte-wise).
    public static func ranked(_ run: [ScoredDocument]) -> [String] {
        run.sorted { a, b in
            if a.score != b.score { return a.score > b.score }
            return b.id.utf8.lexicographicallyPrecedes(a.id.utf8)
        }.map(\.id)
    }

    /// `measure`@`k` of one query, for a ranking already in measurement order (see `ranked`).
    public static func value(_ measure: Measure, k: Int, ranking: [String], judgments: [String: Int]) -> Double {
        switch measure {
        case .ndcg: return ndcg(k: k, ranking: ranking, judgments: judgments)
        case .mrr: return reciprocalRank(k: k, ranking: ranking, judgments: judgments)
        case .recall: return recall(k: k, ranking: ranking, judgments: judgments)
        case .map: return averagePrecision(k: k, ranking: ranking, judgments: judgments)
        }
    }

    /// Normalised discounted cumulative gain at `k` (linear gains, log2 discount, ideal from all judged documents).
    public static func ndcg(k: Int, ranking: [String], judgments: [String: Int]) -> Double {
        var dcg = 0.0
        for (index, id) in ranking.prefix(k).enumerated() {
            let grade = judgments[id] ?? 0
            if grade > 0 { dcg += Double(grade) / log2(Double(index + 2)) }
        }
        let ideal = judgments.values.filter { $0 > 0 }.sorted(by: >).prefix(k).enumerated()
            .reduce(0.0) { sum, pair in sum + Double(pair.element) / log2(Double(pair.offset + 2)) }
        return ideal > 0 ? dcg / ideal : 0
    }

    /// 1 / rank of the first relevant document within the top `k`, or 0.
    public static func reciprocalRank(k: Int, ranking: [String], judgments: [String: Int]) -> Double {
        for (index, id) in ranking.prefix(k).enumerated() where (judgments[id] ?? 0) > 0 {
            return 1 / Double(index + 1)
        }
        return 0
    }

    /// Fraction of all relevant documents found in the top `k`.
    public static func recall(k: Int, ranking: [String], judgments: [String: Int]) -> Double {
        let relevantCount = relevantTotal(judgments)
        guard relevantCount > 0 else { return 0 }
        let found = ranking.prefix(k).filter { (judgments[$0] ?? 0) > 0 }.count
        return Double(found) / Double(relevantCount)
    }

    /// Average precision at `k`, divided by the number of all relevant documents (trec_eval's `map_cut`).
    public static func averagePrecision(k: Int, ranking: [String], judgments: [String: Int]) -> Double {
        let relevantCount = relevantTotal(judgments)
        guard relevantCount > 0 else { return 0 }
        var found = 0
        var sum = 0.0
        for (index, id) in ranking.prefix(k).enumerated() where (judgments[id] ?? 0) > 0 {
            found += 1
            sum += Double(found) / Double(index + 1)
        }
        return sum / Double(relevantCount)
    }

    private static func relevantTotal(_ judgments: [String: Int]) -> Int {
        judgments.values.filter { $0 > 0 }.count
    }

    /// Per-query `measure`@`k` for every query of `qrels`; a query the run lacks gets an empty ranking (0).
    ///
    /// pytrec_eval leaves a query out when the run has no entry for it, which raises the mean; `vecdb eval`
    /// always retrieves for every query, so the two agree there.
    public static func perQuery(_ measure: Measure, k: Int, run: [String: [ScoredDocument]], qrels: Qrels) -> [String: Double] {
        var values: [String: Double] = [:]
        for (query, judgments) in qrels {
            values[query] = value(measure, k: k, ranking: ranked(run[query] ?? []), judgments: judgments)
        }
        return values
    }

    /// Mean of `measure`@`k` over the queries of `qrels` (0 when there are none).
    public static func mean(_ measure: Measure, k: Int, run: [String: [ScoredDocument]], qrels: Qrels) -> Double {
        let values = perQuery(measure, k: k, run: run, qrels: qrels)
        guard !values.isEmpty else { return 0 }
        // Summing in query-id order keeps the result bit-for-bit reproducible across runs.
        return values.sorted { $0.key < $1.key }.reduce(0.0) { $0 + $1.value } / Double(values.count)
    }
}
