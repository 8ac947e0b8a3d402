import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// IRMetrics against values worked out by hand, and against pytrec_eval on random runs (metrics_golden.json,
/// written by Fixtures/eval/make_metrics_golden.py).
final class MetricsTests: XCTestCase {
    // Ranking d1 d2 d3 d4; d2 has grade 1, d4 grade 2, d5 (never retrieved) grade 1, d3 judged 0.
    let ranking = ["d1", "d2", "d3", "d4"]
    let judgments = ["d2": 1, "d3": 0, "d4": 2, "d5": 1]

    func testNDCGByHand() {
        // Ideal ranking of all three relevant documents: grades 2, 1, 1.
        let ideal3 = 2 + 1 / log2(3.0) + 1 / log2(4.0)
        XCTAssertEqual(IRMetrics.ndcg(k: 1, ranking: ranking, judgments: judgments), 0)
        XCTAssertEqual(IRMetrics.ndcg(k: 3, ranking: ranking, judgments: judgments), (1 / log2(3.0)) / ideal3, accuracy: 1e-12)
        XCTAssertEqual(IRMetrics.ndcg(k: 4, ranking: ranking, judgments: judgments),
                       (1 / log2(3.0) + 2 / log2(5.0)) / ideal3, accuracy: 1e-12)
        // At k = 2 the ideal is cut at two documents too.
        XCTAssertEqual(IRMetrics.ndcg(k: 2, ranking: ranking, judgments: judgments),
                       (1 / log2(3.0)) / (2 + 1 / log2(3.0)), accuracy: 1e-12)
        XCTAssertEqual(IRMetrics.ndcg(k: 10, ranking: ["d4", "d2", "d5"], judgments: judgments), 1, accuracy: 1e-12)
    }

    func testMRRRecallMAPByHand() {
        XCTAssertEqual(IRMetrics.reciprocalRank(k: 1, ranking: ranking, judgments: judgments), 0)
        XCTAssertEqual(IRMetrics.reciprocalRank(k: 2, ranking: ranking, judgments: judgments), 0.5)
        XCTAssertEqual(IRMetrics.reciprocalRank(k: 10, ranking: ranking, judgments: judgments), 0.5)
        XCTAssertEqual(IRMetrics.recall(k: 2, ranking: ranking, judgments: judgments), 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(IRMetrics.recall(k: 4, ranking: ranking, judgments: judgments), 2.0 / 3, accuracy: 1e-12)
        // MAP divides by all three relevant documents, not by min(k, 3).
        XCTAssertEqual(IRMetrics.averagePrecision(k: 2, ranking: ranking, judgments: judgments), (1.0 / 2) / 3, accuracy: 1e-12)
        XCTAssertEqual(IRMetrics.averagePrecision(k: 4, ranking: ranking, judgments: judgments),
                       (1.0 / 2 + 2.0 / 4) / 3, accuracy: 1e-12)
    }

    func testGradeZeroIsNotRelevant() {
        let judged = ["d1": 0, "d2": 1]
        XCTAssertEqual(IRMetrics.reciprocalRank(k: 10, ranking: ["d1", "d2"], judgments: judged), 0.5)
        XCTAssertEqual(IRMetrics.ndcg(k: 10, ranking: ["d1", "d2"], judgments: judged), 1 / log2(3.0), accuracy: 1e-12)
        for measure in IRMetrics.Measure.allCases {
            XCTAssertEqual(IRMetrics.value(measure, k: 10, ranking: ["d1"], judgments: ["d1": 0]), 0, "\(measure)")
        }
    }

    func testTiesRankByIDDescendingLikeTrecEval() {
        let run = [ScoredDocument(id: "a", score: 0.5), ScoredDocument(id: "c", score: 0.5),
                   ScoredDocument(id: "b", score: 0.9), ScoredDocument(id: "ab", score: 0.5)]
        XCTAssertEqual(IRMetrics.ranked(run), ["b", "c", "ab", "a"])
        XCTAssertEqual(IRMetrics.ranked(run.reversed()), ["b", "c", "ab", "a"])
    }

    func testMeanCountsQueriesWithoutResultsAsZero() {
        let qrels: Qrels = ["q1": ["a": 1], "q2": ["b": 1]]
        let run = ["q1": [ScoredDocument(id: "a", score: 1)]]
        XCTAssertEqual(IRMetrics.mean(.mrr, k: 10, run: run, qrels: qrels), 0.5)
        XCTAssertEqual(IRMetrics.mean(.ndcg, k: 10, run: [:], qrels: [:]), 0)
    }

    func testAgreesWithPytrecEval() throws {
        struct Golden: Decodable {
            struct Case: Decodable {
                var qrels: [String: [String: Int]]
                var run: [String: [String: Double]]
                var expected: [String: [String: Double]]
            }
            var ks: [Int]
            var cases: [Case]
        }
        let golden = try JSONDecoder().decode(Golden.self, from: fixture("eval/metrics_golden.json"))
        XCTAssertEqual(golden.cases.count, 5)
        var checked = 0
        for (caseIndex, testCase) in golden.cases.enumerated() {
            let run = testCase.run.mapValues { $0.map { ScoredDocument(id: $0.key, score: $0.value) } }
            for (query, expected) in testCase.expected {
                let ranking = IRMetrics.ranked(run[query] ?? [])
                for k in golden.ks {
                    for measure in IRMetrics.Measure.allCases {
                        let want = try XCTUnwrap(expected["\(measure.rawValue)_at_\(k)"])
                        let got = IRMetrics.value(measure, k: k, ranking: ranking, judgments: testCase.qrels[query] ?? [:])
                        XCTAssertEqual(got, want, accuracy: 1e-9, "case \(caseIndex) query \(query) \(measure)@\(k)")
                        checked += 1
                    }
                }
            }
            // Every query of these cases has a run, so the means agree with pytrec_eval's too.
            for measure in IRMetrics.Measure.allCases {
                let want = testCase.expected.values.map { $0["\(measure.rawValue)_at_10"]! }.reduce(0, +)
                    / Double(testCase.expected.count)
                XCTAssertEqual(IRMetrics.mean(measure, k: 10, run: run, qrels: testCase.qrels), want, accuracy: 1e-12)
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }
}
