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

    /// --explain on the seed article's two answers: the base LLM prefers the OpenAI answer for "What is GPU?",
    /// the contrastive encoder moves the GPU answer up one place.
    func testExplainShowsScoresAndMovementsForTheSeedPairs() throws {
        let (db, answers) = try seedAnswers(self, extra: "")
        XCTAssertEqual(try cli.run(["ingest", answers.path, "--db", db]).status, 0)
        XCTAssertEqual(try cli.run(["ingest", answers.path, "--db", db, "--model", "smollm2"]).status, 0)

        let result = try cli.run(["query", "What is GPU?", "--db", db, "--models", "smollm2,minilm", "--explain"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "query: What is GPU?")
        let base = try XCTUnwrap(lines.firstIndex(of: "smollm2 (base):"))
        let other = try XCTUnwrap(lines.firstIndex(of: "minilm:"))
        // Under smollm2 (last token, chat): OpenAI 0.914 > GPU 0.881, as docs/ADAPTER.md's 2×2 table has it.
        XCTAssertTrue(lines[base + 1].hasPrefix("  1. #0  smollm2 0.91"), lines[base + 1])
        XCTAssertTrue(lines[base + 1].contains("[minilm 2 ↓1]") && lines[base + 1].hasSuffix("OpenAI is based at San Francisco."),
                      lines[base + 1])
        XCTAssertTrue(lines[base + 2].hasPrefix("  2. #1  smollm2 0.88") && lines[base + 2].contains("[minilm 1 ↑1]"), lines[base + 2])
        // Under minilm: GPU 0.790 first, up one place from smollm2's rank 2; every model's score on each line.
        XCTAssertTrue(lines[other + 1].hasPrefix("  1. #1  minilm 0.79") && lines[other + 1].contains("smollm2 0.88")
                      && lines[other + 1].contains("[↑1 from smollm2 2]") && lines[other + 1].contains("graphics processing unit"),
                      lines[other + 1])
        XCTAssertTrue(lines[other + 2].hasPrefix("  2. #0  minilm 0.") && lines[other + 2].contains("[↓1 from smollm2 1]"),
                      lines[other + 2])

        let json = try jsonObject(try cli.run(["query", "What is GPU?", "--db", db, "--models", "smollm2,minilm", "--explain",
                                               "--json"]).stdout)
        XCTAssertEqual(json["base"] as? String, "smollm2")
        let minilm = try XCTUnwrap((json["models"] as? [String: [[String: Any]]])?["minilm"])
        XCTAssertEqual(minilm[0]["id"] as? Int, 1, "the GPU answer, the second document stored")
        XCTAssertEqual(minilm[0]["movement"] as? [String: Int], ["minilm": 1])
        let scores = try XCTUnwrap(minilm[0]["scores"] as? [String: Double])
        XCTAssertEqual(scores["minilm"], minilm[0]["score"] as? Double)
        XCTAssertGreaterThan(try XCTUnwrap(scores["smollm2"]), 0.8)

        let alone = try cli.run(["query", "What is GPU?", "--db", db, "--explain"])
        XCTAssertEqual(alone.status, 64)
        XCTAssertTrue(alone.stderr.contains("--explain compares rankings"), alone.stderr)
    }
}
