import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// PairComparison by hand, on the seed article's published figures, and on minilm with the seed's pairs.
final class ComparePairsTests: XCTestCase {
    func testSummaryByHand() {
        let c = PairComparison(similarities: [[0.9, 0.2, 0.1], [0.3, 0.5, 0.6], [0.0, 0.1, 0.7]])
        XCTAssertEqual(c.meanMatching, (0.9 + 0.5 + 0.7) / 3, accuracy: 1e-12)
        XCTAssertEqual(c.meanNonMatching!, (0.2 + 0.1 + 0.3 + 0.6 + 0.0 + 0.1) / 6, accuracy: 1e-12)
        XCTAssertEqual(c.gap!, 0.7 - 1.3 / 6, accuracy: 1e-12)
        // Question 2's own answer (0.5) is beaten by answer 3 (0.6): rank 2.
        XCTAssertEqual(c.top1Accuracy, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(c.meanReciprocalRank, (1 + 0.5 + 1) / 3, accuracy: 1e-12)
    }

    func testTiesAreNotTop1() {
        let c = PairComparison(similarities: [[0.5, 0.5], [0.1, 0.9]])
        XCTAssertEqual(c.top1Accuracy, 0.5)
        XCTAssertEqual(c.meanReciprocalRank, 1)
        XCTAssertNil(PairComparison(similarities: [[0.4]]).gap)
    }

    func testPublishedSeedFigures() {
        let mistral = PairComparison(similarities: SeedExample.published[0].similarities)
        let e5 = PairComparison(similarities: SeedExample.published[1].similarities)
        XCTAssertEqual(SeedExample.published.map(\.model), ["Mistral-7B-Instruct-v0.1", "e5-mistral-7b-instruct"])
        // The article's point: the base LLM's gap is tiny, the contrastive model's large.
        XCTAssertEqual(mistral.gap!, 0.95 - 0.915, accuracy: 1e-9)
        XCTAssertEqual(e5.gap!, 0.86 - 0.615, accuracy: 1e-9)
        XCTAssertEqual(mistral.top1Accuracy, 1)
    }

    func testMiniLMSeparatesTheSeedPairs() throws {
        let embedder = try TestModel.load()
        let questions = try embedder.embed(SeedExample.questions)[0].map(\.vector)
        let answers = try embedder.embed(SeedExample.answers)[0].map(\.vector)
        let c = PairComparison(questions: questions, answers: answers)
        XCTAssertEqual(c.top1Accuracy, 1)
        XCTAssertEqual(c.meanReciprocalRank, 1)
        XCTAssertGreaterThan(c.gap!, 0.3, "a contrastive encoder separates relevant from irrelevant: \(c.similarities)")
        for row in c.similarities { for value in row { XCTAssertTrue((-1.0001...1.0001).contains(value)) } }
    }
}
