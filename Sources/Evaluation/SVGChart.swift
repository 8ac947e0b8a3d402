import Foundation

/// Small inline-SVG charts for the HTML reports: no scripts and no external resources, so a report is one file
/// that any browser (or a headless one, for screenshots) renders the same way.
public enum SVGChart {
    /// Horizontal bars of values in [0, 1], one per label, with the value printed at the end of each bar.
    public static func bars(_ items: [(label: String, value: Double)], color: String = "#3b6ea5", width: Int = 560) -> String {
        let labelWidth = 110, rowHeight = 26, barArea = width - labelWidth - 60
        let height = items.count * rowHeight + 24
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        // Gridlines at 0, 0.25, …, 1 so bar lengths can be read off.
        for step in 0...4 {
            let x = labelWidth + barArea * step / 4
            svg += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(height - 18)\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(x)\" y=\"\(height - 4)\" font-size=\"11\" text-anchor=\"middle\" fill=\"#666\">\(format(Double(step) / 4, 2))</text>"
        }
        for (row, item) in items.enumerated() {
            let y = row * rowHeight + 4
            let clamped = min(max(item.value, 0), 1)
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 15)\" font-size=\"13\" text-anchor=\"end\">\(escape(item.label))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(format(clamped * Double(barArea), 1))\" height=\"\(rowHeight - 8)\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(format(Double(labelWidth) + clamped * Double(barArea) + 6, 1))\" y=\"\(y + 14)\" font-size=\"12\">\(format(item.value, 4))</text>"
        }
        return svg + "</svg>"
    }

    /// One group of values for `histogram`.
    public struct Series {
        public var name: String
        public var values: [Double]
        public var color: String

        public init(name: String, values: [Double], color: String) {
            self.name = name
            self.values = values
            self.color = color
        }
    }

    /// Overlaid histograms of several groups on one axis. Bar heights are each group's *share* of its values per
    /// bin, so groups of very different sizes (a few hundred relevant pairs, tens of thousands of others) compare.
    public static func histogram(_ series: [Series], bins: Int = 40, width: Int = 560, height: Int = 240) -> String {
        let all = series.flatMap(\.values)
        guard let low = all.min(), let high = all.max() else {
            return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"40\"><text x=\"4\" y=\"24\">no scores</text></svg>"
        }
        // Whole tenths at both ends keep the ticks on round cosine values.
        let lower = (low * 10).rounded(.down) / 10
        let upper = max((high * 10).rounded(.up) / 10, lower + 0.1)
        let binWidth = (upper - lower) / Double(bins)
        let shares = series.map { group -> [Double] in
            var counts = [Double](repeating: 0, count: bins)
            for value in group.values { counts[min(bins - 1, max(0, Int((value - lower) / binWidth)))] += 1 }
            return counts.map { group.values.isEmpty ? 0 : $0 / Double(group.values.count) }
        }
        let peak = max(shares.flatMap { $0 }.max() ?? 0, 1e-9)
        let left = 44, right = 12, top = 28, bottom = 34
        let plotWidth = Double(width - left - right), plotHeight = Double(height - top - bottom)
        func x(_ value: Double) -> Double { Double(left) + (value - lower) / (upper - lower) * plotWidth }
        func y(_ share: Double) -> Double { Double(top) + plotHeight * (1 - share / peak) }

        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" role=\"img\">"
        for tick in 0...4 {
            let share = peak * Double(tick) / 4
            svg += "<line x1=\"\(left)\" y1=\"\(format(y(share), 1))\" x2=\"\(width - right)\" y2=\"\(format(y(share), 1))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 4)\" y=\"\(format(y(share) + 4, 1))\" font-size=\"10\" text-anchor=\"end\" fill=\"#666\">\(Int((share * 100).rounded()))%</text>"
        }
        var tick = lower
        while tick <= upper + 1e-9 {
            svg += "<line x1=\"\(format(x(tick), 1))\" y1=\"\(height - bottom)\" x2=\"\(format(x(tick), 1))\" y2=\"\(height - bottom + 4)\" stroke=\"#666\"/>"
            svg += "<text x=\"\(format(x(tick), 1))\" y=\"\(height - bottom + 16)\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">\(format(tick, 1))</text>"
            tick += 0.1
        }
        svg += "<text x=\"\(left + Int(plotWidth / 2))\" y=\"\(height - 3)\" font-size=\"11\" text-anchor=\"middle\">cosine similarity</text>"
        for (group, values) in zip(series, shares) {
            for (bin, share) in values.enumerated() where share > 0 {
                let x0 = x(lower + Double(bin) * binWidth)
                svg += "<rect x=\"\(format(x0, 1))\" y=\"\(format(y(share), 1))\" width=\"\(format(plotWidth / Double(bins), 2))\" "
                    + "height=\"\(format(Double(top) + plotHeight - y(share), 1))\" fill=\"\(group.color)\" fill-opacity=\"0.55\"/>"
            }
        }
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" stroke=\"#666\"/>"
        // Legend: name, size and mean of each group; the mean is also marked on the axis.
        var legendX = left
        for group in series {
            let mean = group.values.isEmpty ? 0 : group.values.reduce(0, +) / Double(group.values.count)
            if !group.values.isEmpty {
                svg += "<line x1=\"\(format(x(mean), 1))\" y1=\"\(top)\" x2=\"\(format(x(mean), 1))\" y2=\"\(height - bottom)\" "
                    + "stroke=\"\(group.color)\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>"
            }
            let text = "\(group.name) (n=\(group.values.count), mean \(format(mean, 3)))"
            svg += "<rect x=\"\(legendX)\" y=\"8\" width=\"12\" height=\"12\" fill=\"\(group.color)\" fill-opacity=\"0.55\"/>"
            svg += "<text x=\"\(legendX + 16)\" y=\"18\" font-size=\"11\">\(escape(text))</text>"
            legendX += 24 + text.count * 6
        }
        return svg + "</svg>"
    }

    static func format(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }

    /// Text made safe inside HTML and SVG elements and attributes.
    public static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
