import Foundation
import LMDB
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// Damage written straight into LMDB behind the database's back: `check` names each violation, `repair` fixes
/// what is safe to fix, each step in one transaction, and leaves the rest as it found it.
final class RepairTests: XCTestCase {
    /// A database holding "one", "two", "three" (documents 0, 1, 2) in collection `minilm` (id 0), with its index.
    private func database() throws -> String {
        let path = temporaryDatabasePath(self)
        let db = try VectorDatabase(path: path, create: true)
        _ = try db.ingest(from: try reader(self, "one\ntwo\nthree\n"), embedder: try TestModel.load())
        XCTAssertEqual(try db.check(), [])
        return path
    }

    /// Writes into the database's tables in one LMDB transaction, as a bug or a stray tool would.
    private func damage(_ path: String, _ body: (Transaction, (String) throws -> Database) throws -> Void) throws {
        let env = try Environment(path: path, options: { var o = Environment.Options(); o.maxDatabases = 16; return o }())
        // Handles are opened before the write transaction: LMDB opens them in a transaction of their own.
        var tables: [String: Database] = [:]
        for name in ["meta", "documents", "keys", "collections", "vectors", "hnsw", "metadata"] {
            tables[name] = try XCTUnwrap(try env.openDatabase(name, create: false))
        }
        try env.write { txn in try body(txn) { try XCTUnwrap(tables[$0]) } }
    }

