import Foundation
import VecDB
import XCTest

/// Issue 12's must-show: databases written by the last release (vecdb at c499e69, Tests/Golden/old-db/make.sh) open and
/// answer unchanged — `check` passes, queries give the answers that release gave (minilm, smollm2, a trained
/// adapter, the HNSW index with a deleted node, a raw-vector collection), and a new ingest, a delete and an index
/// rebuild work on them and leave them sound. Compared as OutputStabilityTests compares (Golden).
///
/// `VECDB_GOLDEN_BINARY` runs another vecdb binary for the CLI steps (the release that wrote the fixture passes).
final class OldDatabaseTests: XCTestCase {
    let fixture = Golden.fixtures.appendingPathComponent("old-db")

    func testOldDatabasesOpenAnswerAndTakeWrites() throws {
        let scratch = try temporaryFolder(self)
        // Committed as answers/ and raw/ (.gitignore ignores *.vecdb folders).
        for name in ["answers", "raw"] {
            try Golden.copy(fixture.appendingPathComponent(name), to: scratch.appendingPathComponent(name + ".vecdb"))
        }
        try Golden.copy(fixture.appendingPathComponent("new.txt"), to: scratch.appendingPathComponent("new.txt"))

        // The raw-vector collection through the library: each query's top hit by index search (ef 40), as the old
        // ann-bench found it.
        do {
            let db = try VectorDatabase(path: scratch.appendingPathComponent("raw.vecdb").path, create: false, readOnly: true)
            let queries = try Data(contentsOf: fixture.appendingPathComponent("raw-queries.f32")).withUnsafeBytes {
                Array($0.bindMemory(to: Float.self))
            }
            let row0 = try XCTUnwrap(try db.documentID(externalID: "0"))
            let expected = try String(contentsOf: fixture.appendingPathComponent("raw-expected.txt"), encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: " ").map { Double($0)! } }
            XCTAssertEqual(expected.count, 4)
            for line in expected {
                let query = Int(line[0])
                let hits = try db.nearest(collection: "bench", query: Array(queries[query * 24..<(query + 1) * 24]), k: 10,
                                          mode: .index(ef: 40))
                let top = try XCTUnwrap(hits.first)
                XCTAssertEqual(Double(top.id - row0), line[1], "query \(query): top row")
                XCTAssertEqual(Double(top.score), line[2], accuracy: Golden.tolerance, "query \(query): top score")
            }
        }

        // Issue 13: the old release had no metadata index. Read-only, filters say what is needed; the first writable
        // open builds the index from the stored documents, and it answers as their metadata say.
        do {
            let path = scratch.appendingPathComponent("answers.vecdb").path
            let english = try MetadataFilter(json: #"{"lang": "en"}"#)
            do {
                let db = try VectorDatabase(path: path, create: false, readOnly: true)
                XCTAssertThrowsError(try db.read { try $0.documents(matching: english) }) {
                    XCTAssertEqual($0 as? VecDBError, .needsUpgrade(path: path, table: "metadata"))
                }
            }
            let db = try VectorDatabase(path: path, create: false)
            var expected: Set<UInt64> = []
            for id in UInt64(0)..<64 {
                guard let metadata = try db.document(id: id)?.metadataJSON,
                      let object = try JSONSerialization.jsonObject(with: Data(metadata.utf8)) as? [String: Any] else { continue }
                if object["lang"] as? String == "en" { expected.insert(id) }
            }
            XCTAssertFalse(expected.isEmpty)
            XCTAssertEqual(Set(try db.read { try $0.documents(matching: english) }.ids), expected)
            XCTAssertEqual(try db.check(), [])
        }

        let steps = try Golden.steps(fixture.appendingPathComponent("steps.tsv"))
        XCTAssertGreaterThanOrEqual(steps.count, 20)
        let problems = try Golden.runAndCompare(steps, cli: Golden.cli(), scratch: scratch,
                                                expected: fixture.appendingPathComponent("expected"))
        XCTAssertTrue(problems.isEmpty, "\(problems.count) differences from the old release's answers:\n" + problems.joined(separator: "\n"))
    }
}
