import Foundation
@testable import Index
import LMDB
import TestSupport
import XCTest

/// The filtered walk (`HNSWIndex.search(allowing:)`) against a brute force over the documents a filter keeps, at
/// selectivities on both sides of the two-hop switch.
final class FilteredSearchTests: XCTestCase {
    private var temp: TempEnvironment!

    override func setUpWithError() throws { temp = try TempEnvironment() }
    override func tearDownWithError() throws { temp.close() }

    func testFilteredWalkFindsTheExactFilteredNeighboursAtEverySelectivity() throws {
        var data = ClusteredData(dimensions: 64, clusters: 64, seed: 17)
        let vectors = data.make(12_000)
        let queries = data.make(60)
        let index = try buildIndex(temp, vectors: vectors)
        var random = SplitMix64(seed: 3)
        // Random subsets uncorrelated with the vectors: 70 % and 55 % walk every neighbour, 20 % to 5 % pass by two
        // hops, and at 3 % and 1 % two hops reach too few allowed nodes: every neighbour again.
        for (percent, twoHop) in [(70, false), (55, false), (20, true), (10, true), (5, true), (3, false), (1, false)] {
            let kept = (0..<vectors.count).filter { _ in random.next() % 100 < UInt64(percent) }
            let keep = Set(kept.map(UInt64.init))
            let nodes = try temp.env.read { try index.nodes(in: $0, where: keep.contains) }
            XCTAssertEqual(nodes.count, kept.count)
            let walk = FilteredWalk(allowed: nodes.count, live: vectors.count, M: HNSWParameters().M)
            XCTAssertEqual(walk.twoHop, twoHop, "\(percent) %")
            let r = try recall(index, temp, queries: queries, vectors: vectors, ids: kept, k: 10, ef: 64, allowing: nodes)
            print(String(format: "filtered walk, %d %% of 12k×64 kept: recall@10 ef=64 %.4f", percent, r))
            XCTAssertGreaterThanOrEqual(r, 0.97, "\(percent) % kept")
            try temp.env.read { txn in
                for q in queries.prefix(10) {
                    let found = try index.search(q, k: 10, ef: 64, in: txn, allowing: nodes)
                    XCTAssertEqual(found.count, 10, "a filter keeping ≥ k documents returns k")
                    XCTAssertTrue(found.allSatisfy { keep.contains($0.id) })
                    // Exact scores, best first.
                    for hit in found { XCTAssertEqual(hit.score, Distance.dot(q, vectors[Int(hit.id)]), accuracy: 1e-5) }
                    XCTAssertEqual(found.map(\.score), found.map(\.score).sorted(by: >))
                }
            }
        }
    }

    /// A filter keeping only the vectors farthest from the query (anti-correlated, the hard case for a filtered
    /// walk): the two-hop walk still returns k allowed nodes, 9 or 10 of the true 10 at ef 200 (7 at ef 64 here —
    /// such a filter needs a larger ef).
    func testAFilterFarFromTheQueryStillFindsK() throws {
        var data = ClusteredData(dimensions: 64, clusters: 64, seed: 29)
        let vectors = data.make(12_000)
        let index = try buildIndex(temp, vectors: vectors)
        var random = SplitMix64(seed: 8)
        for _ in 0..<5 {
            let direction = ClusteredData.normalised((0..<64).map { _ in Float(random.gaussian()) })
            let query = direction.map { -$0 }
            // The 6 % of the vectors most aligned with `direction`, i.e. least with the query.
            let order = (0..<vectors.count).sorted { Distance.dot(vectors[$0], direction) > Distance.dot(vectors[$1], direction) }
            let kept = Array(order.prefix(vectors.count * 6 / 100))
            let keep = Set(kept.map(UInt64.init))
            let nodes = try temp.env.read { try index.nodes(in: $0, where: keep.contains) }
            XCTAssertTrue(FilteredWalk(allowed: nodes.count, live: vectors.count, M: HNSWParameters().M).twoHop)
            let truth = Set(exactTopK(query, vectors: vectors, ids: kept, k: 10).map(UInt64.init))
            let found = try temp.env.read { try index.search(query, k: 10, ef: 200, in: $0, allowing: nodes) }
            XCTAssertEqual(found.count, 10)
            XCTAssertTrue(found.allSatisfy { keep.contains($0.id) })
            XCTAssertGreaterThanOrEqual(found.filter { truth.contains($0.id) }.count, 9)
        }
    }

    func testNodeSetsLeaveOutRemovedNodesAndLaterOnes() throws {
        var data = ClusteredData(dimensions: 16, clusters: 8, seed: 5)
        let vectors = data.make(3_000)
        let index = try buildIndex(temp, vectors: vectors)
        let even: (UInt64) -> Bool = { $0 % 2 == 0 }
        try temp.env.write { txn in
            let w = try index.writer(in: txn)
            XCTAssertEqual(try w.remove(ids: (0..<100).map { UInt64($0 * 2) }), 100)
            try w.flush()
        }
        let before = try temp.env.read { try index.nodes(in: $0, where: even) }
        XCTAssertEqual(before.bound, 3_000)
        XCTAssertEqual(before.count, 1_500 - 100)
        // A set made in one snapshot never lets through a node added after it, whatever its document.
        try temp.env.write { txn in
            let w = try index.writer(in: txn)
            try w.insert([(id: 10_000, vector: vectors[0])])
            try w.flush()
        }
        try temp.env.read { txn in
            XCTAssertFalse(before.contains(3_000))
            let found = try index.search(vectors[0], k: 20, ef: 64, in: txn, allowing: before)
            XCTAssertEqual(found.count, 20)
            XCTAssertTrue(found.allSatisfy { $0.id % 2 == 0 && $0.id >= 200 && $0.id < 3_000 })
            let after = try index.nodes(in: txn, where: even)
            XCTAssertEqual(after.count, 1_401)
            XCTAssertEqual(try index.search(vectors[0], k: 1, ef: 64, in: txn, allowing: after).first?.id, 10_000)
        }
    }
}
