import Foundation
import TestSupport
import VecDB
import XCTest

/// A full disk, simulated by a file size limit (`ulimit -f`, with SIGXFSZ ignored so that the write fails with
/// EFBIG instead of killing the process): one clear line, a non-zero exit, and a database that opens, passes its
/// check and holds every batch committed before.
final class DiskFullTests: XCTestCase {
    func testFileSizeLimitIsAClearErrorAndKeepsCommittedBatches() throws {
        let cli = CLI()
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let lines = syntheticSentences(600, seed: 17)
        let input = folder.appendingPathComponent("notes.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        // 4 MiB (ulimit -f counts KiB): room for a batch or two of 100 documents (the index writes its vectors in
        // 1.5 MB blocks, copied on write), not for 600.
        let limited = ["/bin/bash", "-c", "trap '' XFSZ; ulimit -f 4096; exec \"$0\" \"$@\""]
        let result = try cli.run(["ingest", input.path, "--db", db, "--batch-size", "100", "--progress", "json"], wrapper: limited)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("the disk is full, a file size limit was reached"), result.stderr)
        XCTAssertTrue(result.stderr.contains("earlier commits are intact"), result.stderr)
        let commits = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let committed = try XCTUnwrap(commits.last?["lines_committed"] as? Int)
        XCTAssertGreaterThan(committed, 0)
        XCTAssertLessThan(committed, lines.count)

        let check = try cli.run(["check", "--db", db])
        XCTAssertEqual(check.status, 0, check.stderr)
        do {
            let database = try VectorDatabase(path: db, create: false, readOnly: true)
            XCTAssertEqual(try database.documentCount(), committed)
            XCTAssertEqual(try database.collection(named: "minilm")?.count, committed)
            for id in [0, committed / 2, committed - 1] {
                XCTAssertEqual(try database.document(id: UInt64(id))?.text, lines[id])
            }
        }
        // With room again, the same command finishes the file.
        let resumed = try cli.run(["ingest", input.path, "--db", db, "--batch-size", "100", "--json"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try jsonObject(resumed.stdout)["added"] as? Int, lines.count - committed)
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)
    }
}