    private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }
    private func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

    /// The `keys` entry that points at document `id`.
    private func key(of id: UInt64, in txn: Transaction, _ keys: Database) throws -> [UInt8] {
        var found: [UInt8]?
        try txn.forEach(keys) { key, value in
            if Array(value) == bigEndian(id) { found = Array(key) }
            return found == nil
        }
        return try XCTUnwrap(found)
    }

    func testVectorsOfADeletedDocumentAreRemovedAndCountsAndIndexFollow() throws {
        let path = try database()
        try damage(path) { txn, table in
            XCTAssertTrue(try txn.delete(table("keys"), key: try key(of: 1, in: txn, try table("keys"))))
            XCTAssertTrue(try txn.delete(table("documents"), key: bigEndian(UInt64(1))))
        }
        let db = try VectorDatabase(path: path, create: false)
        XCTAssertEqual(try db.check(), [
            "vectors: 'minilm' has a vector for missing document 1",
            "collections: 'minilm' says 3 vectors, has 2",
            "hnsw: 'minilm' index holds 3 vectors, the collection 2",
        ])
        let report = try db.repair()
        XCTAssertEqual(report.repaired, [
            "vectors: 'minilm' has a vector for missing document 1: vector removed",
            "collections: 'minilm' says 3 vectors, has 2: count set to 2",
            "hnsw: 'minilm' index holds 3 vectors, the collection 2: index rebuilt from the stored vectors",
        ])
        XCTAssertEqual(report.remaining, [])
        XCTAssertEqual(try db.check(), [])
        XCTAssertEqual(try db.indexMetadata(collection: "minilm")?.count, 2)
        let hits = try db.query("two", embedder: try TestModel.load(), k: 3, mode: .index(ef: 10)).hits.map(\.document.id)
        XCTAssertEqual(Set(hits), [0, 2])
    }

    func testKeysCountersAndStrayVectorsAreRepaired() throws {
        let path = try database()
        try damage(path) { txn, table in
            let keys = try table("keys")
            try txn.put(keys, key: Array("sha256:stray".utf8), value: bigEndian(UInt64(0)))
            XCTAssertTrue(try txn.delete(keys, key: try key(of: 2, in: txn, keys)))
            try txn.put(table("meta"), key: Array("next_document_id".utf8), value: littleEndian(UInt64(1)))
            try txn.put(table("vectors"), key: bigEndian(UInt32(7)) + bigEndian(UInt64(0)), value: [0, 0, 128, 63])
        }
        let db = try VectorDatabase(path: path, create: false)
        let problems = try db.check()
        XCTAssertEqual(problems.count, 4, "\(problems)")
        XCTAssertEqual(problems[0], "documents: document 2 is not below next_document_id 1")
        XCTAssertEqual(problems[1], "keys: 'sha256:stray' points at document 0, which does not have that key")
        XCTAssertTrue(problems[2].hasPrefix("keys: document 2's key 'sha256:") && problems[2].hasSuffix("' is missing"), problems[2])
        XCTAssertEqual(problems[3], "vectors: vector of document 0 in unknown collection 7")
        let report = try db.repair()
        XCTAssertEqual(report.repaired.count, 4, "\(report.repaired)")
        XCTAssertEqual(report.remaining, [])
        XCTAssertEqual(try db.check(), [])
        // The restored key finds the document again: ingesting its text adds nothing.
        let again = try db.ingest(from: try reader(self, "three\n"), embedder: try TestModel.load())
        XCTAssertEqual(again.alreadyPresent, 1)
        XCTAssertEqual(try db.documentCount(), 3)
    }

    func testABrokenIndexIsRebuiltFromTheVectors() throws {
        let path = try database()
        try damage(path) { txn, table in
            // Document 1's id → node entry of collection 0 (docs/INDEX.md: c₄ 04 id₈).
            XCTAssertTrue(try txn.delete(table("hnsw"), key: bigEndian(UInt32(0)) + [4] + bigEndian(UInt64(1))))
        }
        let db = try VectorDatabase(path: path, create: false)
        let problems = try db.check()
        XCTAssertEqual(problems.first, "hnsw: 'minilm' index lacks the vector of document 1")
        XCTAssertTrue(problems.contains("hnsw: 'minilm': document 1 maps to node none, not 1"), "\(problems)")
        let report = try db.repair()
        XCTAssertEqual(report.repaired.count, problems.count)
        XCTAssertTrue(report.repaired.allSatisfy { $0.hasSuffix(": index rebuilt from the stored vectors") })
        XCTAssertEqual(try db.check(), [])
        let hits = try db.query("two", embedder: try TestModel.load(), k: 3, mode: .index(ef: 10)).hits.map(\.document.id)
        XCTAssertEqual(Set(hits), [0, 1, 2])
    }

    func testALinkToAMissingNodeIsFoundAndTheIndexRebuilt() throws {
        let path = try database()
        try damage(path) { txn, table in
            // Layer-0 link block 0 of collection 0 (c₄ 02 b₄); node 0's record starts with its count, then its
            // neighbours: the first becomes a node number far past the three that exist.
            let key = bigEndian(UInt32(0)) + [2] + bigEndian(UInt32(0))
            var block = try XCTUnwrap(try txn.value(table("hnsw"), for: key))
            block.replaceSubrange(4..<8, with: littleEndian(UInt32(0x7FFF_F000)))
            try txn.put(table("hnsw"), key: key, value: block)
        }
        let db = try VectorDatabase(path: path, create: false)
        // Searching the damaged graph fails with the damage named, instead of reading past the visited table.
        XCTAssertThrowsError(try db.query("two", embedder: try TestModel.load(), k: 3, mode: .index(ef: 10))) { error in
            XCTAssertTrue("\(error)".contains("links to missing node 2147479552"), "\(error)")
        }
        let problems = try db.check()
        XCTAssertTrue(problems.contains("hnsw: 'minilm': node 0 links to missing node 2147479552 on layer 0"), "\(problems)")
        XCTAssertEqual(try db.repair().remaining, [])
        let hits = try db.query("two", embedder: try TestModel.load(), k: 3, mode: .index(ef: 10)).hits.map(\.document.id)
        XCTAssertEqual(Set(hits), [0, 1, 2])
    }

    func testAStrayOrMissingMetadataPostingIsFoundAndTheMetadataIndexRebuilt() throws {
        let path = temporaryDatabasePath(self)
        do {
            let db = try VectorDatabase(path: path, create: true)
            try db.write { batch in
                try batch.putDocument(text: "a", externalID: "a", metadataJSON: #"{"lang":"en"}"#)
                try batch.putDocument(text: "b", externalID: "b", metadataJSON: #"{"lang":"de","year":2020}"#)
            }
            XCTAssertEqual(try db.check(), [])
        }
        try damage(path) { txn, table in
            // Document 1's "lang" = "de" posting goes (FORMAT.md: field 00 tag value id), and document 7 gains one.
            let de = Array("lang".utf8) + [0, 4] + Array("de".utf8)
            XCTAssertTrue(try txn.delete(table("metadata"), key: de + bigEndian(UInt64(1))))
            try txn.put(table("metadata"), key: Array("lang".utf8) + [0, 4] + Array("en".utf8) + bigEndian(UInt64(7)), value: [])
        }
        let db = try VectorDatabase(path: path, create: false)
        XCTAssertEqual(try db.check(), [
            "metadata: a posting for document 7 that its metadata does not hold",
            "metadata: 1 postings of the documents' metadata are missing",
        ])
        let report = try db.repair()
        XCTAssertEqual(report.repaired.count, 2)
        XCTAssertTrue(report.repaired.allSatisfy { $0.hasSuffix(": metadata index rebuilt from the documents") }, "\(report.repaired)")
        XCTAssertEqual(try db.check(), [])
        XCTAssertEqual(try db.read { try $0.documents(matching: try MetadataFilter(json: #"{"lang": "de"}"#)) }.ids, [1])
    }

    func testAnIndexWithoutItsMetadataIsRebuilt() throws {
        let path = try database()
        try damage(path) { txn, table in XCTAssertTrue(try txn.delete(table("hnsw"), key: bigEndian(UInt32(0)) + [0])) }
        let db = try VectorDatabase(path: path, create: false)
        XCTAssertEqual(try db.check(), ["hnsw: 'minilm' declares an index that does not exist"])
        XCTAssertEqual(try db.repair().remaining, [])
        XCTAssertEqual(try db.indexMetadata(collection: "minilm")?.count, 3)
    }

    func testUnrepairableDamageIsReportedAndLeftAsItIs() throws {
        let path = try database()
        let garbage: [UInt8] = [9, 9, 9]
        try damage(path) { txn, table in
            try txn.put(table("documents"), key: bigEndian(UInt64(2)), value: garbage)
            let vectors = try table("vectors")
            let key = bigEndian(UInt32(0)) + bigEndian(UInt64(0))
            let doubled = try XCTUnwrap(try txn.value(vectors, for: key)).withUnsafeBytes { raw in
                (0..<raw.count / 4).map { 2 * raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            }
            try txn.putAppendingWhenLast(vectors, key: key, floats: doubled)
        }
        let db = try VectorDatabase(path: path, create: false)
        let problems = try db.check()
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertEqual(problems[0], "documents: document 2 does not decode")
        let prefix = "vectors: 'minilm' document 0 has norm² "
        XCTAssertTrue(problems[1].hasPrefix(prefix) && problems[1].hasSuffix(", expected 1"), problems[1])
        let norm = Float(problems[1].dropFirst(prefix.count).prefix { $0 != "," })
        XCTAssertEqual(try XCTUnwrap(norm), 4, accuracy: 1e-4)
        let report = try db.repair()
        XCTAssertEqual(report.repaired, [], "the undecodable document's key and vectors are kept")
        XCTAssertEqual(report.remaining, problems)
        try damage(path) { txn, table in XCTAssertEqual(try txn.value(table("documents"), for: bigEndian(UInt64(2))), garbage) }
    }

    func testAnUnknownFormatVersionIsNotTouched() throws {
        let path = try database()
        try damage(path) { txn, table in
            try txn.put(table("meta"), key: Array("format".utf8), value: littleEndian(UInt32(0)))
            XCTAssertTrue(try txn.delete(table("hnsw"), key: bigEndian(UInt32(0)) + [0]))
        }
        let db = try VectorDatabase(path: path, create: false)
        let problems = try db.check()
        XCTAssertEqual(problems, ["meta: format version 0, expected 1 to 4", "hnsw: 'minilm' declares an index that does not exist"])
        let report = try db.repair()
        XCTAssertEqual(report.repaired, [])
        XCTAssertEqual(report.remaining, problems)
    }
}
