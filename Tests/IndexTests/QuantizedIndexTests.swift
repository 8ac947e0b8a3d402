import Foundation
@testable import Index
import Kernels
import LMDB
import TestSupport
import XCTest

/// int8 traversal with exact rescoring: the int8 distances against the float32 oracle within the quantisation bound,
/// recall against the float32 index over the same graph, exact scores, every metric, the format version.
final class QuantizedIndexTests: XCTestCase {
    private var temp: TempEnvironment!

    override func setUpWithError() throws { temp = try TempEnvironment() }
    override func tearDownWithError() throws { temp.close() }

    private func exactDot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    /// With codes cᵢ = round(xᵢ/s) each component is off by at most s/2, so for q ≈ s_q·c_q and x ≈ s_x·c_x
    ///   |s_q·s_x·Σ c_q·c_x − q·x| ≤ (s_x/2)·‖q‖₁ + (s_q/2)·‖x‖₁ + n·s_q·s_x/4,
    /// plus float32 rounding of the products (1e-5 relative here).
    func testInt8DistanceIsWithinTheQuantisationBoundOfFloat32() throws {
        var rng = SplitMix64(seed: 5)
        func uniform() -> Float { Float(rng.next() % 2_000_001) / 1_000_000 - 1 }
        for dims in [1, 7, 48, 64, 100, 384, 1000] {
            let stride = HNSWLayout.quantizedStride(dimensions: dims)
            XCTAssertEqual(stride % 64, 0)
            XCTAssertGreaterThanOrEqual(stride, dims + 16)
            let record = UnsafeMutableRawPointer.allocate(byteCount: stride, alignment: 64)
            defer { record.deallocate() }
            let query = EncodedQuery(dimensions: dims)
            for trial in 0..<40 {
                // Lengths from 0.01 to 10 and a few vectors with one dominant component (the worst case of a
                // per-vector scale).
                let q = (0..<dims).map { _ in uniform() * 3 }
                var x = (0..<dims).map { _ in uniform() * Float(trial % 5 == 0 ? 0.01 : 10) }
                if trial % 7 == 3 { x[Int(rng.next() % UInt64(dims))] = 25 }
                x.withUnsafeBytes { ScalarQuantization.encode($0.baseAddress!, dimensions: dims, into: record) }
                q.withUnsafeBytes { query.encode($0.baseAddress!) }
                let sq = Double(q.map(abs).max()!) / 127, sx = Double(x.map(abs).max()!) / 127
                let bound = sx / 2 * q.reduce(0) { $0 + Double(abs($1)) } + sq / 2 * x.reduce(0) { $0 + Double(abs($1)) }
                    + Double(dims) * sq * sx / 4
                let dot = exactDot(q, x)
                let slack = 1e-5 * (abs(dot) + bound + 1)
                for metric in Metric.allCases {
                    let d = Double(query.distance(to: record, stride: stride, metric: metric, kernel: .active))
                    switch metric {
                    case .cosine, .dot:
                        XCTAssertEqual(-d, dot, accuracy: bound + slack, "\(metric) dims \(dims) trial \(trial)")
                    case .euclid:
                        let exact = zip(q, x).reduce(0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
                        XCTAssertEqual(d, exact, accuracy: 2 * bound + slack * 10 * (1 + exact), "euclid dims \(dims) trial \(trial)")
                    }
                }
                // Codes in −127…127, the trailer as documented.
                let codes = (0..<dims).map { Int(record.load(fromByteOffset: $0, as: Int8.self)) }
                XCTAssertTrue(codes.allSatisfy { (-127...127).contains($0) })
                XCTAssertTrue(codes.contains { abs($0) == 127 }, "the largest component takes the full range")
                let t = ScalarQuantization.trailer(record, stride: stride)
                XCTAssertEqual(Int(t.codeSum), codes.reduce(0, +))
                XCTAssertEqual(Double(t.scale), sx, accuracy: sx * 1e-6)
                let squared = x.reduce(0) { $0 + Double($1) * Double($1) }
                XCTAssertEqual(Double(t.squaredLength), squared, accuracy: 1e-5 * squared)
                XCTAssertTrue((dims..<stride - 16).allSatisfy { record.load(fromByteOffset: $0, as: UInt8.self) == 0 })
            }
        }
        // The zero vector: scale 0, every product 0 (not NaN).
        let zero = [Float](repeating: 0, count: 16)
        let record = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        defer { record.deallocate() }
        zero.withUnsafeBytes { ScalarQuantization.encode($0.baseAddress!, dimensions: 16, into: record) }
        let query = EncodedQuery(dimensions: 16)
        [Float](repeating: 0.25, count: 16).withUnsafeBytes { query.encode($0.baseAddress!) }
        XCTAssertEqual(query.distance(to: record, stride: 64, metric: .dot, kernel: .active), 0)
    }

    /// The same graph (same seed, same inserts: the build walks float32 in both modes) searched on int8 codes and
    /// rescored finds what the float32 walk finds: recall@10 within 0.005 at every ef, and exact scores.
    func testInt8RecallIsWithinHalfAPercentOfFloat32AtEveryEf() throws {
        var data = ClusteredData(dimensions: 384, clusters: 256, seed: 42)
        let vectors = data.make(20_000)
        let queries = data.make(200)
        let float32 = try buildIndex(temp, collection: 1, vectors: vectors)
        let int8 = try buildIndex(temp, collection: 2, vectors: vectors, parameters: HNSWParameters(quantization: .int8))
        try assertRecall(of: int8, within: 0.005, of: float32, temp, queries: queries, vectors: vectors, efs: [10, 16, 32, 64],
                         label: "HNSW 20k×384 recall@10 float32/int8")
        try temp.env.read { txn in
            XCTAssertEqual(try int8.checkInvariants(in: txn), [])
            let meta = try XCTUnwrap(try int8.metadata(in: txn))
            XCTAssertEqual(meta.parameters.quantization, .int8)
            XCTAssertEqual(meta.traversalBytesPerVector, 448)
            XCTAssertEqual(try float32.metadata(in: txn)?.traversalBytesPerVector, 1536)
            let scratch = SearchScratch()
            for q in queries.prefix(20) {
                let hits = try int8.search(q, k: 10, ef: 40, in: txn, scratch: scratch)
                XCTAssertEqual(hits.count, 10)
                for h in hits { XCTAssertEqual(h.score, Distance.dot(q, vectors[Int(h.id)]), accuracy: 1e-6) }
                XCTAssertEqual(hits.map(\.score), hits.map(\.score).sorted(by: >))
                // The scratch alternates between int8 searches and float32 ones without mixing their walks.
                let plain = try float32.search(q, k: 10, ef: 40, in: txn, scratch: scratch)
                XCTAssertEqual(plain.map(\.id), try float32.search(q, k: 10, ef: 40, in: txn).map(\.id))
            }
        }
    }

    /// Dot and Euclid over vectors of unequal lengths: int8 recall against the brute-force oracle, exact scores.
    func testInt8DotAndEuclidAgainstBruteForce() throws {
        var data = ClusteredData(dimensions: 48, clusters: 64, seed: 11)
        var rng = SplitMix64(seed: 11 ^ 0xABCD)
        let drawn = (0..<6_100).map { _ in data.next().map { $0 * Float(0.25 * pow(16, Double(rng.next() % 1000) / 1000)) } }
        let vectors = Array(drawn.prefix(6_000)), queries = Array(drawn.suffix(100))
        for (collection, metric) in [(UInt32(1), Metric.dot), (2, .euclid), (3, .cosine)] {
            let stored = metric == .cosine ? vectors.map(ClusteredData.normalised) : vectors
            let index = try buildIndex(temp, collection: collection, vectors: stored,
                                       parameters: HNSWParameters(quantization: .int8), metric: metric)
            var hits = 0
            try temp.env.read { txn in
                XCTAssertEqual(try index.checkInvariants(in: txn), [])
                for q in queries {
                    let q = metric == .cosine ? ClusteredData.normalised(q) : q
                    let score: ([Float]) -> Double = { v in
                        metric == .euclid ? -zip(q, v).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } : self.exactDot(q, v)
                    }
                    let truth = Set(stored.indices.sorted { score(stored[$0]) > score(stored[$1]) }.prefix(10))
                    let found = try index.search(q, k: 10, ef: 64, in: txn)
                    XCTAssertEqual(found.count, 10)
                    hits += found.filter { truth.contains(Int($0.id)) }.count
                    for h in found {
                        let expected = score(stored[Int(h.id)])
                        XCTAssertEqual(Double(h.score), expected, accuracy: 1e-4 * max(1, abs(expected)), "\(metric)")
                    }
                }
            }
            let recall = Double(hits) / Double(queries.count * 10)
            print("HNSW 6k×48 int8 \(metric.rawValue): recall@10 ef=64 \(recall)")
            XCTAssertGreaterThanOrEqual(recall, 0.95, "\(metric)")
        }
    }

