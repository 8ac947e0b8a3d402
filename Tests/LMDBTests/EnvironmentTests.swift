import Foundation
@testable import LMDB
import XCTest

final class EnvironmentTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "lmdb-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func open(mapSize: Int = 1 << 30) throws -> (Environment, Database) {
        var options = Environment.Options()
        options.mapSize = mapSize
        let env = try Environment(path: folder, options: options)
        return (env, try env.openDatabase("things", create: true)!)
    }

    func testWriteThenReadBack() throws {
        let (env, db) = try open()
        try env.write { txn in
            try txn.put(db, key: [1], value: [10, 11])
            try txn.putAppendingWhenLast(db, key: [2], floats: [1.5, -2])
        }
        try env.read { txn in
            XCTAssertEqual(try txn.value(db, for: [1]), [10, 11])
            let floats = try txn.withValue(db, key: [2]) { raw in
                (0..<2).map { raw!.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            }
            XCTAssertEqual(floats, [1.5, -2])
            XCTAssertNil(try txn.value(db, for: [3]))
            XCTAssertEqual(try txn.count(db), 2)
        }
    }

    /// Float vectors written in key order fill their pages (two 1.5 KiB vectors per 4 KiB page), where LMDB's
    /// ordinary split would leave one per page; out of order and replaced ones still land where they belong.
    func testVectorsInKeyOrderFillTheirPages() throws {
        let (env, db) = try open()
        func vector(_ i: Int) -> [Float] { (0..<384).map { Float(i) + Float($0) / 1000 } }
        func key(_ i: Int) -> [UInt8] { [UInt8(i >> 8), UInt8(i & 255)] }
        try env.write { txn in
            for i in stride(from: 0, to: 400, by: 2) { try txn.putAppendingWhenLast(db, key: key(i), floats: vector(i)) }
        }
        try env.read { txn in XCTAssertLessThanOrEqual(try txn.pageCount(db), 100 + 3) }
        try env.write { txn in
            for i in stride(from: 1, to: 400, by: 2).reversed() { try txn.putAppendingWhenLast(db, key: key(i), floats: vector(i)) }
            try txn.putAppendingWhenLast(db, key: key(399), floats: vector(-1))
            try txn.putAppendingWhenLast(db, key: key(10), floats: vector(-2))
        }
        try env.read { txn in
            XCTAssertEqual(try txn.count(db), 400)
            for i in 0..<400 {
                let stored = try txn.withValue(db, key: key(i)) { raw in
                    (0..<384).map { raw!.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
                }
                XCTAssertEqual(stored, vector(i == 399 ? -1 : i == 10 ? -2 : i), "key \(i)")
            }
        }
    }

    func testThrowingWriteLeavesNothing() throws {
        struct Stop: Error {}
        let (env, db) = try open()
        XCTAssertThrowsError(try env.write { txn in
            try txn.put(db, key: [1], value: [1])
            throw Stop()
        })
        try env.read { txn in XCTAssertNil(try txn.value(db, for: [1])) }
    }

    func testReaderKeepsItsSnapshotWhileWriterCommits() throws {
        let (env, db) = try open()
        try env.write { txn in try txn.put(db, key: [1], value: [1]) }
        try env.read { reader in
            let snapshot = reader.id
            try env.write { txn in try txn.put(db, key: [1], value: [2]) }
            XCTAssertEqual(try reader.value(db, for: [1]), [1])
            XCTAssertEqual(reader.id, snapshot)
        }
        try env.read { txn in XCTAssertEqual(try txn.value(db, for: [1]), [2]) }
    }

    func testForEachVisitsKeysInOrderFromStart() throws {
        let (env, db) = try open()
        try env.write { txn in
            for key: UInt8 in [5, 1, 3, 9, 7] { try txn.put(db, key: [key], value: [key]) }
        }
        var seen: [UInt8] = []
        try env.read { txn in
            try txn.forEach(db, from: [4]) { key, _ in
                seen.append(key[0])
                return key[0] < 7
            }
        }
        XCTAssertEqual(seen, [5, 7])
        XCTAssertTrue(try env.write { txn in try txn.delete(db, key: [5]) })
        XCTAssertFalse(try env.write { txn in try txn.delete(db, key: [5]) })
    }

    func testFullMapIsATypedErrorAndKeepsCommittedData() throws {
        let (env, db) = try open(mapSize: 256 * 1024)
        try env.write { txn in try txn.put(db, key: [0], value: [42]) }
        var failure: LMDBError?
        do {
            try env.write { txn in
                for i in 0..<10_000 { try txn.put(db, key: Array("key\(i)".utf8), value: [UInt8](repeating: 7, count: 1000)) }
            }
        } catch let error as LMDBError {
            failure = error
        }
        XCTAssertEqual(failure?.isMapFull, true)
        XCTAssertTrue(failure?.description.contains("mdb_put") ?? false)
        try env.read { txn in
            XCTAssertEqual(try txn.value(db, for: [0]), [42])
            XCTAssertEqual(try txn.count(db), 1)
        }
    }

    func testMissingDatabaseIsNilWithoutCreate() throws {
        let (env, _) = try open()
        XCTAssertNil(try env.openDatabase("absent", create: false))
    }

    func testFilesAreCreatedPrivate() throws {
        _ = try open()
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/data.mdb")
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
    }

    func testNotAnLMDBFileIsReported() throws {
        try Data(repeating: 0x41, count: 64 * 1024).write(to: URL(fileURLWithPath: folder + "/data.mdb"))
        XCTAssertThrowsError(try Environment(path: folder)) { error in
            XCTAssertTrue((error as? LMDBError)?.isInvalidFile ?? false, "\(error)")
        }
    }

    func testCompactCopyHasTheData() throws {
        let (env, db) = try open()
        try env.write { txn in try txn.put(db, key: [1], value: [9]) }
        let copyFolder = folder + "/copy"
        try FileManager.default.createDirectory(atPath: copyFolder, withIntermediateDirectories: true)
        try env.copy(to: copyFolder, compact: true)
        let copy = try Environment(path: copyFolder)
        let copied = try copy.openDatabase("things", create: false)!
        try copy.read { txn in XCTAssertEqual(try txn.value(copied, for: [1]), [9]) }
    }

    /// A reader without the lock file is invisible to writers, which may reuse its snapshot's pages from the second
    /// commit after it on: a read that overlapped two commits is refused, one that overlapped one is accepted.
    func testReadWithoutLockIsRefusedWhenWritersMayHaveReusedItsPages() throws {
        let (writer, db) = try open()
        try writer.write { txn in try txn.put(db, key: [1], value: [1]) }
        var options = Environment.Options()
        options.readOnly = true
        options.noLock = true
        let reader = try Environment(path: folder, options: options)
        let table = try XCTUnwrap(try reader.openDatabase("things", create: false))
        func commit(_ value: UInt8) throws { try writer.write { txn in try txn.put(db, key: [1], value: [value]) } }

        XCTAssertEqual(try reader.read { txn -> [UInt8]? in
            try commit(2)
            return try txn.value(table, for: [1])
        }, [1])
        XCTAssertThrowsError(try reader.read { txn -> [UInt8]? in
            try commit(3)
            try commit(4)
            return try txn.value(table, for: [1])
        }) { error in
            XCTAssertTrue(error is SnapshotOverwrittenError, "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("run the command again"), "\(error)")
        }
        XCTAssertEqual(try reader.read { try $0.value(table, for: [1]) }, [4])
    }
}
