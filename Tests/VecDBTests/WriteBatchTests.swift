import Foundation
import VecDB
import XCTest

/// The write path: every mutation goes through `VectorDatabase.write`, which tells registered secondary indexes of
/// each document change inside the same transaction, and commits all of it or nothing.
final class WriteBatchTests: XCTestCase {
    /// Records what the write path tells it; optionally refuses a document, as a full or broken index would.
    private final class RecordingIndex: DocumentIndex {
        var events: [String] = []
        var refuse: String?

        func didStore(_ document: Document, replacing previous: Document?, in batch: WriteBatch) throws {
            if document.text == refuse { throw VecDBError.invalidArgument("refused '\(document.text)'") }
            events.append(previous.map { "replace \(document.id): \($0.text) -> \(document.text)" } ?? "store \(document.id): \(document.text)")
        }

        func didDelete(_ document: Document, in batch: WriteBatch) throws {
            events.append("delete \(document.id): \(document.text)")
        }

        func willCommit(_ batch: WriteBatch) throws {
            events.append("commit")
        }
    }

    func testSecondaryIndexSeesEveryDocumentChangeOncePerBatch() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 2, index: nil)
        let index = RecordingIndex()
        db.register(index)

        let ids = try db.addVectors(collection: "raw", [(id: "a", text: "alpha", vector: [1, 0]), (id: "b", text: "beta", vector: [0, 1])])
        try db.addVectors(collection: "raw", [(id: "a", text: "alpha", vector: [1, 1])]) // same text: no document change
        try db.addVectors(collection: "raw", [(id: "b", text: "bravo", vector: [0, 1])])
        try db.delete(ids: [ids[0]])

        XCTAssertEqual(index.events, [
            "store 0: alpha", "store 1: beta", "commit",
            "commit",
            "replace 1: beta -> bravo", "commit",
            "delete 0: alpha", "commit",
        ])
    }

    func testAThrowingSecondaryIndexRollsBackTheWholeBatch() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 2, index: nil)
        let index = RecordingIndex()
        index.refuse = "second"
        db.register(index)
        try db.addVectors(collection: "raw", [(id: "x", text: "kept", vector: [1, 0])])

        XCTAssertThrowsError(try db.addVectors(collection: "raw", [
            (id: "y", text: "first", vector: [1, 0]), (id: "z", text: "second", vector: [0, 1]),
        ])) { error in
            XCTAssertEqual(error as? VecDBError, .invalidArgument("refused 'second'"))
        }
        XCTAssertEqual(try db.documentCount(), 1)
        XCTAssertEqual(try db.collection(named: "raw")?.count, 1)
        XCTAssertNil(try db.documentID(externalID: "y"))
        XCTAssertEqual(try db.check(), [])
    }

    func testPutDocumentReportsWhatChangedAndNewTextDropsEveryVector() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "a", dimensions: 2, index: nil)
        try db.createRawCollection(name: "b", dimensions: 2, index: nil)
        let changes = try db.write { batch -> [WriteBatch.DocumentChange] in
            let (id, added) = try batch.putDocument(text: "one", externalID: "d", metadataJSON: nil)
            try batch.putVector([1, 0], collection: "a", document: id)
            try batch.putVector([0, 1], collection: "b", document: id)
            let unchanged = try batch.putDocument(text: "one", externalID: "d", metadataJSON: nil).change
            let metadata = try batch.putDocument(text: "one", externalID: "d", metadataJSON: #"{"k":1}"#).change
            XCTAssertTrue(try batch.hasVector(collection: batch.collection(named: "a")!, document: id), "metadata keeps vectors")
            let text = try batch.putDocument(text: "two", externalID: "d", metadataJSON: #"{"k":1}"#).change
            XCTAssertFalse(try batch.hasVector(collection: batch.collection(named: "a")!, document: id))
            XCTAssertFalse(try batch.hasVector(collection: batch.collection(named: "b")!, document: id))
            return [added, unchanged, metadata, text]
        }
        XCTAssertEqual(changes, [.added, .unchanged, .updated(textChanged: false), .updated(textChanged: true)])
        XCTAssertEqual(try db.collections().map(\.count), [0, 0])
        XCTAssertEqual(try db.check(), [])
    }

    func testStoreErrorsAreCasesAProgramCanSwitchOn() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 3, index: nil)
        XCTAssertThrowsError(try db.createRawCollection(name: "raw", dimensions: 3)) {
            XCTAssertEqual($0 as? VecDBError, .alreadyExists(.collection("raw")))
        }
        XCTAssertThrowsError(try db.search(collection: "nothere", query: [1, 0, 0], k: 1)) {
            XCTAssertEqual($0 as? VecDBError, .notFound(.collection("nothere", available: ["raw"])))
        }
        XCTAssertThrowsError(try db.addVectors(collection: "raw", [(id: "v", text: "v", vector: [1, 0])])) {
            guard case .invalidArgument = $0 as? VecDBError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try db.delete(ids: [7], requireAll: true)) {
            XCTAssertEqual($0 as? VecDBError, .notFound(.document(7)))
        }
        let missing = NSTemporaryDirectory() + "vecdb-missing-\(UUID().uuidString)"
        XCTAssertThrowsError(try VectorDatabase(path: missing, create: false)) {
            XCTAssertEqual($0 as? VecDBError, .noDatabase(path: missing))
        }
    }

    func testOneSnapshotKeepsItsStateWhileABatchCommits() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 2, index: nil)
        try db.addVectors(collection: "raw", [(id: "a", text: "a", vector: [1, 0])])
        // The write runs on another thread while this snapshot is open: LMDB readers never block the writer.
        try db.read { snapshot in
            let before = try snapshot.documentCount()
            let done = DispatchSemaphore(value: 0)
            DispatchQueue.global().async {
                _ = try? db.addVectors(collection: "raw", [(id: "b", text: "b", vector: [0, 1])])
                done.signal()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 30), .success)
            XCTAssertEqual(try snapshot.documentCount(), before)
            XCTAssertEqual(snapshot.collection(named: "raw")?.count, 1)
            XCTAssertEqual(try snapshot.nearest(collection: "raw", query: [0, 1], k: 5, mode: .exact).count, 1)
        }
        XCTAssertEqual(try db.documentCount(), 2)
    }
}
