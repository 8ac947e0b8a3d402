import Foundation
import Index
import LMDB
import TestSupport
import VecDB
import XCTest

/// Raw-vector collections compared by dot product and Euclidean distance beside cosine: stored as given, searched
/// exactly and through the index with the collection's metric, stamped format 3, and sound to `check`.
final class MetricCollectionTests: XCTestCase {
    private func oracle(_ metric: Metric, _ a: [Float], _ b: [Float]) -> Double {
        switch metric {
        case .cosine, .dot: return zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        case .euclid: return -zip(a, b).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        }
    }

    private func formatVersion(_ path: String) throws -> UInt32 {
        let environment = try Environment(path: path, options: { var o = Environment.Options(); o.maxDatabases = 16; o.readOnly = true; return o }())
        return try environment.read { txn in
            let meta = try XCTUnwrap(try txn.openDatabase("meta", create: false))
            let bytes = try XCTUnwrap(try txn.value(meta, for: Array("format".utf8)))
            return bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
    }

    func testDotAndEuclidCollectionsKeepVectorsAndRankByTheirMetric() throws {
        let path = temporaryDatabasePath(self)
        var rng = SplitMix64(seed: 5)
        let vectors = (0..<12_000).map { _ in (0..<16).map { _ in rng.gaussian() * Float(1 + rng.next() % 4) } }
        // (Each database closes before its format is read: LMDB must not have one environment open twice.)
        do { try VectorDatabase(path: path, create: true).createRawCollection(name: "cos", dimensions: 16) }
        XCTAssertEqual(try formatVersion(path), 1, "cosine needs nothing newer")
        do {
            let db = try VectorDatabase(path: path, create: false)
            try db.createRawCollection(name: "dot", dimensions: 16, metric: .dot)
            try db.createRawCollection(name: "l2", dimensions: 16, metric: .euclid)
            for name in ["cos", "dot", "l2"] {
                try db.addVectors(collection: name, vectors.enumerated().map { (id: "v\($0)", text: "", vector: $1) })
            }
            XCTAssertEqual(try db.check(), [], "vectors kept at their length are no damage in dot and euclid collections")
            XCTAssertEqual(try db.collection(named: "l2")?.metric, "euclid")
            let stored = try db.read { snapshot in try snapshot.vector(collection: snapshot.collection(named: "dot")!, document: 3) }
            XCTAssertEqual(stored, vectors[3], "dot keeps the vector as given")
            let unit = try db.read { snapshot in try snapshot.vector(collection: snapshot.collection(named: "cos")!, document: 3) }!
            XCTAssertEqual(unit.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, "cosine stores unit vectors")
            for _ in 0..<20 {
                let query = (0..<16).map { _ in rng.gaussian() }
                for (name, metric) in [("dot", Metric.dot), ("l2", .euclid)] {
                    let truth = vectors.indices.map { ($0, oracle(metric, query, vectors[$0])) }.sorted { $0.1 > $1.1 }
                    let exact = try db.nearest(collection: name, query: query, k: 10, mode: .exact)
                    XCTAssertEqual(exact.map { Int($0.id) }, truth.prefix(10).map(\.0), "\(name) exact ranking")
                    for (hit, expected) in zip(exact, truth) {
                        XCTAssertEqual(Double(hit.score), expected.1, accuracy: 1e-4 * max(1, abs(expected.1)))
                    }
                    let indexed = try db.nearest(collection: name, query: query, k: 10, mode: .index(ef: 100))
                    XCTAssertGreaterThanOrEqual(Set(indexed.map { Int($0.id) }).intersection(truth.prefix(10).map(\.0)).count, 8, "\(name) index")
                }
            }
        }
        XCTAssertEqual(try formatVersion(path), 3, "the first dot or euclid collection stamps format 3")
    }

    /// The first int8 index stamps format 4 (an older vecdb would insert without int8 records), whether it comes
    /// with a new collection or from a rebuild; a database whose version fell below it is repaired back to 4.
    func testInt8IndexStampsFormat4() throws {
        let path = temporaryDatabasePath(self), other = temporaryDatabasePath(self)
        do {
            let db = try VectorDatabase(path: path, create: true)
            try db.createRawCollection(name: "raw", dimensions: 8, metric: .dot)
            try db.addVectors(collection: "raw", (0..<50).map { (id: "v\($0)", text: "", vector: (0..<8).map { Float($0 % 3) + 0.5 }) })
        }
        XCTAssertEqual(try formatVersion(path), 3)
        do { _ = try VectorDatabase(path: path, create: false).rebuildIndex(collection: "raw", parameters: HNSWParameters(quantization: .int8)) }
        XCTAssertEqual(try formatVersion(path), 4, "rebuilt int8")
        do { try VectorDatabase(path: other, create: true).createRawCollection(name: "q", dimensions: 8, index: HNSWParameters(quantization: .int8)) }
        XCTAssertEqual(try formatVersion(other), 4, "created int8")
        // Stamped back to 3 by hand (as a version-3 build would leave it, were it allowed to write): check names it, repair fixes it.
        do {
            let environment = try Environment(path: path, options: { var o = Environment.Options(); o.maxDatabases = 16; return o }())
            try environment.write { txn in
                let meta = try XCTUnwrap(try txn.openDatabase("meta", create: false))
                try txn.put(meta, key: Array("format".utf8), value: withUnsafeBytes(of: UInt32(3).littleEndian) { Array($0) })
            }
        }
        let db = try VectorDatabase(path: path, create: false)
        XCTAssertEqual(try db.check(), ["meta: format version 3 with int8 indexes, which need 4"])
        XCTAssertEqual(try db.repair().remaining, [])
    }

    func testStoredFormRefusesWhatTheMetricCannotCompare() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "cos", dimensions: 2)
        try db.createRawCollection(name: "dot", dimensions: 2, metric: .dot)
        let cosine = try XCTUnwrap(try db.collection(named: "cos")), dot = try XCTUnwrap(try db.collection(named: "dot"))
        XCTAssertThrowsError(try cosine.storedForm(of: [0, 0], describing: "v")) { XCTAssertTrue("\($0)".contains("no direction")) }
        XCTAssertEqual(try dot.storedForm(of: [0, 0], describing: "v"), [0, 0], "a zero vector has a dot product")
        XCTAssertThrowsError(try dot.storedForm(of: [.nan, 1], describing: "v")) { XCTAssertTrue("\($0)".contains("finite")) }
        XCTAssertThrowsError(try dot.storedForm(of: [1], describing: "vector of 'a'")) { XCTAssertTrue("\($0)".contains("vector of 'a' has 1 dimensions")) }
        XCTAssertEqual(try cosine.storedForm(of: [3, 4], describing: "v"), [0.6, 0.8])
    }
}
