import Foundation
import XCTest

final class SideBySideQueryTests: XCTestCase {
    private let cli = CLI()

    /// Two models over one set of documents: text stored once, each model's ranking with the other's ranks.
    func testQueryRanksUnderTwoModels() throws {
        let (db, answers) = try seedAnswers(self, extra: "The mitochondrion is the powerhouse of the cell.")
        XCTAssertEqual(try cli.run(["ingest", answers.path, "--db", db]).status, 0)
        let second = try cli.run(["ingest", answers.path, "--db", db, "--model", "smollm2", "--json"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let summary = try jsonObject(second.stdout)
        XCTAssertEqual(summary["added"] as? Int, 0, "documents are stored once")
        XCTAssertEqual(summary["embedded"] as? Int, 3)

        let result = try cli.run(["query", "What is GPU?", "--db", db, "--models", "minilm,smollm2", "-k", "3", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try jsonObject(result.stdout)
        XCTAssertEqual(object["order"] as? [String], ["minilm", "smollm2"])
        let models = try XCTUnwrap(object["models"] as? [String: [[String: Any]]])
        let minilm = try XCTUnwrap(models["minilm"])
        let smollm = try XCTUnwrap(models["smollm2"])
        XCTAssertEqual(minilm.count, 3)
        XCTAssertEqual(smollm.count, 3)
        XCTAssertTrue((minilm[0]["text"] as? String)?.hasPrefix("A graphics processing unit") ?? false)
        for hit in minilm {
            let rank = try XCTUnwrap((hit["ranks"] as? [String: Int])?["smollm2"])
            XCTAssertTrue((1...3).contains(rank))
        }
        // The base LLM's last-token vectors: every document scores high, relevant or not.
        XCTAssertGreaterThan(try XCTUnwrap(smollm.last?["score"] as? Double), 0.8)
    }
}
