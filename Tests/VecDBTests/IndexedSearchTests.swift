import Foundation
import Index
import TestSupport
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// The HNSW index inside the database: used above the size threshold, kept in step with inserts, replacements and
/// deletes in the same transactions, and checked by `check()`.
final class IndexedSearchTests: XCTestCase {
    /// Seeded clustered vectors (SplitMix64 + Box–Muller), so every run builds the same data.
    private struct ClusteredData {
        var state: UInt64
        let centres: [[Float]]

        init(seed: UInt64, clusters: Int, dimensions: Int) {
            state = seed
            var centres: [[Float]] = []
            var generator = SplitMix64(seed: seed ^ 0xC0FFEE)
            for _ in 0..<clusters { centres.append((0..<dimensions).map { _ in generator.gaussian() }) }
            self.centres = centres
        }

        mutating func next() -> [Float] {
            var generator = SplitMix64(seed: state)
            let centre = centres[Int(generator.next() % UInt64(centres.count))]
            let vector = centre.map { $0 + 0.6 * generator.gaussian() }
            state = generator.state
            return vector
        }
    }

    private func recallAt10(_ db: VectorDatabase, queries: [[Float]], mode: SearchMode) throws -> Double {
        var found = 0, total = 0
        for query in queries {
            let exact = Set(try db.search(collection: "raw", query: query, k: 10, mode: .exact).hits.map(\.document.id))
            let approximate = try db.search(collection: "raw", query: query, k: 10, mode: mode)
            found += approximate.hits.filter { exact.contains($0.document.id) }.count
            total += exact.count
        }
        return Double(found) / Double(total)
    }

