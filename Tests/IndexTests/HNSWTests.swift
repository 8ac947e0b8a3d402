import Foundation
@testable import Index
import LMDB
import TestSupport
import XCTest

final class HNSWTests: XCTestCase {
    private var temp: TempEnvironment!

    override func setUpWithError() throws { temp = try TempEnvironment() }
    override func tearDownWithError() throws { temp.close() }

    func testRecallAt10OnClustered20k() throws {
        var data = ClusteredData(dimensions: 384, clusters: 256, seed: 42)
        let vectors = data.make(20_000)
        let queries = data.make(200)
        let start = Date()
        let index = try buildIndex(temp, vectors: vectors)
        let built = Date().timeIntervalSince(start)
        let ids = Array(0..<vectors.count)
        var line = "build \(String(format: "%.1f", built)) s"
        for ef in [16, 32, 64] {
            let r = try recall(index, temp, queries: queries, vectors: vectors, ids: ids, k: 10, ef: ef)
            line += String(format: ", recall@10 ef=%d %.4f", ef, r)
            if ef == 64 { XCTAssertGreaterThanOrEqual(r, 0.95) }
        }
        print("HNSW 20k×384: \(line)")
        try temp.env.read { txn in
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
            let meta = try XCTUnwrap(try index.metadata(in: txn))
            XCTAssertEqual(meta.count, 20_000)
            XCTAssertEqual(meta.deletedCount, 0)
            XCTAssertEqual(meta.parameters, HNSWParameters())
            XCTAssertNotNil(meta.entryPoint)
        }
    }

    func testRecallStaysAfterDeletingHalf() throws {
        var data = ClusteredData(dimensions: 384, clusters: 128, seed: 7)
        let vectors = data.make(8_000)
        let queries = data.make(150)
        let index = try buildIndex(temp, vectors: vectors)
        // Remove a seeded random half, in three transactions.
        var rng = SplitMix64(seed: 99)
        var order = Array(0..<vectors.count)
        order.shuffle(using: &rng)
        let removed = Array(order.prefix(vectors.count / 2))
        for chunk in stride(from: 0, to: removed.count, by: 1_500) {
            try temp.env.write { txn in
                let w = try index.writer(in: txn)
                let n = try w.remove(ids: removed[chunk..<min(chunk + 1_500, removed.count)].map { UInt64($0) })
                XCTAssertEqual(n, min(1_500, removed.count - chunk))
                try w.flush()
            }
        }
        let gone = Set(removed)
        let kept = (0..<vectors.count).filter { !gone.contains($0) }
        try temp.env.read { txn in
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
            let meta = try XCTUnwrap(try index.metadata(in: txn))
            XCTAssertEqual(meta.count, kept.count)
            XCTAssertEqual(meta.deletedCount, removed.count)
            for q in queries.prefix(30) {
                for hit in try index.search(q, k: 10, ef: 64, in: txn) { XCTAssertFalse(gone.contains(Int(hit.id))) }
            }
        }
        let r = try recall(index, temp, queries: queries, vectors: vectors, ids: kept, k: 10, ef: 64)
        print(String(format: "HNSW 8k×384 after removing half: recall@10 ef=64 %.4f", r))
        XCTAssertGreaterThanOrEqual(r, 0.95)
    }

    /// Random inserts, removes, re-inserts and updates over many small transactions, with small M so that lists
    /// overflow and get pruned often; the invariants hold after each transaction and search returns only live ids.
    func testInvariantsUnderRandomInsertsAndRemoves() throws { try randomInsertsAndRemoves(quantization: .none) }

    /// The same sequence on an int8 index: every record encodes its vector (`checkInvariants`), scores stay exact.
    func testInt8InvariantsUnderRandomInsertsAndRemoves() throws { try randomInsertsAndRemoves(quantization: .int8) }

