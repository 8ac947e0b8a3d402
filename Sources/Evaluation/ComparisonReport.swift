import Foundation

/// The comparison part of the `vecdb eval --report` page: the significance table of every pair, then per pair
/// the per-query delta bars, the rank-shift chart and the queries that changed most with each model's top 3.
enum ComparisonReport {
    /// Characters of a document or query shown in the top-changed table.
    static let snippetLength = 160

    static func html(_ comparisons: [ModelComparison], dataset: BEIRDataset, evaluations: [RetrievalEvaluation]) -> String {
        guard !comparisons.isEmpty else { return "" }
        let esc = SVGChart.escape
        let runs = Dictionary(evaluations.map { ($0.model, $0.run) }, uniquingKeysWith: { first, _ in first })
        let queries = Dictionary(dataset.queries.map { ($0.id, $0.text) }, uniquingKeysWith: { first, _ in first })
        let texts = Dictionary(dataset.corpus.map { ($0.id, $0.text) }, uniquingKeysWith: { first, _ in first })
        var body = "<section><h2>Model comparisons (nDCG@10 per query)</h2>"
        body += """
            <p class="caption">Delta = second − first. p (randomization): paired sign-flip test, two-sided; p (t-test): \
            paired t-test, two-sided; p (Holm): the randomization p corrected for the \(comparisons.count) \
            pair\(comparisons.count == 1 ? "" : "s") tested together. Significant: p (Holm) &lt; \(ModelComparison.alpha). 95 % CI: percentile bootstrap of the mean delta.</p>
            <table><tr><th>first</th><th>second</th><th>wins</th><th>ties</th><th>losses</th><th>mean delta</th>\
            <th>95 % CI</th><th>p (randomization)</th><th>p (t-test)</th><th>p (Holm)</th><th>significant</th></tr>
            """
        for comparison in comparisons {
            body += "<tr><td>\(esc(comparison.a))</td><td>\(esc(comparison.b))</td><td>\(comparison.wins)</td>"
            body += "<td>\(comparison.ties)</td><td>\(comparison.losses)</td><td>\(signed(comparison.meanDelta))</td>"
            body += "<td>[\(signed(comparison.interval.low)), \(signed(comparison.interval.high))]</td>"
            body += "<td>\(pValue(comparison.pRandomization))</td><td>\(comparison.pTTest.map(pValue) ?? "—")</td>"
            body += "<td>\(pValue(comparison.pHolm))</td><td>\(comparison.significant ? "<b>yes</b>" : "no")</td></tr>"
        }
        body += "</table></section>"

        for comparison in comparisons {
            let (a, b) = (comparison.a, comparison.b)
            body += "<section><h2>\(esc(a)) → \(esc(b))</h2><div class=\"row\"><div><h3>Per-query nDCG@10 delta</h3>"
            body += SVGChart.deltaBars(Array(comparison.deltas.values), a: a, b: b)
            body += "<p class=\"caption\">\(esc(b)) better on \(comparison.wins) queries, the same on \(comparison.ties), worse on "
                + "\(comparison.losses); mean delta \(signed(comparison.meanDelta)).</p></div>"
            body += "<div><h3>Where the relevant documents moved</h3>"
            body += SVGChart.rankShift(comparison.movements, a: a, b: b)
            body += """
                <p class="caption">Each line is one (query, judged-relevant document) pair: its rank under \(esc(a)) \
                (left) and \(esc(b)) (right), on a log scale; beyond rank \(RankMovement.depth) it counts as not \
                retrieved.</p></div></div>
                """
            let changed = comparison.mostChanged(10)
            guard !changed.isEmpty, let runA = runs[a], let runB = runs[b] else { continue }
            body += "<h3>The \(changed.count) queries that changed most</h3><table class=\"changed\">"
            body += "<tr><th>query</th><th>delta</th><th>top 3 under \(esc(a))</th><th>top 3 under \(esc(b))</th></tr>"
            for (query, delta) in changed {
                let judgments = dataset.qrels[query] ?? [:]
                func top3(_ run: [String: [ScoredDocument]]) -> String {
                    "<ol>" + IRMetrics.ranked(run[query] ?? []).prefix(3).map { id in
                        let mark = (judgments[id] ?? 0) > 0 ? "<b>✓ relevant</b> " : ""
                        return "<li>\(mark)<code>\(esc(id))</code> \(esc(snippet(texts[id] ?? "")))</li>"
                    }.joined() + "</ol>"
                }
                body += "<tr><td><code>\(esc(query))</code> \(esc(snippet(queries[query] ?? "")))</td>"
                body += "<td>\(signed(delta))</td><td>\(top3(runA))</td><td>\(top3(runB))</td></tr>"
            }
            body += "</table></section>"
        }
        return body
    }

    static func snippet(_ text: String) -> String {
        text.count <= snippetLength ? text : String(text.prefix(snippetLength - 1)) + "…"
    }

    static func signed(_ value: Double) -> String { (value > 0 ? "+" : "") + SVGChart.format(value, 4) }

    /// p-values to 4 decimals, and below 0.0001 in scientific notation so a tiny p does not read as 0.
    static func pValue(_ p: Double) -> String { p < 1e-4 ? String(format: "%.1e", p) : SVGChart.format(p, 4) }
}