    /// Recall survives removing half the nodes of an int8 index, and removed documents never come back.
    func testInt8RecallStaysAfterDeletingHalf() throws {
        var data = ClusteredData(dimensions: 384, clusters: 128, seed: 7)
        let vectors = data.make(8_000)
        let queries = data.make(150)
        let index = try buildIndex(temp, vectors: vectors, parameters: HNSWParameters(quantization: .int8))
        let removed = stride(from: 0, to: vectors.count, by: 2).map { UInt64($0) }
        try temp.env.write { txn in
            let w = try index.writer(in: txn)
            XCTAssertEqual(try w.remove(ids: removed), removed.count)
            try w.flush()
        }
        let kept = stride(from: 1, to: vectors.count, by: 2).map { $0 }
        try temp.env.read { txn in
            XCTAssertEqual(try index.checkInvariants(in: txn), [])
            for q in queries.prefix(30) {
                for hit in try index.search(q, k: 10, ef: 64, in: txn) { XCTAssertEqual(hit.id % 2, 1) }
            }
        }
        let r = try recall(index, temp, queries: queries, vectors: vectors, ids: kept, k: 10, ef: 64)
        print(String(format: "HNSW 8k×384 int8 after removing half: recall@10 ef=64 %.4f", r))
        XCTAssertGreaterThanOrEqual(r, 0.95)
    }

