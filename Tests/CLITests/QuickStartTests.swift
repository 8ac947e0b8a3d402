import Foundation
import TestSupport
import XCTest

final class QuickStartTests: XCTestCase {
    private let cli = CLI()

    /// The README's main job: ingest answers, ask a question, the right answer comes first.
    func testIngestThenQueryRanksTheRightAnswerFirst() throws {
        let (db, answers) = try seedAnswers(self, extra: "The Eiffel Tower is a wrought-iron lattice tower in Paris.")
        let ingest = try cli.run(["ingest", answers.path, "--db", db])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertTrue(ingest.stdout.hasPrefix("3 added, 0 updated"), ingest.stdout)

        let query = try cli.run(["query", "What is GPU?", "--db", db, "-k", "2", "--json"])
        XCTAssertEqual(query.status, 0, query.stderr)
        let results = try XCTUnwrap(try jsonObject(query.stdout)["results"] as? [[String: Any]])
        XCTAssertEqual(results.count, 2)
        XCTAssertTrue((results[0]["text"] as? String)?.hasPrefix("A graphics processing unit") ?? false)
        // sentence-transformers gives 0.7902 for this pair (../shared/reference/minilm_embeddings.json).
        XCTAssertEqual(try XCTUnwrap(results[0]["score"] as? Double), 0.7902, accuracy: 0.0005)

        let embed = try cli.run(["embed", "What is GPU?"])
        let vector = try XCTUnwrap(try jsonObject(embed.stdout)["vector"] as? [Double])
        XCTAssertEqual(vector.count, 384)
        XCTAssertEqual(vector.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)

        let tokens = try jsonObject(try cli.run(["tokenize", "What is GPU?"]).stdout)
        XCTAssertEqual(tokens["ids"] as? [Int], [101, 2054, 2003, 14246, 2226, 1029, 102])

        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        let blas = try XCTUnwrap(info["blas"] as? [String: Any])
        XCTAssertNotNil(blas["core"] as? String, "\(blas)")
        XCTAssertLessThan(try XCTUnwrap(blas["check_relative_error"] as? Double), 1e-4)

        let delete = try cli.run(["delete", "1", "--db", db])
        XCTAssertEqual(delete.stdout, "deleted 1 document\n")
        let after = try XCTUnwrap(try jsonObject(try cli.run(["query", "What is GPU?", "--db", db, "--json"]).stdout)["results"] as? [[String: Any]])
        XCTAssertEqual(after.count, 2)
        XCTAssertFalse(after.contains { ($0["id"] as? Int) == 1 })
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)
    }
}

final class BackupTests: XCTestCase {
    func testCompactBackupAfterDeletesIsSmallerAndComplete() throws {
        let cli = CLI()
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let input = folder.appendingPathComponent("notes.txt")
        try Data((syntheticSentences(600, seed: 5).joined(separator: "\n") + "\n").utf8).write(to: input)
        XCTAssertEqual(try cli.run(["ingest", input.path, "--db", db]).status, 0)
        XCTAssertEqual(try cli.run(["delete", "--db", db] + (0..<500).map(String.init)).status, 0)
        let copy = folder.appendingPathComponent("copy").path
        let result = try cli.run(["backup", copy, "--compact", "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("backed up 100 documents"), result.stdout)
        XCTAssertEqual(try cli.run(["check", "--db", copy]).status, 0)
        let original = try FileManager.default.attributesOfItem(atPath: db + "/data.mdb")[.size] as! Int
        let compacted = try FileManager.default.attributesOfItem(atPath: copy + "/data.mdb")[.size] as! Int
        XCTAssertLessThan(compacted, original)
        let again = try cli.run(["backup", copy, "--db", db])
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("exists; give a new folder"), again.stderr)
    }
}