    private func randomInsertsAndRemoves(quantization: Quantization) throws {
        let dims = 24
        var data = ClusteredData(dimensions: dims, clusters: 6, seed: 3)
        var rng = SplitMix64(seed: 11)
        let index = HNSWIndex(table: temp.table, collection: 5, dimensions: dims)
        try temp.env.write { txn in
            try HNSWIndex.create(table: temp.table, collection: 5, dimensions: dims,
                                 parameters: HNSWParameters(M: 4, efConstruction: 32, seed: 1, quantization: quantization), in: txn)
        }
        var live: [UInt64: [Float]] = [:]
        var nextID: UInt64 = 0
        for round in 0..<30 {
            try temp.env.write { txn in
                let w = try index.writer(in: txn)
                for _ in 0..<(1 + Int(rng.next() % 60)) {
                    let v = data.next()
                    try w.insert(id: nextID, vector: v)
                    live[nextID] = v
                    nextID += 1
                }
                // Remove a random subset (sorted so the choice does not depend on dictionary order).
                let keys = live.keys.sorted()
                var doomed: [UInt64] = []
                for k in keys where rng.next() % 4 == 0 { doomed.append(k) }
                if round % 7 == 6 { doomed = keys }  // sometimes everything, the entry point included
                XCTAssertEqual(try w.remove(ids: doomed + [999_999]), doomed.count)
                for k in doomed { live[k] = nil }
                // Update = remove + insert, and re-insert of a removed id.
                if let k = live.keys.sorted().first {
                    try w.remove(ids: [k])
                    let v = data.next()
                    try w.insert(id: k, vector: v)
                    live[k] = v
                }
                if let d = doomed.first, round % 3 == 0 {
                    let v = data.next()
                    try w.insert(id: d, vector: v)
                    live[d] = v
                }
                if let k = live.keys.sorted().last {
                    XCTAssertThrowsError(try w.insert(id: k, vector: data.next()))  // already indexed
                }
                try w.flush()
            }
            try temp.env.read { txn in
                XCTAssertEqual(try index.checkInvariants(in: txn), [], "round \(round)")
                let meta = try XCTUnwrap(try index.metadata(in: txn))
                XCTAssertEqual(meta.count, live.count)
                let q = data.next()
                let hits = try index.search(q, k: 10, ef: 40, in: txn)
                XCTAssertEqual(hits.count, min(10, live.count))
                for h in hits { XCTAssertNotNil(live[h.id]) }
                // Scores are the true dot products, best first.
                for (a, b) in zip(hits, hits.dropFirst()) { XCTAssertGreaterThanOrEqual(a.score, b.score) }
                for h in hits { XCTAssertEqual(h.score, live[h.id].map { Distance.dot(q, $0) } ?? .nan, accuracy: 1e-4) }
            }
        }
    }

    func testReaderKeepsItsSnapshotWhileWriterCommits() throws {
        var data = ClusteredData(dimensions: 32, clusters: 4, seed: 5)
        let vectors = data.make(600)
        let index = try buildIndex(temp, vectors: Array(vectors.prefix(300)), batch: 100)
        let q = vectors[450]
        let scratch = SearchScratch()
        try temp.env.read { reader in
            let before = try index.search(q, k: 10, ef: 50, in: reader, scratch: scratch)
            XCTAssertEqual(try index.metadata(in: reader)?.count, 300)
            // A writer commits 300 more vectors (q among them) and removes the first 100 while the reader is open.
            try temp.env.write { txn in
                let w = try index.writer(in: txn)
                try w.insert((300..<600).map { (id: UInt64($0), vector: vectors[$0]) })
                try w.remove(ids: (0..<100).map(UInt64.init))
                try w.flush()
            }
            let again = try index.search(q, k: 10, ef: 50, in: reader, scratch: scratch)
            XCTAssertEqual(again.map(\.id), before.map(\.id))
            XCTAssertEqual(try index.metadata(in: reader)?.count, 300)
            XCTAssertEqual(try index.checkInvariants(in: reader), [])
        }
        try temp.env.read { txn in
            let after = try index.search(q, k: 10, ef: 50, in: txn, scratch: scratch)
            XCTAssertEqual(after.first?.id, 450)
            XCTAssertEqual(after.first?.score ?? 0, 1, accuracy: 1e-5)
            XCTAssertEqual(try index.metadata(in: txn)?.count, 500)
        }
    }

