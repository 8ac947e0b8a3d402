import Foundation
import Evaluation
import TestSupport
import XCTest

/// `ModelComparison` on the committed SciFact subset's two runs (minilm and smollm2:mean:raw, mini-runs/), against
/// comparison_expected.json, computed from the definitions by make_comparison_expected.py (not by vecdb).
final class ModelComparisonTests: XCTestCase {
    struct Expected: Decodable {
        struct Movement: Decodable { var query: String; var document: String; var rank_a: Int?; var rank_b: Int? }
        var per_query: [String: Double]
        var wins: Int
        var ties: Int
        var losses: Int
        var mean_delta: Double
        var movements: [Movement]
    }

    /// A TREC run (`query Q0 document rank score tag`) as vecdb holds one.
    func run(_ name: String) throws -> [String: [ScoredDocument]] {
        let text = String(decoding: try fixture("eval/mini-runs/\(name).run"), as: UTF8.self)
        var run: [String: [ScoredDocument]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            run[String(fields[0]), default: []].append(ScoredDocument(id: String(fields[2]), score: Double(fields[4])!))
        }
        return run
    }

    func comparison() throws -> ModelComparison {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/eval/scifact-mini", withExtension: nil))
        var generator = SplitMix64(seed: 1)
        return ModelComparison(a: "minilm", runA: try run("minilm"), b: "smollm2:mean:raw", runB: try run("smollm2-mean-raw"),
                               qrels: try BEIRDataset(folder: url).qrels, using: &generator)
    }

    func testPerQueryDeltasEqualTheIndependentComputation() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: fixture("eval/comparison_expected.json"))
        let comparison = try comparison()
        XCTAssertEqual(Set(comparison.deltas.keys), Set(expected.per_query.keys))
        for (query, delta) in expected.per_query {
            XCTAssertEqual(comparison.deltas[query]!, delta, accuracy: 1e-12, "query \(query)")
        }
        XCTAssertEqual([comparison.wins, comparison.ties, comparison.losses], [expected.wins, expected.ties, expected.losses])
        XCTAssertEqual(comparison.meanDelta, expected.mean_delta, accuracy: 1e-12)
        // Checked by hand from the runs: query 1012's only relevant abstract falls from rank 1 to 3 (1 → 1/log2 4),
        // query 1019's rises from 4 to 1 (1/log2 5 → 1).
        XCTAssertEqual(comparison.deltas["1012"]!, 0.5 - 1, accuracy: 1e-12)
        XCTAssertEqual(comparison.deltas["1019"]!, 1 - 1 / log2(5), accuracy: 1e-12)
        XCTAssertEqual(comparison.mostChanged(2).map(\.query), ["1014", "1019"])
        XCTAssertTrue(comparison.interval.low <= comparison.meanDelta && comparison.meanDelta <= comparison.interval.high)
        XCTAssertEqual(comparison.pHolm, comparison.pRandomization, "a single pair is not corrected")
    }

    func testRankMovementsEqualTheIndependentComputation() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: fixture("eval/comparison_expected.json"))
        let movements = try comparison().movements
        XCTAssertEqual(movements.count, 13, "every relevant (query, document) pair of the subset")
        XCTAssertEqual(movements.map { [$0.query, $0.document] }, expected.movements.map { [$0.query, $0.document] })
        XCTAssertEqual(movements.map(\.rankA), expected.movements.map(\.rank_a))
        XCTAssertEqual(movements.map(\.rankB), expected.movements.map(\.rank_b))
        // Query 1029's abstract 13940200: rank 2 under minilm, 8 under smollm2.
        let moved = try XCTUnwrap(movements.first { $0.query == "1029" && $0.document == "13940200" })
        XCTAssertEqual([moved.rankA, moved.rankB], [2, 8])
        XCTAssertEqual(moved.gain, -6)
    }

    func testBeyondDepthIsNotRetrievedAndPairsAreHolmCorrected() {
        let qrels: Qrels = ["q1": ["d1": 1, "d2": 0], "q2": ["d3": 2]]
        let deep = (0..<150).map { ScoredDocument(id: "x\($0)", score: 1 - Double($0) / 1000) } + [ScoredDocument(id: "d1", score: 0)]
        let a: [String: [ScoredDocument]] = ["q1": deep, "q2": [ScoredDocument(id: "d3", score: 1)]]
        let b: [String: [ScoredDocument]] = ["q1": [ScoredDocument(id: "d1", score: 0.9)], "q2": [ScoredDocument(id: "d3", score: 1)]]
        let pairs = ModelComparison.compareAll([("a", a), ("b", b), ("c", b)], qrels: qrels, permutations: 1000, seed: 5,
                                               generator: SplitMix64.init(seed:))
        XCTAssertEqual(pairs.map { "\($0.a)→\($0.b)" }, ["a→b", "a→c", "b→c"])
        let ab = pairs[0]
        XCTAssertEqual(ab.movements, [
            RankMovement(query: "q1", document: "d1", grade: 1, rankA: nil, rankB: 1),
            RankMovement(query: "q2", document: "d3", grade: 2, rankA: 1, rankB: 1),
        ], "grade-0 judgements are not relevant; rank 151 counts as not retrieved")
        XCTAssertEqual(ab.movements[0].gain, RankMovement.depth)
        XCTAssertEqual([ab.wins, ab.ties, ab.losses], [1, 1, 0])
        XCTAssertEqual([pairs[2].wins, pairs[2].ties, pairs[2].losses], [0, 2, 0])
        XCTAssertEqual(pairs[2].pRandomization, 1)
        XCTAssertNil(pairs[2].pTTest)
        XCTAssertEqual(pairs.map(\.pHolm), PairedSignificance.holm(pairs.map(\.pRandomization)))
        XCTAssertEqual(pairs[0].pRandomization, pairs[1].pRandomization, "each pair draws from its own seeded generator")
    }
}
