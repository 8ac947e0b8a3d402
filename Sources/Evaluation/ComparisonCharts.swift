import Foundation

/// The two charts of a model comparison, inline SVG like the rest of the report.
extension SVGChart {
    static let improvedColor = "#2e8b57", worseColor = "#c0392b", unchangedColor = "#999999"

    /// One bar per query, its nDCG@10 delta (b − a), sorted from the largest gain to the largest loss, so the
    /// share of wins, ties and losses and their sizes read off at a glance.
    public static func deltaBars(_ deltas: [Double], a: String, b: String, width: Int = 560, height: Int = 220) -> String {
        let sorted = deltas.sorted(by: >)
        let left = 44, right = 12, top = 22, bottom = 30
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
        // A symmetric axis in quarter steps, at least ±0.25, so the zero line sits in the middle.
        let reach = max(0.25, ((sorted.map(abs).max() ?? 0) * 4).rounded(.up) / 4)
        func y(_ value: Double) -> Double { Double(top) + plotHeight * (reach - value) / (2 * reach) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += "<title>per-query nDCG@10 delta, \(escape(b)) minus \(escape(a))</title>"
        for step in -2...2 {
            let value = reach * Double(step) / 2
            svg += "<line x1=\"\(left)\" y1=\"\(format(y(value), 1))\" x2=\"\(width - right)\" y2=\"\(format(y(value), 1))\" "
                + "stroke=\"\(step == 0 ? "#666" : "#eee")\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(format(y(value) + 4, 1))\" font-size=\"10\" text-anchor=\"end\" fill=\"#666\">"
                + "\(value > 0 ? "+" : "")\(format(value, 2))</text>"
        }
        let barWidth = plotWidth / Double(max(sorted.count, 1))
        for (index, delta) in sorted.enumerated() where abs(delta) > ModelComparison.tieTolerance {
            let x = Double(left) + Double(index) * barWidth
            svg += "<rect x=\"\(format(x, 2))\" y=\"\(format(min(y(delta), y(0)), 1))\" width=\"\(format(max(barWidth, 0.5), 2))\" "
                + "height=\"\(format(abs(y(delta) - y(0)), 1))\" fill=\"\(delta > 0 ? improvedColor : worseColor)\"/>"
        }
        svg += "<text x=\"\(left)\" y=\"14\" font-size=\"11\">↑ \(escape(b)) better</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - bottom + 14)\" font-size=\"11\" text-anchor=\"end\">↓ \(escape(a)) better</text>"
        svg += "<text x=\"\(left)\" y=\"\(height - 4)\" font-size=\"11\" fill=\"#666\">\(sorted.count) queries, sorted by delta</text>"
        return svg + "</svg>"
    }

    /// A slope chart of where each judged-relevant document moved: its rank under `a` on the left axis, under `b`
    /// on the right (log scale, 1 at the top; "not retrieved" = beyond `RankMovement.depth`, below the axis), one
    /// line per (query, relevant document), green when it moved up, red when down, grey when it stayed.
    public static func rankShift(_ movements: [RankMovement], a: String, b: String, width: Int = 560, height: Int = 380) -> String {
        let leftAxis = 130.0, rightAxis = Double(width) - 130, top = 48.0, bottom = Double(height) - 64
        let missing = bottom + 26
        let logDepth = log10(Double(RankMovement.depth))
        func y(_ rank: Int?) -> Double {
            guard let rank else { return missing }
            return top + (bottom - top) * log10(Double(rank)) / logDepth
        }
        let improved = movements.filter { $0.gain > 0 }, worse = movements.filter { $0.gain < 0 }
        let unchanged = movements.filter { $0.gain == 0 }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        svg += "<title>rank of each relevant document under \(escape(a)) and \(escape(b))</title>"
        for (x, name) in [(leftAxis, a), (rightAxis, b)] {
            svg += "<line x1=\"\(format(x, 1))\" y1=\"\(format(top, 1))\" x2=\"\(format(x, 1))\" y2=\"\(format(bottom, 1))\" stroke=\"#666\"/>"
            svg += "<text x=\"\(format(x, 1))\" y=\"\(format(top - 18, 1))\" font-size=\"12\" font-weight=\"bold\" text-anchor=\"middle\">\(escape(name))</text>"
        }
        for rank in [1, 2, 3, 5, 10, 20, 50, 100] {
            svg += "<line x1=\"\(format(leftAxis - 4, 1))\" y1=\"\(format(y(rank), 1))\" x2=\"\(format(rightAxis + 4, 1))\" y2=\"\(format(y(rank), 1))\" stroke=\"#eee\"/>"
            for (x, anchor, shift) in [(leftAxis, "end", -8.0), (rightAxis, "start", 8.0)] {
                svg += "<text x=\"\(format(x + shift, 1))\" y=\"\(format(y(rank) + 4, 1))\" font-size=\"10\" text-anchor=\"\(anchor)\" fill=\"#666\">\(rank)</text>"
            }
        }
        for (x, anchor, shift) in [(leftAxis, "end", -8.0), (rightAxis, "start", 8.0)] {
            svg += "<text x=\"\(format(x + shift, 1))\" y=\"\(format(missing + 4, 1))\" font-size=\"10\" text-anchor=\"\(anchor)\" fill=\"#666\">not in top \(RankMovement.depth)</text>"
        }
        // Grey first, so the moves are drawn over the documents that stayed; translucent, so overlaps show density.
        for (group, color) in [(unchanged, unchangedColor), (worse, worseColor), (improved, improvedColor)] {
            for movement in group {
                svg += "<line x1=\"\(format(leftAxis, 1))\" y1=\"\(format(y(movement.rankA), 1))\" x2=\"\(format(rightAxis, 1))\" "
                    + "y2=\"\(format(y(movement.rankB), 1))\" stroke=\"\(color)\" stroke-opacity=\"0.35\" stroke-width=\"1.2\"/>"
            }
        }
        svg += "<text x=\"12\" y=\"\(height - 10)\" font-size=\"11\">under \(escape(b)):</text>"
        var legendX = 24.0 + Double(b.count + 7) * 6.5
        for (label, count, color) in [("moved up", improved.count, improvedColor), ("moved down", worse.count, worseColor),
                                      ("same rank", unchanged.count, unchangedColor)] {
            let text = "\(label) \(count)"
            svg += "<rect x=\"\(format(legendX, 1))\" y=\"\(height - 16)\" width=\"12\" height=\"4\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(format(legendX + 16, 1))\" y=\"\(height - 10)\" font-size=\"11\">\(escape(text))</text>"
            legendX += 32 + Double(text.count) * 6.5
        }
        svg += "<text x=\"\(width / 2)\" y=\"12\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">"
            + "rank of each relevant document (log scale), one line each</text>"
        return svg + "</svg>"
    }
}