    /// A scratch keeps the blocks it resolved for later reads of the same snapshot: reused by every read transaction
    /// of that snapshot, and never by another environment whose snapshot has the same id.
    func testScratchReusesBlocksOnlyWithinOneSnapshot() throws {
        var data = ClusteredData(dimensions: 32, clusters: 8, seed: 11)
        let vectors = data.make(3_000)
        let index = try buildIndex(temp, vectors: vectors, batch: 1_000)
        let queries = data.make(20)
        let expected = try temp.env.read { txn in try queries.map { try index.search($0, k: 10, ef: 40, in: txn).map(\.id) } }
        let scratch = SearchScratch()
        for (q, ids) in zip(queries, expected) {
            XCTAssertEqual(try temp.env.read { txn in try index.search(q, k: 10, ef: 40, in: txn, scratch: scratch).map(\.id) }, ids)
        }
        // A second environment built by as many commits from other vectors: the same snapshot id, other pages.
        let other = try TempEnvironment()
        defer { other.close() }
        let otherVectors = data.make(3_000)
        let otherIndex = try buildIndex(other, vectors: otherVectors, batch: 1_000)
        XCTAssertEqual(try other.env.read { $0.id }, try temp.env.read { $0.id })
        var exactFirst = 0
        for q in queries {
            let found = try other.env.read { txn in try otherIndex.search(q, k: 10, ef: 40, in: txn, scratch: scratch) }
            XCTAssertEqual(found.count, 10)
            // Scores of the second environment's vectors: blocks of the first would give other ids and scores.
            for hit in found { XCTAssertEqual(hit.score, Distance.dot(q, otherVectors[Int(hit.id)]), accuracy: 1e-5) }
            let exact = exactTopK(q, vectors: otherVectors, ids: Array(0..<otherVectors.count), k: 1)
            if found.first.map({ Int($0.id) }) == exact.first { exactFirst += 1 }
        }
        XCTAssertGreaterThanOrEqual(exactFirst, 18)
        // And back: the first environment's answers again.
        for (q, ids) in zip(queries, expected) {
            XCTAssertEqual(try temp.env.read { txn in try index.search(q, k: 10, ef: 40, in: txn, scratch: scratch).map(\.id) }, ids)
        }
    }

    func testEdgeCases() throws {
        let dims = 16
        var data = ClusteredData(dimensions: dims, clusters: 2, seed: 9)
        let index = HNSWIndex(table: temp.table, collection: 2, dimensions: dims)
        try temp.env.read { txn in
            XCTAssertNil(try index.metadata(in: txn))
            XCTAssertThrowsError(try index.search(data.next(), k: 3, ef: 10, in: txn))
        }
        try temp.env.write { txn in
            try HNSWIndex.create(table: temp.table, collection: 2, dimensions: dims, in: txn)
            XCTAssertThrowsError(try HNSWIndex.create(table: temp.table, collection: 2, dimensions: dims, in: txn))
            XCTAssertThrowsError(try HNSWIndex.create(table: temp.table, collection: 3, dimensions: dims,
                                                      parameters: HNSWParameters(M: 1), in: txn))
        }
        // Empty index.
        try temp.env.read { txn in
            XCTAssertEqual(try index.search(data.next(), k: 5, ef: 10, in: txn).count, 0)
            XCTAssertNil(try index.metadata(in: txn)?.entryPoint)
            XCTAssertThrowsError(try index.search([1, 2], k: 5, ef: 10, in: txn))
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
        }
        // Single node; k > count; ef < k; k = 0.
        let v0 = data.next()
        try temp.env.write { txn in
            try index.insert(id: 77, vector: v0, in: txn)
            XCTAssertThrowsError(try index.insert(id: 77, vector: v0, in: txn))
            XCTAssertThrowsError(try index.insert(id: 78, vector: [1], in: txn))
        }
        try temp.env.read { txn in
            let hits = try index.search(v0, k: 5, ef: 1, in: txn)
            XCTAssertEqual(hits.map(\.id), [77])
            XCTAssertEqual(hits[0].score, 1, accuracy: 1e-5)
            XCTAssertEqual(try index.search(v0, k: 0, ef: 10, in: txn).count, 0)
            XCTAssertEqual(try index.metadata(in: txn)?.entryPoint, 77)
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
        }
        // Twenty nodes, k > count and ef < k: everything comes back, in exact order.
        var vectors: [UInt64: [Float]] = [77: v0]
        try temp.env.write { txn in
            for id in 0..<19 as Range<UInt64> {
                let v = data.next()
                vectors[id] = v
                try index.insert(id: id, vector: v, in: txn)
            }
        }
        try temp.env.read { txn in
            let q = data.next()
            let hits = try index.search(q, k: 50, ef: 2, in: txn)
            XCTAssertEqual(hits.count, 20)
            let exact = vectors.map { ($0.key, Distance.dot(q, $0.value)) }.sorted { $0.1 > $1.1 }.map(\.0)
            XCTAssertEqual(hits.map(\.id), exact)
        }
        // Remove unknown → false; remove all → empty again, entry point gone.
        try temp.env.write { txn in
            XCTAssertFalse(try index.remove(id: 12345, in: txn))
            XCTAssertTrue(try index.remove(id: 77, in: txn))
            XCTAssertFalse(try index.remove(id: 77, in: txn))
            let w = try index.writer(in: txn)
            XCTAssertEqual(try w.remove(ids: Array(0..<19)), 19)
            try w.flush()
        }
        try temp.env.read { txn in
            XCTAssertEqual(try index.search(v0, k: 5, ef: 10, in: txn).count, 0)
            let meta = try XCTUnwrap(try index.metadata(in: txn))
            XCTAssertNil(meta.entryPoint)
            XCTAssertEqual(meta.count, 0)
            XCTAssertEqual(meta.deletedCount, 20)
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
        }
        // And usable again.
        try temp.env.write { txn in try index.insert(id: 77, vector: v0, in: txn) }
        try temp.env.read { txn in XCTAssertEqual(try index.search(v0, k: 5, ef: 10, in: txn).map(\.id), [77]) }
    }

