import Foundation
import Index
import LMDB
import TestSupport
import XCTest

/// Clustered unit vectors with low intrinsic dimension, like sentence embeddings: each cluster is a random centre
/// plus a random `latent`-dimensional subspace, plus a little isotropic noise.
struct ClusteredData {
    let dimensions: Int
    private var rng: SplitMix64
    private var centres: [[Float]] = []
    private var bases: [[[Float]]] = []
    let latent = 48

    init(dimensions: Int, clusters: Int, seed: UInt64) {
        self.dimensions = dimensions
        rng = SplitMix64(seed: seed)
        for _ in 0..<clusters {
            centres.append(Self.normalised((0..<dimensions).map { _ in rng.gaussian() }))
            let scale = 1 / Float(dimensions).squareRoot()
            bases.append((0..<latent).map { _ in (0..<dimensions).map { _ in rng.gaussian() * scale } })
        }
    }

    static func normalised(_ v: [Float]) -> [Float] {
        let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / n }
    }

    mutating func next() -> [Float] {
        let c = Int(rng.next() % UInt64(centres.count))
        var v = centres[c]
        for b in bases[c] {
            let z = rng.gaussian() * 0.15
            for i in 0..<dimensions { v[i] += z * b[i] }
        }
        for i in 0..<dimensions { v[i] += rng.gaussian() * 0.03 }
        return Self.normalised(v)
    }

    mutating func make(_ n: Int) -> [[Float]] { (0..<n).map { _ in next() } }
}

/// Exact top-k by dot product over `ids` (ties by id, for determinism).
func exactTopK(_ query: [Float], vectors: [[Float]], ids: [Int], k: Int) -> [Int] {
    var scored = ids.map { ($0, Distance.dot(query, vectors[$0])) }
    scored.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    return scored.prefix(k).map(\.0)
}

/// A temporary LMDB environment with the index table opened, removed by `close`.
final class TempEnvironment {
    let folder: String
    var env: Environment!
    var table: Database!

    init() throws {
        folder = NSTemporaryDirectory() + "hnsw-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try reopen()
    }

    func reopen() throws {
        env = nil
        var options = Environment.Options()
        options.mapSize = 1 << 36
        env = try Environment(path: folder, options: options)
        table = try env.openDatabase("hnsw", create: true)!
    }

    func close() {
        env = nil
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Builds an index over `vectors` (document id = position) in write transactions of `batch` inserts.
func buildIndex(_ t: TempEnvironment, collection: UInt32 = 1, vectors: [[Float]], parameters: HNSWParameters = HNSWParameters(),
                metric: Metric = .cosine, batch: Int = 1000) throws -> HNSWIndex {
    let dims = vectors.first?.count ?? 8
    let index = HNSWIndex(table: t.table, collection: collection, dimensions: dims)
    try t.env.write { txn in
        try HNSWIndex.create(table: t.table, collection: collection, dimensions: dims, parameters: parameters, metric: metric, in: txn)
    }
    var start = 0
    while start < vectors.count {
        let end = min(start + batch, vectors.count)
        try t.env.write { txn in
            let w = try index.writer(in: txn)
            try w.insert((start..<end).map { (id: UInt64($0), vector: vectors[$0]) })
            try w.flush()
        }
        start = end
    }
    return index
}

/// Recall@10 of `candidate` against exact search at each ef, asserted no more than `tolerance` below `reference`'s
/// (the same vectors indexed another way) and at least 0.95 at ef 64; prints both under `label`.
func assertRecall(of candidate: HNSWIndex, within tolerance: Double, of reference: HNSWIndex, _ t: TempEnvironment,
                  queries: [[Float]], vectors: [[Float]], efs: [Int], label: String,
                  file: StaticString = #filePath, line: UInt = #line) throws {
    let ids = Array(0..<vectors.count)
    var report = ""
    for ef in efs {
        let expected = try recall(reference, t, queries: queries, vectors: vectors, ids: ids, k: 10, ef: ef)
        let got = try recall(candidate, t, queries: queries, vectors: vectors, ids: ids, k: 10, ef: ef)
        report += String(format: " ef=%d %.4f/%.4f", ef, expected, got)
        XCTAssertGreaterThanOrEqual(got, expected - tolerance, "ef \(ef)", file: file, line: line)
        if ef == 64 { XCTAssertGreaterThanOrEqual(got, 0.95, file: file, line: line) }
    }
    print("\(label):\(report)")
}

/// Mean recall@k of the index against exact search over the live `ids` (with `nodes`, a filtered search: `ids`
/// are then the live ids the filter keeps).
func recall(_ index: HNSWIndex, _ t: TempEnvironment, queries: [[Float]], vectors: [[Float]], ids: [Int], k: Int, ef: Int,
            allowing nodes: HNSWNodeSet? = nil) throws -> Double {
    let scratch = SearchScratch()
    var hits = 0
    try t.env.read { txn in
        for q in queries {
            let truth = Set(exactTopK(q, vectors: vectors, ids: ids, k: k))
            let found = try index.search(q, k: k, ef: ef, in: txn, scratch: scratch, allowing: nodes)
            hits += found.filter { truth.contains(Int($0.id)) }.count
        }
    }
    return Double(hits) / Double(queries.count * k)
}