    func testIndexAnswersAboveThresholdAndSurvivesDeletingHalf() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 48)
        var data = ClusteredData(seed: 42, clusters: 64, dimensions: 48)
        let count = Snapshot.indexThreshold + 2_000
        var ids: [UInt64] = []
        for batch in 0..<(count / 2_000) {
            let items = (0..<2_000).map { i in (id: "v\(batch * 2_000 + i)", text: "vector \(batch * 2_000 + i)", vector: data.next()) }
            ids += try db.addVectors(collection: "raw", items)
        }
        let queries = (0..<100).map { _ in data.next() }

        let automatic = try db.search(collection: "raw", query: queries[0], k: 10)
        XCTAssertEqual(automatic.mode, .index(ef: SearchMode.defaultEf))
        XCTAssertGreaterThanOrEqual(try recallAt10(db, queries: queries, mode: .automatic), 0.95)
        XCTAssertEqual(try db.check(), [])

        // Every other document goes: results leave at once, and the repaired graph keeps its recall.
        let doomed = ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        XCTAssertEqual(try db.delete(ids: doomed).count, doomed.count)
        let gone = Set(doomed)
        for query in queries.prefix(20) {
            XCTAssertTrue(try db.search(collection: "raw", query: query, k: 10, mode: .index(ef: 64)).hits
                .allSatisfy { !gone.contains($0.document.id) })
        }
        XCTAssertGreaterThanOrEqual(try recallAt10(db, queries: queries, mode: .index(ef: 64)), 0.95)
        XCTAssertEqual(try db.check(), [])
        XCTAssertEqual(try db.indexMetadata(collection: "raw")?.count, count - doomed.count)

        let rebuilt = try db.rebuildIndex(collection: "raw", parameters: HNSWParameters(M: 8, efConstruction: 100))
        XCTAssertEqual(rebuilt.deletedCount, 0)
        XCTAssertEqual(rebuilt.count, count - doomed.count)
        XCTAssertEqual(try db.collection(named: "raw")?.index?.M, 8)
        XCTAssertEqual(try db.check(), [])
    }

    /// An int8 collection through the database: created int8, kept in step by adds and deletes (every record encodes
    /// its vector, which `check` verifies), exact scores, and `rebuildIndex` switching modes both ways.
    func testInt8IndexThroughTheDatabase() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 48, index: HNSWParameters(quantization: .int8))
        var data = ClusteredData(seed: 9, clusters: 64, dimensions: 48)
        var ids: [UInt64] = []
        for batch in 0..<6 {
            ids += try db.addVectors(collection: "raw", (0..<2_000).map { i in
                (id: "v\(batch * 2_000 + i)", text: "", vector: data.next())
            })
        }
        let queries = (0..<100).map { _ in data.next() }
        XCTAssertEqual(try db.indexMetadata(collection: "raw")?.parameters.quantization, .int8)
        XCTAssertGreaterThanOrEqual(try recallAt10(db, queries: queries, mode: .automatic), 0.95)
        for query in queries.prefix(10) {
            let exact = try db.search(collection: "raw", query: query, k: 10, mode: .exact).hits
            let index = try db.search(collection: "raw", query: query, k: 10, mode: .index(ef: 64)).hits
            for hit in index {
                if let same = exact.first(where: { $0.document.id == hit.document.id }) { XCTAssertEqual(hit.score, same.score, accuracy: 1e-6) }
            }
        }
        XCTAssertEqual(try db.delete(ids: Array(ids.prefix(3_000))).count, 3_000)
        XCTAssertEqual(try db.check(), [])
        XCTAssertGreaterThanOrEqual(try recallAt10(db, queries: queries, mode: .index(ef: 64)), 0.95)

        let float32 = try db.rebuildIndex(collection: "raw", parameters: HNSWParameters())
        XCTAssertEqual(float32.parameters.quantization, .none)
        XCTAssertEqual(float32.traversalBytesPerVector, 48 * 4)
        XCTAssertEqual(try db.collection(named: "raw")?.index?.quantization, Quantization.none)
        XCTAssertEqual(try db.check(), [])
        let int8 = try db.rebuildIndex(collection: "raw", parameters: HNSWParameters(quantization: .int8))
        XCTAssertEqual(int8.traversalBytesPerVector, 64)
        XCTAssertEqual(int8.count, 9_000)
        XCTAssertEqual(try db.check(), [])
        XCTAssertGreaterThanOrEqual(try recallAt10(db, queries: queries, mode: .index(ef: 64)), 0.95)
    }

    /// `nearest` ranks exactly as `search` does without reading documents, and sees each new commit (the search
    /// state it keeps between calls belongs to one snapshot).
    func testNearestMatchesSearchAndSeesNewCommits() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 24)
        var data = ClusteredData(seed: 7, clusters: 16, dimensions: 24)
        let ids = try db.addVectors(collection: "raw", (0..<3_000).map { (id: "v\($0)", text: "vector \($0)", vector: data.next()) })
        let queries = (0..<10).map { _ -> [Float] in
            let v = data.next()
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        for mode in [SearchMode.exact, .index(ef: 40)] {
            for query in queries {
                let hits = try db.search(collection: "raw", query: query, k: 10, mode: mode).hits
                let ranked = try db.nearest(collection: "raw", query: query, k: 10, mode: mode)
                XCTAssertEqual(ranked.map(\.id), hits.map(\.document.id))
                XCTAssertEqual(ranked.map(\.score), hits.map(\.score))
                XCTAssertTrue(Set(ranked.map(\.id)).isSubset(of: ids))
            }
        }
        // Each query vector, stored now, is its own nearest neighbour in the next snapshot.
        for (i, query) in queries.enumerated() {
            let added = try db.addVectors(collection: "raw", [(id: "q\(i)", text: "query \(i)", vector: query)])
            let first = try XCTUnwrap(try db.nearest(collection: "raw", query: query, k: 1, mode: .index(ef: 40)).first)
            XCTAssertEqual(first.id, added[0])
            XCTAssertEqual(first.score, 1, accuracy: 1e-5)
        }
    }

    func testBatchOnThreadsAnswersAsOneQueryAtATime() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 24)
        var data = ClusteredData(seed: 11, clusters: 16, dimensions: 24)
        _ = try db.addVectors(collection: "raw", (0..<3_000).map { (id: "v\($0)", text: "vector \($0)", vector: data.next()) })
        // More queries than one chunk per thread, and a count no thread count divides.
        let queries = (0..<1_001).map { _ -> [Float] in
            let v = data.next()
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        for mode in [SearchMode.exact, .index(ef: 40)] {
            let single = try queries.map { try db.nearest(collection: "raw", query: $0, k: 10, mode: mode) }
            for threads in [1, 2, 3] {
                let batch = try db.nearest(collection: "raw", queries: queries, k: 10, mode: mode, threads: threads)
                XCTAssertEqual(batch.count, queries.count)
                XCTAssertEqual(batch.map { $0.map(\.id) }, single.map { $0.map(\.id) }, "\(mode.name), \(threads) threads")
                XCTAssertEqual(batch.map { $0.map(\.score) }, single.map { $0.map(\.score) }, "\(mode.name), \(threads) threads")
            }
        }
        XCTAssertEqual(try db.nearest(collection: "raw", queries: [], k: 10, threads: 2).count, 0)
        // One bad query fails the whole batch, whichever thread meets it.
        var broken = queries
        broken[700] = [Float](repeating: 0.1, count: 23)
        XCTAssertThrowsError(try db.nearest(collection: "raw", queries: broken, k: 10, mode: .index(ef: 40), threads: 2)) { error in
            XCTAssertTrue("\(error)".contains("23 dimensions"), "\(error)")
        }
        XCTAssertThrowsError(try db.nearest(collection: "raw", queries: queries, k: 10, threads: 0))
    }

    func testReplacedVectorIsReplacedInTheIndex() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: 8)
        var data = ClusteredData(seed: 7, clusters: 4, dimensions: 8)
        let items = (0..<200).map { i in (id: "v\(i)", text: "vector \(i)", vector: data.next()) }
        try db.addVectors(collection: "raw", items)
        let old = items[17].vector
        let opposite = old.map { -$0 }
        try db.addVectors(collection: "raw", [(id: "v17", text: "vector 17, moved", vector: opposite)])
        let nearOld = try db.search(collection: "raw", query: old, k: 1, mode: .index(ef: 50)).hits[0]
        XCTAssertNotEqual(nearOld.document.externalID, "v17")
        let nearNew = try db.search(collection: "raw", query: opposite, k: 1, mode: .index(ef: 50)).hits[0]
        XCTAssertEqual(nearNew.document.text, "vector 17, moved")
        XCTAssertEqual(try db.collection(named: "raw")?.count, 200)
        XCTAssertEqual(try db.check(), [])
    }

    func testLogitSizedVectorsAreSearchedExactly() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.createRawCollection(name: "raw", dimensions: WriteBatch.largestIndexedDimensions + 1)
        XCTAssertNil(try db.collection(named: "raw")?.index)
        var vector = [Float](repeating: 0, count: WriteBatch.largestIndexedDimensions + 1)
        vector[3] = 1
        try db.addVectors(collection: "raw", [(id: "a", text: "a", vector: vector)])
        XCTAssertEqual(try db.search(collection: "raw", query: vector, k: 1).mode, .exact)
        XCTAssertThrowsError(try db.search(collection: "raw", query: vector, k: 1, mode: .index(ef: 10)))
    }
}