    func testAbortedWriteLeavesIndexUntouchedAndDropRemovesOnlyOneCollection() throws {
        var data = ClusteredData(dimensions: 16, clusters: 3, seed: 21)
        let vectors = data.make(300)
        let a = try buildIndex(temp, collection: 1, vectors: vectors, batch: 100)
        let b = try buildIndex(temp, collection: 2, vectors: Array(vectors.prefix(50)), batch: 100)
        struct Abort: Error {}
        XCTAssertThrowsError(try temp.env.write { txn in
            let w = try a.writer(in: txn)
            try w.remove(ids: (0..<200).map(UInt64.init))
            try w.flush()
            throw Abort()
        })
        try temp.reopen()  // and persisted across a reopen
        let a2 = HNSWIndex(table: temp.table, collection: 1, dimensions: 16)
        try temp.env.read { txn in
            XCTAssertEqual(try a2.metadata(in: txn)?.count, 300)
            XCTAssertEqual(try a2.search(vectors[10], k: 1, ef: 20, in: txn).first?.id, 10)
        }
        try temp.env.write { txn in try HNSWIndex.drop(table: temp.table, collection: 1, in: txn) }
        try temp.env.read { txn in
            XCTAssertNil(try a2.metadata(in: txn))
            XCTAssertEqual(try b.metadata(in: txn)?.count, 50)
            XCTAssertEqual(try b.checkInvariants(in: txn), [])
            XCTAssertEqual(try b.search(vectors[10], k: 1, ef: 20, in: txn).first?.id, 10)
        }
    }

    func testSameSeedSameInsertsSameGraph() throws {
        var data = ClusteredData(dimensions: 32, clusters: 4, seed: 8)
        let vectors = data.make(500)
        let q = data.make(5)
        _ = try buildIndex(temp, collection: 1, vectors: vectors, batch: 128)
        _ = try buildIndex(temp, collection: 2, vectors: vectors, batch: 77)
        try temp.env.read { txn in
            // Blocks of the two collections are byte-identical whatever the batching.
            // Keys as docs/INDEX.md lays them out: collection u32 BE, kind (1 vectors, 2 links, 3 upper), block u32 BE.
            for kind: UInt8 in [1, 2, 3] {
                let one = try txn.value(temp.table, for: [0, 0, 0, 1, kind, 0, 0, 0, 0])
                XCTAssertNotNil(one)
                XCTAssertEqual(one, try txn.value(temp.table, for: [0, 0, 0, 2, kind, 0, 0, 0, 0]))
            }
            for v in q {
                let r1 = try HNSWIndex(table: temp.table, collection: 1, dimensions: 32).search(v, k: 5, ef: 30, in: txn)
                let r2 = try HNSWIndex(table: temp.table, collection: 2, dimensions: 32).search(v, k: 5, ef: 30, in: txn)
                XCTAssertEqual(r1.map(\.id), r2.map(\.id))
            }
        }
    }
}