    /// Version 2 and quantization code 1 in the metadata record for int8, version 1 and code 0 otherwise (so
    /// float32 indexes stay readable by older builds); a record that does not encode its vector is a violation.
    func testFormatVersionAndDamagedRecord() throws {
        var data = ClusteredData(dimensions: 32, clusters: 4, seed: 1)
        let vectors = data.make(50)
        _ = try buildIndex(temp, collection: 1, vectors: vectors)
        let int8 = try buildIndex(temp, collection: 2, vectors: vectors, parameters: HNSWParameters(quantization: .int8))
        func meta(_ c: UInt32) throws -> [UInt8] { try temp.env.read { try XCTUnwrap(try $0.value(temp.table, for: HNSWLayout.metadataKey(c))) } }
        func u32(_ b: [UInt8], _ o: Int) -> UInt32 { b[o..<o + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        XCTAssertEqual(u32(try meta(1), 0), 1)
        XCTAssertEqual(u32(try meta(1), 60), 0)
        XCTAssertEqual(u32(try meta(2), 0), 2)
        XCTAssertEqual(u32(try meta(2), 60), 1)
        // A version-1 record claiming int8 is refused as corrupt, not misread.
        var bad = try meta(2)
        bad[0] = 1
        try temp.env.write { try $0.put(temp.table, key: HNSWLayout.metadataKey(2), value: bad) }
        XCTAssertThrowsError(try temp.env.read { try int8.metadata(in: $0) })
        bad[0] = 2
        try temp.env.write { try $0.put(temp.table, key: HNSWLayout.metadataKey(2), value: bad) }
        // Flip one code of node 7.
        let key = HNSWLayout.blockKey(2, .quantized, 0)
        var block = try temp.env.read { try XCTUnwrap(try $0.value(temp.table, for: key)) }
        let stride = HNSWLayout.quantizedStride(dimensions: 32)
        block[HNSWLayout.vectorPad + 7 * stride + 3] &+= 1
        try temp.env.write { try $0.put(temp.table, key: key, value: block) }
        try temp.env.read { txn in
            XCTAssertEqual(try int8.checkInvariants(in: txn), ["node 7's int8 record does not encode its vector"])
        }
    }
}
