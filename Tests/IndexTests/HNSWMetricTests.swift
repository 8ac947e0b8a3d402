import Foundation
@testable import Index
import LMDB
import TestSupport
import XCTest

/// The index under the dot-product and Euclidean metrics, against a brute-force oracle in double precision:
/// vectors of unequal lengths, where the three metrics rank differently.
final class HNSWMetricTests: XCTestCase {
    private var temp: TempEnvironment!

    override func setUpWithError() throws { temp = try TempEnvironment() }
    override func tearDownWithError() throws { temp.close() }

    /// Clustered directions scaled by lengths from 0.25 to 4, so that length matters to dot and Euclid.
    private func scaledVectors(_ n: Int, seed: UInt64) -> [[Float]] {
        var data = ClusteredData(dimensions: 48, clusters: 64, seed: seed)
        var rng = SplitMix64(seed: seed ^ 0xABCD)
        return (0..<n).map { _ in
            let length = Float(0.25 * pow(16, Double(rng.next() % 1000) / 1000))
            return data.next().map { $0 * length }
        }
    }

    private func oracle(_ metric: Metric, _ a: [Float], _ b: [Float]) -> Double {
        switch metric {
        case .cosine, .dot: return zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        case .euclid: return -zip(a, b).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
        }
    }

    func testDotAndEuclidRecallAndScoresMatchBruteForce() throws {
        // Queries from the same distribution as the data (as a user's are), not from clusters of their own.
        let drawn = scaledVectors(6_100, seed: 11)
        let vectors = Array(drawn.prefix(6_000)), queries = Array(drawn.suffix(100))
        for (collection, metric) in [(UInt32(1), Metric.dot), (2, .euclid)] {
            let index = try buildIndex(temp, collection: collection, vectors: vectors, metric: metric)
            var hits = 0
            try temp.env.read { txn in
                XCTAssertEqual(try index.metadata(in: txn)?.metric, metric)
                XCTAssertEqual(try index.checkInvariants(in: txn), [])
                for q in queries {
                    let scored = vectors.indices.map { ($0, oracle(metric, q, vectors[$0])) }.sorted { $0.1 > $1.1 }
                    let truth = Set(scored.prefix(10).map(\.0))
                    let found = try index.search(q, k: 10, ef: 64, in: txn)
                    XCTAssertEqual(found.count, 10)
                    hits += found.filter { truth.contains(Int($0.id)) }.count
                    for hit in found {
                        let expected = oracle(metric, q, vectors[Int(hit.id)])
                        XCTAssertEqual(Double(hit.score), expected, accuracy: 1e-4 * max(1, abs(expected)), "\(metric) score of \(hit.id)")
                    }
                    XCTAssertEqual(found.map(\.score), found.map(\.score).sorted(by: >), "\(metric): best first")
                }
            }
            let recall = Double(hits) / Double(queries.count * 10)
            print("HNSW 6k×48 \(metric.rawValue): recall@10 ef=64 \(recall)")
            XCTAssertGreaterThanOrEqual(recall, 0.95, "\(metric)")
        }
    }

    func testMetricRanksDifferentlyAndIsKeptInTheMetadataRecord() throws {
        // A long vector in the query's direction, and a short one right beside the query: dot prefers the long
        // one, Euclid the near one.
        let long: [Float] = [4, 0, 0, 0], near: [Float] = [0.5, 0.1, 0, 0], query: [Float] = [0.5, 0, 0, 0]
        for (collection, metric, first) in [(UInt32(1), Metric.dot, UInt64(0)), (2, .euclid, 1)] {
            let index = try buildIndex(temp, collection: collection, vectors: [long, near], metric: metric)
            try temp.env.read { txn in
                let found = try index.search(query, k: 2, ef: 10, in: txn)
                XCTAssertEqual(found.first?.id, first, "\(metric)")
                if metric == .euclid { XCTAssertEqual(found.first!.score, -0.01, accuracy: 1e-6) }
            }
        }
        // The field sits where every older record had zeros, which read as cosine; an unknown code is refused.
        var record = MetaRecord(dimensions: 4, parameters: HNSWParameters(), metric: .euclid).encoded()
        XCTAssertEqual(record.count, MetaRecord.size)
        XCTAssertEqual(Array(record[56..<60]), [2, 0, 0, 0])
        record.replaceSubrange(56..<60, with: [0, 0, 0, 0])
        XCTAssertEqual(record.withUnsafeBytes { MetaRecord($0) }?.metric, Metric.cosine.code)
        let index = HNSWIndex(table: temp.table, collection: 9, dimensions: 4)
        record.replaceSubrange(56..<60, with: [7, 0, 0, 0])
        try temp.env.write { txn in try txn.put(temp.table, key: HNSWLayout.metadataKey(9), value: record) }
        try temp.env.read { txn in
            XCTAssertThrowsError(try index.metadata(in: txn)) { XCTAssertTrue("\($0)".contains("metric code 7"), "\($0)") }
        }
    }
}
