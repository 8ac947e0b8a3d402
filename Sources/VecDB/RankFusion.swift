/// One ranking made of several (of any models, lexical or dense, adapters included): what `--fuse` asks for.
///
/// * Reciprocal rank fusion (Cormack, Clarke, Büttcher, SIGIR 2009): a document scores Σ 1 / (k + rank) over the
///   rankings that hold it (ranks from 1; k = 60 as in the paper, and in Qdrant's and Elasticsearch's RRF). Scores
///   on different scales need no calibration, only ranks count.
/// * Weighted sum of min–max normalised scores (`weighted:W`): each ranking's scores mapped to [0, 1] (its best 1,
///   its worst 0; all 1 when equal), weight W on the first ranking and (1 − W) shared equally by the others; a
///   document absent from a ranking gets 0 from it. Weaviate's "relativeScoreFusion" is this with two inputs.
///
/// Ties go to the lower id, so a fused list is deterministic.
public enum RankFusion: Sendable, Equatable, CustomStringConvertible {
    case reciprocalRank(k: Int)
    case weighted(first: Double)

    /// RRF's k when `rrf` is given without one.
    public static let defaultRRFK = 60
    /// How deep each input ranking is read for a fused top k (at least k): 100, as `eval --fuse` fuses each model's
    /// top 100.
    public static let defaultDepth = 100

    /// Parses `rrf`, `rrf:K` (K ≥ 1) or `weighted:W` (0 ≤ W ≤ 1).
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch parts[0] {
        case "rrf" where parts.count == 1:
            self = .reciprocalRank(k: RankFusion.defaultRRFK)
        case "rrf":
            guard let k = Int(parts[1]), k >= 1 else {
                throw VecDBError.invalidArgument("--fuse \(text): rrf:K needs a whole number K ≥ 1")
            }
            self = .reciprocalRank(k: k)
        case "weighted":
            guard parts.count == 2, let weight = Double(parts[1]), weight.isFinite, (0...1).contains(weight) else {
                throw VecDBError.invalidArgument("--fuse \(text): weighted:W needs the first ranking's weight W between 0 and 1")
            }
            self = .weighted(first: weight)
        default:
            throw VecDBError.invalidArgument("--fuse \(text): use rrf, rrf:K or weighted:W")
        }
    }

    /// `rrf` (k 60), `rrf:K`, `weighted:W`: what `init(parsing:)` reads back.
    public var description: String {
        switch self {
        case .reciprocalRank(let k): return k == RankFusion.defaultRRFK ? "rrf" : "rrf:\(k)"
        case .weighted(let weight): return "weighted:\(weight)"
        }
    }

    /// The fused ranking's name over inputs named `inputs`: `rrf(minilm,bm25)`.
    public func name(of inputs: [String]) -> String { "\(description)(\(inputs.joined(separator: ",")))" }

    /// One document of a fused ranking.
    public struct Fused<ID: Hashable & Comparable & Sendable>: Sendable {
        public var id: ID
        public var score: Double
        /// Its rank (from 1) in each input, nil where the input does not hold it.
        public var ranks: [Int?]
    }

    /// Fuses `rankings` (each best first, with its scores) into one, best first, holding every document of any input.
    public func fuse<ID: Hashable & Comparable & Sendable>(_ rankings: [[(id: ID, score: Double)]]) -> [Fused<ID>] {
        var fused: [ID: Fused<ID>] = [:]
        var order: [ID] = []
        for (input, ranking) in rankings.enumerated() {
            let scores = ranking.map(\.score)
            let low = scores.min() ?? 0, high = scores.max() ?? 0
            let weight: Double
            switch self {
            case .reciprocalRank: weight = 1
            case .weighted(let first): weight = input == 0 ? first : (1 - first) / Double(max(rankings.count - 1, 1))
            }
            for (position, entry) in ranking.enumerated() {
                if fused[entry.id] == nil {
                    fused[entry.id] = Fused(id: entry.id, score: 0, ranks: Array(repeating: nil, count: rankings.count))
                    order.append(entry.id)
                }
                // A document listed twice in one input keeps its better rank.
                guard fused[entry.id]!.ranks[input] == nil else { continue }
                fused[entry.id]!.ranks[input] = position + 1
                switch self {
                case .reciprocalRank(let k):
                    fused[entry.id]!.score += 1 / Double(k + position + 1)
                case .weighted:
                    let normalised = high > low ? (entry.score - low) / (high - low) : 1
                    fused[entry.id]!.score += weight * normalised
                }
            }
        }
        return order.map { fused[$0]! }.sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
    }
}
