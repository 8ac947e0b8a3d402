import Evaluation
import Foundation

/// The JSON of a question/answer comparison: what `vecdb compare --json` prints and `POST /v1/compare` answers.
public enum ComparisonJSON {
    /// One model's matrix and its summary, to four decimals.
    public static func object(_ c: PairComparison) -> [String: Any] {
        [
            "similarities": c.similarities.map { $0.map { ResultJSON.rounded($0, 4) } }, "mean_matching": ResultJSON.rounded(c.meanMatching, 4),
            "mean_non_matching": c.meanNonMatching.map { ResultJSON.rounded($0, 4) } ?? NSNull(),
            "gap": c.gap.map { ResultJSON.rounded($0, 4) } ?? NSNull(), "top1_accuracy": ResultJSON.rounded(c.top1Accuracy, 4),
            "mrr": ResultJSON.rounded(c.meanReciprocalRank, 4),
        ]
    }

    /// Every model's comparison by name; for the seed's own pairs (`seed`), the article's published figures beside
    /// them, marked as typed in, not computed.
    public static func report(_ comparisons: [(name: String, comparison: PairComparison)], pairs: Int, seed: Bool) -> [String: Any] {
        var models: [String: Any] = [:]
        for (name, comparison) in comparisons { models[name] = object(comparison) }
        var output: [String: Any] = ["models": models, "pairs": pairs]
        if seed {
            var published: [String: Any] = [:]
            for figures in SeedExample.published {
                var object = object(PairComparison(similarities: figures.similarities))
                object["note"] = figures.note
                published[figures.model] = object
            }
            output["published"] = published
            output["published_source"] = "seed article (shared/seed/SUMMARY.md); not computed by vecdb"
        }
        return output
    }
}
