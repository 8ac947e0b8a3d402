import Foundation
import LMDB
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

final class DatabaseTests: XCTestCase {

    func testSeedQuestionsFindTheirAnswersWithReferenceScores() throws {
        let embedder = try TestModel.load()
        let seed = try SeedPairs.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        let summary = try db.ingest(from: try reader(self, seed.answers.joined(separator: "\n")), embedder: embedder)
        XCTAssertEqual(summary.added, 2)
        for (q, question) in seed.questions.enumerated() {
            let results = try db.query(question, embedder: embedder, k: 2)
            XCTAssertEqual(results.hits.first?.document.text, seed.answers[q])
            for hit in results.hits {
                let a = seed.answers.firstIndex(of: hit.document.text)!
                XCTAssertEqual(Double(hit.score), seed.minilm[q][a], accuracy: 0.0005)
            }
        }
    }

    func testDocumentsAreStoredOnceAndJSONLIdsUpsert() throws {
        let embedder = try TestModel.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var summary = try db.ingest(from: try reader(self, "alpha beta\nalpha beta\n\ngamma delta\n"), embedder: embedder)
        XCTAssertEqual([summary.added, summary.alreadyPresent, summary.skippedBlank], [2, 1, 1])
        summary = try db.ingest(from: try reader(self, "gamma delta\nepsilon\n"), embedder: embedder)
        XCTAssertEqual([summary.added, summary.alreadyPresent], [1, 1])
        XCTAssertEqual(try db.documentCount(), 3)

        let jsonl = #"{"id": "doc-1", "text": "The cat sat on the mat.", "lang": "en"}"#
        summary = try db.ingest(from: try reader(self, jsonl, name: "a.jsonl"), embedder: embedder)
        XCTAssertEqual(summary.added, 1)
        let id = try XCTUnwrap(try db.documentID(externalID: "doc-1"))
        XCTAssertEqual(try db.document(id: id)?.metadataJSON, #"{"lang":"en"}"#)

        let changed = #"{"id": "doc-1", "text": "Stock markets fell sharply today.", "lang": "en"}"#
        summary = try db.ingest(from: try reader(self, changed, name: "b.jsonl"), embedder: embedder)
        XCTAssertEqual([summary.added, summary.updated], [0, 1])
        XCTAssertEqual(try db.document(id: id)?.text, "Stock markets fell sharply today.")
        XCTAssertEqual(try db.documentCount(), 4)
        let hit = try db.query("finance news about shares dropping", embedder: embedder, k: 1).hits[0]
        XCTAssertEqual(hit.document.id, id, "the replaced vector must describe the new text")
        XCTAssertEqual(try db.collections().first?.count, 4)
        XCTAssertEqual(try db.check(), [])
    }

    func testCanonicallyEquivalentTextsAreDistinctDocuments() throws {
        let embedder = try TestModel.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        // "café" precomposed (U+00E9) and decomposed (e + U+0301): equal as Swift Strings, different texts.
        let summary = try db.ingest(from: try reader(self, "caf\u{E9}\ncafe\u{301}\n"), embedder: embedder)
        XCTAssertEqual(summary.added, 2)
    }

    func testSecondCollectionReusesStoredDocuments() throws {
        let embedder = try TestModel.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        _ = try db.ingest(from: try reader(self, "one\ntwo\n"), embedder: embedder)
        let summary = try db.ingest(from: try reader(self, "two\nthree\n"),
                                    embedder: try SpaceEmbedder(embedder.reference, collection: "minilm-copy"))
        XCTAssertEqual([summary.added, summary.embedded, summary.alreadyPresent], [1, 1, 0])
        XCTAssertEqual(try db.documentCount(), 3)
        XCTAssertEqual(try db.collections().map(\.name), ["minilm", "minilm-copy"])
        XCTAssertEqual(try db.collections().map(\.count), [2, 2])
        XCTAssertEqual(try db.check(), [])
    }

    func testDeleteRemovesDocumentAndVectorsAtomically() throws {
        let embedder = try TestModel.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        _ = try db.ingest(from: try reader(self, "red apple\ngreen pear\nyellow banana\n"), embedder: embedder)
        XCTAssertEqual(try db.delete(ids: [1]), [1])
        XCTAssertThrowsError(try db.delete(ids: [0, 99], requireAll: true))
        XCTAssertEqual(try db.documentCount(), 2, "a failed delete removes nothing")
        let texts = try db.query("pear", embedder: embedder, k: 10).hits.map(\.document.text)
        XCTAssertEqual(Set(texts), ["red apple", "yellow banana"])
        XCTAssertEqual(try db.check(), [])
        // The text is new again: stored under a new id, ids are never reused.
        _ = try db.ingest(from: try reader(self, "green pear\n"), embedder: embedder)
        XCTAssertNotNil(try db.document(id: 3))
    }

    func testModelWithOtherWeightsIsRefused() throws {
        let embedder = try TestModel.load()
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        _ = try db.ingest(from: try reader(self, "one\n"), embedder: embedder)
        var reference = embedder.reference
        reference.weightsSHA256 = String(repeating: "0", count: 64)
        let other = try SpaceEmbedder(reference)
        XCTAssertThrowsError(try db.query("one", embedder: other, k: 1)) { error in
            XCTAssertTrue("\(error)".contains("was built with weights sha256 53aa51172d14"), "\(error)")
        }
        XCTAssertThrowsError(try db.ingest(from: try reader(self, "two\n"), embedder: other))
        XCTAssertEqual(try db.documentCount(), 1)
    }

    func testCheckNamesCorruption() throws {
        let embedder = try TestModel.load()
        let path = temporaryDatabasePath(self)
        do {
            let db = try VectorDatabase(path: path, create: true)
            _ = try db.ingest(from: try reader(self, "one\ntwo\n"), embedder: embedder)
        }
        // Remove one vector behind the database's back: the collection's count no longer matches.
        do {
            let env = try Environment(path: path)
            let vectors = try env.openDatabase("vectors", create: false)!
            try env.write { txn in
                var first: [UInt8] = []
                try txn.forEach(vectors) { key, _ in first = Array(key); return false }
                XCTAssertTrue(try txn.delete(vectors, key: first))
            }
        }
        let problems = try VectorDatabase(path: path, create: false).check()
        XCTAssertEqual(problems, ["collections: 'minilm' says 2 vectors, has 1", "hnsw: 'minilm' index holds 2 vectors, the collection 1"])
    }

    /// Older versions created the tables one transaction each and stamped the format last: a crash in between left
    /// an empty, unstamped environment. Readers call it no database; the next writer finishes creating it.
    func testACreationCutShortIsFinishedByTheNextWriter() throws {
        let path = temporaryDatabasePath(self)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        do {
            let env = try Environment(path: path)
            _ = try env.openDatabase("meta", create: true)
            _ = try env.openDatabase("documents", create: true)
        }
        XCTAssertThrowsError(try VectorDatabase(path: path, create: false, readOnly: true)) { error in
            XCTAssertEqual(error as? VecDBError, .noDatabase(path: path, interrupted: true))
            XCTAssertEqual("\(error)", "no vecdb database at \(path) (its creation was interrupted)")
        }
        let db = try VectorDatabase(path: path, create: true)
        XCTAssertEqual(try db.check(), [])
        XCTAssertEqual(try db.documentCount(), 0)
    }

    func testOpeningSomethingElseIsAClearError() throws {
        let folder = temporaryDatabasePath(self)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        XCTAssertThrowsError(try VectorDatabase(path: folder, create: true)) { error in
            XCTAssertEqual(error as? VecDBError,
                           .notADatabase(path: folder, reason: "is a folder that is not a vecdb database (it has no data.mdb)"))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), ["notes.txt"])
        XCTAssertThrowsError(try VectorDatabase(path: folder + "/absent", create: false)) { error in
            XCTAssertTrue("\(error)".hasPrefix("no vecdb database at"))
        }
    }

    func testNewDatabaseIsPrivate() throws {
        let path = temporaryDatabasePath(self)
        _ = try VectorDatabase(path: path, create: true)
        let folder = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((folder[.posixPermissions] as? NSNumber)?.intValue, 0o700)
        let data = try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
        XCTAssertEqual((data[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }
}
