import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// The inline SVG charts of the HTML reports.
final class ReportSVGTests: XCTestCase {
    func testBarsClampAndPrintValues() {
        let svg = SVGChart.bars([("nDCG@10", 0.64508), ("odd <label>", 1.7)])
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        XCTAssertTrue(svg.contains(">0.6451<"))
        XCTAssertTrue(svg.contains("odd &lt;label&gt;"), "labels are escaped")
        XCTAssertTrue(svg.contains(">1.7000<"), "the value is printed as is, the bar clamped to the axis")
    }

    func testHistogramSharesPerGroup() {
        // 3 values vs 1000: both groups must be visible, as shares of their own size.
        let small = SVGChart.Series(name: "relevant", values: [0.61, 0.65, 0.69], color: "#0a0")
        let large = SVGChart.Series(name: "other", values: (0..<1000).map { 0.1 + Double($0 % 30) / 100 }, color: "#a00")
        let svg = SVGChart.histogram([small, large], bins: 10)
        XCTAssertTrue(svg.contains("relevant (n=3, mean 0.650)"))
        XCTAssertTrue(svg.contains("other (n=1000"))
        XCTAssertTrue(svg.contains("fill=\"#0a0\""))
        XCTAssertTrue(svg.contains(">0.1<") && svg.contains(">0.7<"), "axis from 0.1 to 0.7 in tenths")
        XCTAssertTrue(SVGChart.histogram([SVGChart.Series(name: "none", values: [], color: "#000")]).contains("no scores"))
    }
}
