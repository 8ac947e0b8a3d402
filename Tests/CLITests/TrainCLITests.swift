import Foundation
import XCTest

/// `vecdb train` from a pairs file, then the adapter used by name like any model: ingest, query, compare, info.
final class TrainCLITests: XCTestCase {
    private let cli = CLI()

    func testTrainedAdapterWorksAsAModelEverywhere() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let pairs: [(String, String)] = [
            ("What is GPU?", "A graphics processing unit is an electronic circuit for fast parallel calculations."),
            ("Where is OpenAI based?", "OpenAI is based at San Francisco."),
            ("What does a CPU do?", "A central processing unit executes the instructions of a program."),
            ("What is RAM?", "Random-access memory holds the data a computer is working on."),
            ("What is an SSD?", "A solid-state drive stores data in flash memory without moving parts."),
            ("Who wrote Hamlet?", "Hamlet is a tragedy written by William Shakespeare."),
        ]
        let pairsFile = folder.appendingPathComponent("qa.jsonl")
        let lines = try pairs.map { q, a in
            String(decoding: try JSONSerialization.data(withJSONObject: ["query": q, "positive": a]), as: UTF8.self)
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: pairsFile)

        let train = try cli.run(["train", "--model", "minilm", "--pairs", pairsFile.path, "--name", "qa+adapter",
                                 "--epochs", "3", "--batch", "4", "--validation", "0.2", "--db", db, "--json"])
        XCTAssertEqual(train.status, 0, train.stderr)
        let record = try jsonObject(train.stdout)
        XCTAssertEqual(record["name"] as? String, "qa+adapter")
        XCTAssertEqual((record["history"] as? [Any])?.count, 4, "epoch 0 and three epochs")
        XCTAssertEqual((record["data"] as? [String: Any])?["pairs"] as? Int, 6)
        XCTAssertTrue(train.stderr.contains("epoch  0: validation MRR@10"), train.stderr)

        let answers = folder.appendingPathComponent("answers.txt")
        try Data(pairs.map(\.1).joined(separator: "\n").utf8).write(to: answers)
        let ingest = try cli.run(["ingest", answers.path, "--model", "qa+adapter", "--db", db])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let query = try cli.run(["query", "What is GPU?", "--model", "qa+adapter", "--db", db, "--json", "-k", "2"])
        XCTAssertEqual(query.status, 0, query.stderr)
        let answer = try jsonObject(query.stdout)
        XCTAssertEqual(answer["collection"] as? String, "qa+adapter")
        XCTAssertEqual((answer["results"] as? [[String: Any]])?.first?["text"] as? String, pairs[0].1)

        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        let adapters = try XCTUnwrap(info["adapters"] as? [[String: Any]])
        XCTAssertEqual(adapters.first?["name"] as? String, "qa+adapter")
        XCTAssertEqual(adapters.first?["base_collection"] as? String, "minilm")

        let compare = try cli.run(["compare", "--models", "minilm,qa+adapter", "--db", db, "--json"])
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertNotNil((try jsonObject(compare.stdout)["models"] as? [String: Any])?["qa+adapter"])

        let fixed = try cli.run(["query", "What is GPU?", "--model", "qa+adapter", "--pooling", "mean", "--db", db])
        XCTAssertNotEqual(fixed.status, 0)
        XCTAssertTrue(fixed.stderr.contains("'qa+adapter' is an adapter"), fixed.stderr)

        let noData = try cli.run(["train", "--model", "minilm", "--db", db])
        XCTAssertNotEqual(noData.status, 0)
        XCTAssertTrue(noData.stderr.contains("give --dataset DIR or --pairs FILE"), noData.stderr)
    }
}
