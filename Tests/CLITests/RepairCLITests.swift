import Foundation
import LMDB
import XCTest

/// `vecdb check` names the first violation and exits 1; `vecdb check --repair` prints each repair and leaves a
/// database that passes.
final class RepairCLITests: XCTestCase {
    func testCheckFailsAndRepairFixesAVanishedDocument() throws {
        let cli = CLI()
        let (db, answers) = try seedAnswers(self, extra: "Rivers flow to the sea.")
        XCTAssertEqual(try cli.run(["ingest", answers.path, "--db", db]).status, 0)
        // Document 1 disappears with its key, as a stray tool might leave it; its vector stays.
        do {
            let env = try Environment(path: db, options: { var o = Environment.Options(); o.maxDatabases = 16; return o }())
            let documents = try XCTUnwrap(try env.openDatabase("documents", create: false))
            let keys = try XCTUnwrap(try env.openDatabase("keys", create: false))
            try env.write { txn in
                var key: [UInt8] = []
                try txn.forEach(keys) { k, value in
                    if Array(value) == [0, 0, 0, 0, 0, 0, 0, 1] { key = Array(k) }
                    return key.isEmpty
                }
                XCTAssertTrue(try txn.delete(keys, key: key))
                XCTAssertTrue(try txn.delete(documents, key: [0, 0, 0, 0, 0, 0, 0, 1]))
            }
        }
        let check = try cli.run(["check", "--db", db])
        XCTAssertEqual(check.status, 1)
        XCTAssertEqual(check.stderr, "Error: check failed: vectors: 'minilm' has a vector for missing document 1 (and 2 more)\n")

        let repair = try cli.run(["check", "--repair", "--db", db])
        XCTAssertEqual(repair.status, 0, repair.stderr)
        XCTAssertEqual(repair.stdout, """
            repaired: vectors: 'minilm' has a vector for missing document 1: vector removed
            repaired: collections: 'minilm' says 3 vectors, has 2: count set to 2
            repaired: hnsw: 'minilm' index holds 3 vectors, the collection 2: index rebuilt from the stored vectors
            ok: 2 documents, 1 collection (minilm: 2)

            """)
        XCTAssertEqual(try cli.run(["check", "--db", db]).stdout, "ok: 2 documents, 1 collection (minilm: 2)\n")
    }
}
