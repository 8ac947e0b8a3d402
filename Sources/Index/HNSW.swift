import Foundation
import CPrefetch
import Kernels
import LMDB

// Hierarchical Navigable Small World graphs (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
// search using HNSW graphs", 2018), persisted in LMDB. The whole algorithm is in this file, in the paper's terms:
//
// * every node gets a level l = ⌊−ln(U)·mult⌋, mult = 1/ln(M), and lives on layers 0…l;
// * a node keeps at most M links on each upper layer and M0 = 2·M on layer 0;
// * INSERT descends greedily from the entry point through the layers above l, then on each layer l…0 runs
//   SEARCH-LAYER with efConstruction candidates, keeps M of them chosen by the neighbour-selection HEURISTIC, links
//   both ways, and prunes any neighbour list that overflows with the same heuristic;
// * SEARCH descends greedily to layer 1 and runs SEARCH-LAYER on layer 0 with ef ≥ k.
//
// Distances are −dot (vectors are unit length, so smaller is closer and cosine = dot); scores returned are dot.
// Storage (HNSWStorage.swift, docs/INDEX.md): vectors and layer-0 link records sit in fixed blocks of 1,024 node
// slots, one LMDB value per block, so a node is two pointer additions away once its block is resolved.

/// The HNSW index of one collection, stored in the LMDB database `table` shared by all collections' indexes.
///
/// A value type holding no transaction: create one whenever needed and pass the transaction to each call. Writes
/// happen in the caller's write transaction, so index changes commit (or abort) together with the documents; reads
/// see the snapshot of the caller's read transaction.
public struct HNSWIndex: Sendable {
    /// The database holding the index data of every collection (keys prefixed by the collection id).
    public let table: Database
    /// The collection this index belongs to.
    public let collection: UInt32
    /// Components of every vector.
    public let dimensions: Int

    /// An index handle; cheap, reads nothing. The index must exist (`create`) before use.
    public init(table: Database, collection: UInt32, dimensions: Int) {
        self.table = table
        self.collection = collection
        self.dimensions = dimensions
    }

    /// Writes the metadata of a new, empty index for `collection`. Throws `alreadyExists` when there is one.
    public static func create(table: Database, collection: UInt32, dimensions: Int, parameters: HNSWParameters = HNSWParameters(),
                              metric: Metric = .cosine, in txn: Transaction) throws {
        guard !txn.isReadOnly else { throw HNSWError.readOnlyTransaction }
        guard (2...255).contains(parameters.M) else { throw HNSWError.invalidParameters("M must be in 2…255") }
        guard parameters.efConstruction >= 1 else { throw HNSWError.invalidParameters("efConstruction must be ≥ 1") }
        guard dimensions >= 1 && dimensions <= 65_536 else { throw HNSWError.invalidParameters("dimensions must be in 1…65536") }
        let key = HNSWLayout.metadataKey(collection)
        if try txn.value(table, for: key) != nil { throw HNSWError.alreadyExists(collection: collection) }
        try txn.put(table, key: key, value: MetaRecord(dimensions: dimensions, parameters: parameters, metric: metric).encoded())
    }

    /// Removes every key of `collection`'s index (metadata, blocks, document map).
    public static func drop(table: Database, collection: UInt32, in txn: Transaction) throws {
        guard !txn.isReadOnly else { throw HNSWError.readOnlyTransaction }
        let prefix = HNSWLayout.prefix(collection)
        var keys: [[UInt8]] = []
        // Collected first: LMDB forbids writing while a cursor walks the same database.
        try txn.forEach(table, from: prefix) { key, _ in
            guard key.count >= prefix.count, key.starts(with: prefix) else { return false }
            keys.append(Array(key))
            return true
        }
        for key in keys { try txn.delete(table, key: key) }
    }

    func loadMeta(_ txn: Transaction) throws -> MetaRecord {
        let meta = try txn.withValue(table, key: HNSWLayout.metadataKey(collection)) { raw in raw.flatMap { MetaRecord($0) } }
        guard let meta else { throw HNSWError.missingIndex(collection: collection) }
        guard (HNSWLayout.baseFormatVersion...HNSWLayout.formatVersion).contains(meta.version) else {
            throw HNSWError.corrupted("format version \(meta.version)")
        }
        guard Metric(code: meta.metric) != nil else { throw HNSWError.corrupted("metric code \(meta.metric)") }
        guard let quantization = Quantization(code: meta.quantization),
              meta.version == HNSWLayout.formatVersion(for: quantization) else {
            throw HNSWError.corrupted("quantization code \(meta.quantization) in a version \(meta.version) index")
        }
        guard Int(meta.dimensions) == dimensions else {
            throw HNSWError.dimensionMismatch(expected: Int(meta.dimensions), got: dimensions)
        }
        return meta
    }

    /// The index's state, or nil when the collection has no index.
    public func metadata(in txn: Transaction) throws -> HNSWMetadata? {
        guard try txn.value(table, for: HNSWLayout.metadataKey(collection)) != nil else { return nil }
        let meta = try loadMeta(txn)
        let graph = GraphAccess(txn: txn, table: table, collection: collection, meta: meta, writable: false)
        let entry = meta.entryPoint == HNSWLayout.noNode ? nil : graph.document(meta.entryPoint)
        if let failure = graph.failure { throw failure }
        return HNSWMetadata(
            dimensions: Int(meta.dimensions),
            parameters: HNSWParameters(M: Int(meta.M), efConstruction: Int(meta.efConstruction), seed: meta.seed,
                                       quantization: graph.quantization),
            metric: Metric(code: meta.metric)!,
            entryPoint: entry, maxLevel: Int(meta.maxLevel), count: Int(meta.liveCount), deletedCount: Int(meta.deletedCount))
    }

    /// A writer for many inserts and removes in the write transaction `txn`; call `flush()` before the transaction
    /// commits. The fast path for bulk ingest.
    public func writer(in txn: Transaction) throws -> HNSWWriter {
        guard !txn.isReadOnly else { throw HNSWError.readOnlyTransaction }
        return HNSWWriter(index: self, txn: txn, meta: try loadMeta(txn))
    }

    /// Inserts one vector under document `id` in the caller's write transaction (a writer with one insert and a
    /// flush: every block it touches is rewritten). Internal: programs use `writer(in:)`; tests reach this through
    /// `@testable import`.
    func insert(id: UInt64, vector: [Float], in txn: Transaction) throws {
        let w = try writer(in: txn)
        try w.insert(id: id, vector: vector)
        try w.flush()
    }

    /// Removes document `id` and repairs the nodes that linked to it; false when it was not indexed.
    /// (One repair sweep over the collection per call; programs remove through `writer(in:).remove(ids:)`.)
    @discardableResult
    func remove(id: UInt64, in txn: Transaction) throws -> Bool {
        let w = try writer(in: txn)
        let n = try w.remove(ids: [id])
        try w.flush()
        return n == 1
    }

    /// True when document `id` has a live node in the index (its id → node key exists).
    public func contains(id: UInt64, in txn: Transaction) throws -> Bool {
        try txn.withValue(table, key: HNSWLayout.documentKey(collection, id)) { $0 != nil }
    }

    /// The `k` nearest live vectors to `query` by the index's metric, best first (scores are its similarity), searching with `ef` candidates
    /// (`ef` is raised to `k`). Reads in place from the transaction's snapshot; pass a `scratch` kept per thread to
    /// make repeated searches allocation-free (it also keeps the blocks resolved in a read transaction, for every
    /// later read transaction of the same snapshot).
    /// In a write transaction, changes held by an unflushed `HNSWWriter` are not visible.
    /// With `nodes` (made by `nodes(in:where:)` in the same snapshot), only its members are returned and counted
    /// toward k; the walk still passes through the others (see `GraphAccess.searchLayer`).
    public func search(_ query: [Float], k: Int, ef: Int, in txn: Transaction, scratch: SearchScratch? = nil,
                       allowing nodes: HNSWNodeSet? = nil) throws -> [(id: UInt64, score: Float)] {
        guard query.count == dimensions else { throw HNSWError.dimensionMismatch(expected: dimensions, got: query.count) }
        let scratch = scratch ?? SearchScratch()
        let graph = try graph(in: txn, scratch: scratch)
        defer { graph.transaction = nil }
        guard k > 0, graph.meta.entryPoint != HNSWLayout.noNode else { return [] }
        graph.failure = nil
        let results = query.withUnsafeBytes { q in
            graph.searchKNN(q.baseAddress!, k: k, ef: max(ef, k), scratch: scratch, allowing: nodes)
        }
        if let failure = graph.failure { throw failure }
        return results
    }

    /// The live nodes whose document `accept` takes, in the snapshot of `txn`: what a filtered `search` of that
    /// snapshot may return. Reads every node's header once, in storage order (a stream of small records).
    public func nodes(in txn: Transaction, scratch: SearchScratch? = nil, where accept: (UInt64) -> Bool) throws -> HNSWNodeSet {
        let graph = try graph(in: txn, scratch: scratch ?? SearchScratch())
        defer { graph.transaction = nil }
        let bound = graph.meta.nodeCount
        var words = [UInt64](repeating: 0, count: (Int(bound) + 63) / 64)
        var count = 0
        for node in 0..<bound where !graph.isDeleted(node) && accept(graph.document(node)) {
            words[Int(node >> 6)] |= 1 << UInt64(node & 63)
            count += 1
        }
        return HNSWNodeSet(words: words, bound: bound, count: count)
    }

    /// The graph of the snapshot of `txn`: the one `scratch` resolved in an earlier read of that snapshot (the same
    /// pages, pinned again by this reader), or a new one. The caller clears its `transaction` when done.
    private func graph(in txn: Transaction, scratch: SearchScratch) throws -> GraphAccess {
        if txn.isReadOnly, let g = scratch.graph, scratch.graphEnvironment === txn.environment,
           scratch.graphSnapshot == txn.id, g.table == table, g.collection == collection {
            g.transaction = txn
            return g
        }
        let graph = GraphAccess(txn: txn, table: table, collection: collection, meta: try loadMeta(txn), writable: false)
        // Only a read transaction's pages stay in place; a write transaction's may move at any put.
        scratch.graph = txn.isReadOnly ? graph : nil
        scratch.graphEnvironment = txn.isReadOnly ? txn.environment : nil
        scratch.graphSnapshot = txn.id
        return graph
    }

    /// Checks the graph: no link to a missing, removed or lower-level node; no self links; degree ≤ M on upper layers
    /// and ≤ M0 on layer 0; the entry point live and on the top layer; counts and the document map consistent.
    /// Returns one line per violation (empty when sound). Reads every node: for tests and `vecdb check`.
    public func checkInvariants(in txn: Transaction) throws -> [String] {
        let meta = try loadMeta(txn)
        let g = GraphAccess(txn: txn, table: table, collection: collection, meta: meta, writable: false)
        var problems: [String] = []
        func problem(_ s: String) { if problems.count < 100 { problems.append(s) } }
        let nodeCount = meta.nodeCount
        // Each live node's int8 record is compared with a fresh encoding of its vector, made here.
        let expected = UnsafeMutableRawPointer.allocate(byteCount: g.quantizedStride, alignment: 64)
        defer { expected.deallocate() }
        var live: UInt32 = 0, deleted: UInt32 = 0
        var topLevel = -1
        for n in 0..<nodeCount {
            let level = g.level(n)
            if g.isDeleted(n) {
                deleted += 1
                for l in 0...level where GraphAccess.count(g.list(n, level: l)) != 0 {
                    problem("removed node \(n) still has links on layer \(l)")
                }
                continue
            }
            live += 1
            topLevel = max(topLevel, level)
            if level > Int(meta.maxLevel) { problem("node \(n) level \(level) above max level \(meta.maxLevel)") }
            if level > 0 && Int(g.upperStart(n)) + level > Int(meta.upperCount) {
                problem("node \(n) upper records beyond \(meta.upperCount)")
            }
            for l in 0...level {
                let list = g.list(n, level: l)
                let count = GraphAccess.count(list)
                let cap = l == 0 ? g.M0 : g.M
                if count > cap { problem("node \(n) has \(count) links on layer \(l), most \(cap)") }
                var seen = Set<UInt32>()
                for i in 0..<min(count, cap) {
                    let m = GraphAccess.neighbour(list, i)
                    if m == n { problem("node \(n) links to itself on layer \(l)") }
                    if m >= nodeCount { problem("node \(n) links to missing node \(m) on layer \(l)"); continue }
                    if g.isDeleted(m) { problem("node \(n) links to removed node \(m) on layer \(l)") }
                    if g.level(m) < l { problem("node \(n) links to node \(m) of level \(g.level(m)) on layer \(l)") }
                    if !seen.insert(m).inserted { problem("node \(n) links twice to \(m) on layer \(l)") }
                }
            }
            if g.quantization == .int8 {
                ScalarQuantization.encode(g.vector(n), dimensions: g.dimensions, into: expected)
                if memcmp(expected, g.quantizedRecord(n), g.quantizedStride) != 0 {
                    problem("node \(n)'s int8 record does not encode its vector")
                }
            }
            let doc = g.document(n)
            let mapped = try txn.withValue(table, key: HNSWLayout.documentKey(collection, doc)) { raw in
                raw.map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
            }
            if mapped != n { problem("document \(doc) maps to node \(mapped.map(String.init) ?? "none"), not \(n)") }
        }
        if live != meta.liveCount { problem("metadata counts \(meta.liveCount) live nodes, found \(live)") }
        if deleted != meta.deletedCount { problem("metadata counts \(meta.deletedCount) removed nodes, found \(deleted)") }
        if live == 0 {
            if meta.entryPoint != HNSWLayout.noNode { problem("empty index has entry point \(meta.entryPoint)") }
        } else if meta.entryPoint >= nodeCount || g.isDeleted(meta.entryPoint) {
            problem("entry point \(meta.entryPoint) is not a live node")
        } else if g.level(meta.entryPoint) != Int(meta.maxLevel) || topLevel != Int(meta.maxLevel) {
            problem("entry point level \(g.level(meta.entryPoint)), max level \(meta.maxLevel), highest live level \(topLevel)")
        }
        // Every document key maps to a live node (none left behind by removes).
        let prefix = HNSWLayout.prefix(collection) + [HNSWLayout.Kind.documents.rawValue]
        var mappedCount: UInt32 = 0
        try txn.forEach(table, from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            mappedCount += 1
            return true
        }
        if mappedCount != live { problem("\(mappedCount) document keys for \(live) live nodes") }
        if let failure = g.failure { throw failure }
        return problems
    }
}

/// Inserts and removes in one write transaction, holding the blocks it modifies in memory so that each is put
/// once, by `flush()`, however many links change (LMDB copies a whole value on every put).
///
/// Create one per write transaction, after the index exists; call `flush()` before the transaction commits —
/// unflushed changes are lost. Between calls the caller may write to any database in the transaction: the writer
/// keeps no pointer into the map across calls. Not thread-safe.
public final class HNSWWriter {
    let index: HNSWIndex
    let graph: GraphAccess
    let scratch = SearchScratch()
    /// Document map changes not yet put: node number, or `noNode` to delete the key.
    var pendingDocuments: [UInt64: UInt32] = [:]
    let mult: Double
    // Reused buffers of the neighbour selection.
    var candidates: [Neighbour] = []
    var selected: [UInt32] = []

    init(index: HNSWIndex, txn: Transaction, meta: MetaRecord) {
        self.index = index
        graph = GraphAccess(txn: txn, table: index.table, collection: index.collection, meta: meta, writable: true)
        mult = 1 / log(Double(meta.M))
    }

    /// Live nodes of the index as this writer sees them (flushed or not).
    public var count: Int { Int(graph.meta.liveCount) }

    /// Inserts `vector` (unit length) as document `id`. Throws `duplicate` when `id` is indexed already.
    public func insert(id: UInt64, vector: [Float]) throws {
        graph.beginCall()
        try insertOne(id: id, vector: vector)
        if let failure = graph.failure { throw failure }
    }

    /// Inserts many vectors in one call (resolves each block once for the whole batch).
    public func insert(_ batch: [(id: UInt64, vector: [Float])]) throws {
        graph.beginCall()
        for (id, vector) in batch { try insertOne(id: id, vector: vector) }
        if let failure = graph.failure { throw failure }
    }

    /// Puts the modified blocks, the metadata and the document map; the writer stays usable afterwards.
    public func flush() throws {
        try graph.flush()
        let c = index.collection
        for (id, node) in pendingDocuments.sorted(by: { $0.key < $1.key }) {
            if node == HNSWLayout.noNode {
                try graph.txn.delete(index.table, key: HNSWLayout.documentKey(c, id))
            } else {
                try graph.txn.put(index.table, key: HNSWLayout.documentKey(c, id), value: withUnsafeBytes(of: node.littleEndian) { Array($0) })
            }
        }
        pendingDocuments.removeAll()
    }

    /// The live node of document `id`, if any.
    func node(of id: UInt64) throws -> UInt32? {
        if let n = pendingDocuments[id] { return n == HNSWLayout.noNode ? nil : n }
        return try graph.txn.withValue(index.table, key: HNSWLayout.documentKey(index.collection, id)) { raw in
            raw.map { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        }
    }

    /// Level draw: ⌊−ln(U)·mult⌋ with U uniform in (0, 1] from SplitMix64, whose state is stored in the metadata so
    /// the draw sequence continues across transactions and the same inserts build the same graph.
    func drawLevel() -> Int {
        graph.meta.rngState &+= 0x9E37_79B9_7F4A_7C15
        var z = graph.meta.rngState
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = Double((z >> 11) + 1) * 0x1p-53
        return min(Int(-log(u) * mult), 32)
    }

    /// Throws unless `vector` has the index's length and document `id` is not indexed yet.
    func checkInsertable(id: UInt64, vector: [Float]) throws {
        guard vector.count == graph.dimensions else { throw HNSWError.dimensionMismatch(expected: graph.dimensions, got: vector.count) }
        if try node(of: id) != nil { throw HNSWError.duplicate(id: id) }
    }

    private func insertOne(id: UInt64, vector: [Float]) throws {
        let g = graph
        try checkInsertable(id: id, vector: vector)
        guard g.meta.nodeCount < HNSWLayout.noNode - 1 else { throw HNSWError.invalidParameters("index full") }
        let (node, level) = allocate(id: id, vector: vector)
        guard g.meta.entryPoint != HNSWLayout.noNode else {
            g.meta.entryPoint = node
            g.meta.maxLevel = UInt32(level)
            return
        }
        let maxLevel = Int(g.meta.maxLevel)
        link(node, level: level, entry: g.meta.entryPoint, maxLevel: maxLevel, scratch: scratch,
             candidates: &candidates, selected: &selected)
        if level > maxLevel {
            g.meta.entryPoint = node
            g.meta.maxLevel = UInt32(level)
        }
    }

    /// Takes the next slot for document `id`: draws its level, allocates its upper records, writes its vector (and
    /// int8 record), header and empty lists. Links nothing yet.
    func allocate(id: UInt64, vector: [Float]) -> (node: UInt32, level: Int) {
        let g = graph
        let node = g.meta.nodeCount
        g.meta.nodeCount += 1
        let level = drawLevel()
        let upperStart = g.meta.upperCount
        g.meta.upperCount += UInt32(level)
        g.vectors.grow(to: Int(node >> UInt32(HNSWLayout.blockShift)) + 1)
        g.links.grow(to: Int(node >> UInt32(HNSWLayout.blockShift)) + 1)
        g.upper.grow(to: Int(g.meta.upperCount >> UInt32(HNSWLayout.blockShift)) + 1)
        vector.withUnsafeBytes { raw in
            g.mutableVector(node).copyMemory(from: raw.baseAddress!, byteCount: g.vectorBytes)
            if g.quantization == .int8 {
                ScalarQuantization.encode(raw.baseAddress!, dimensions: g.dimensions, into: g.mutableQuantizedRecord(node))
            }
        }
        g.setHeader(node, level: level, flags: 0, upperStart: upperStart, document: id)
        for l in 0...level { g.setList(node, level: l, UnsafeBufferPointer(start: nil, count: 0)) }
        pendingDocuments[id] = node
        g.meta.liveCount += 1
        return (node, level)
    }

    /// INSERT's linking of an allocated `node` of `level` into the graph seen from `entry` at `maxLevel`: greedy
    /// descent through the layers above `level`, then on each of its layers efConstruction candidates, M chosen by
    /// the heuristic, links both ways. With `locks` (a parallel build) every list is read and written under its
    /// lock, and the node's own lists are merged rather than set, since other nodes may already link from it.
    func link(_ node: UInt32, level: Int, entry: UInt32, maxLevel: Int, scratch: SearchScratch,
              candidates: inout [Neighbour], selected: inout [UInt32], locks: ListLocks? = nil) {
        let g = graph
        // The stored copy: the same floats as the caller's vector, at an address that stays put for the call.
        let q = g.vector(node)
        var ep = Neighbour(g.distance(q, g.vector(entry)), entry)
        var l = maxLevel
        while l > level {
            ep = g.greedyClosest(q, from: ep, level: l, scratch: scratch, locks: locks)
            l -= 1
        }
        l = min(level, maxLevel)
        while l >= 0 {
            g.searchLayer(q, entry: ep, ef: Int(g.meta.efConstruction), level: l, scratch: scratch, locks: locks)
            scratch.results.drainSortedClosestFirst(into: &candidates)
            ep = candidates[0]
            selectNeighbours(base: q, candidates: candidates, keep: g.M, into: &selected)
            if locks == nil {
                selected.withUnsafeBufferPointer { g.setList(node, level: l, $0) }
            } else {
                for s in selected { addLink(from: node, to: s, level: l, locks: locks) }
            }
            for s in selected { addLink(from: s, to: node, level: l, locks: locks) }
            l -= 1
        }
    }

    /// The neighbour-selection HEURISTIC (paper, algorithm 4, without extending or keeping pruned candidates):
    /// walk `candidates` closest first and keep one only if it is closer to `base` than to every neighbour already
    /// kept — so links spread in different directions instead of bunching inside one cluster.
    /// `candidates` must be sorted by distance to `base`, closest first.
    func selectNeighbours(base: UnsafeRawPointer, candidates: [Neighbour], keep m: Int, into out: inout [UInt32]) {
        let g = graph
        out.removeAll(keepingCapacity: true)
        for c in candidates {
            if out.count >= m { break }
            let v = g.vector(c.node)
            var good = true
            for r in out where g.distance(v, g.vector(r)) < c.distance {
                good = false
                break
            }
            if good { out.append(c.node) }
        }
    }

    /// Adds `node` to the list of `s` on `level`; when the list is full, the heuristic chooses among the old
    /// neighbours and `node`, seen from `s`. With `locks` (a parallel build), under the lock of `s`, skipping a link
    /// another thread made already, and without `keepReachable` (it reads other nodes' lists): the build's last,
    /// serial step (`linkUnreachable`) does that job.
    func addLink(from s: UInt32, to node: UInt32, level: Int, locks: ListLocks? = nil) {
        let g = graph
        locks?.lock(s)
        defer { locks?.unlock(s) }
        let cap = level == 0 ? g.M0 : g.M
        let list = g.list(s, level: level)
        let count = GraphAccess.count(list)
        if locks != nil, (0..<count).contains(where: { GraphAccess.neighbour(list, $0) == node }) { return }
        if count < cap {
            g.appendLink(s, level: level, count: count, node)
            return
        }
        let base = g.vector(s)
        var pool: [Neighbour] = []
        pool.reserveCapacity(count + 1)
        for i in 0..<count {
            let m = GraphAccess.neighbour(list, i)
            pool.append(Neighbour(g.distance(base, g.vector(m)), m))
        }
        pool.append(Neighbour(g.distance(base, g.vector(node)), node))
        pool.sort { $0.distance < $1.distance }
        var kept: [UInt32] = []
        selectNeighbours(base: base, candidates: pool, keep: cap, into: &kept)
        if level == 0 && locks == nil { keepReachable(from: s, pool: pool, kept: &kept) }
        kept.withUnsafeBufferPointer { g.setList(s, level: level, $0) }
    }

    /// The heuristic may drop the last link into a node, and a node nothing links to on layer 0 can never be found,
    /// however large ef is (seen here: 2 of 41,000 outliers, on seeded clustered data). So before `s` drops a node
    /// with no other link into it that can be seen, `s` keeps it: in a free slot (the heuristic often keeps fewer
    /// than M0), else in place of the farthest kept node that does have another link into it.
    func keepReachable(from s: UInt32, pool: [Neighbour], kept: inout [UInt32]) {
        for dropped in pool where !kept.contains(dropped.node) && !hasLink(into: dropped.node, besides: s) {
            if kept.count < graph.M0 {
                kept.append(dropped.node)
            } else if let victim = kept.lastIndex(where: { hasLink(into: $0, besides: s) }) {
                kept[victim] = dropped.node
            }
        }
    }

    /// True when a layer-0 neighbour of `n` other than `s` links back to `n`. Links are mostly mutual, so this finds
    /// another link into `n` in a few reads when there is one nearby; false means none was seen, not that none exists.
    func hasLink(into n: UInt32, besides s: UInt32) -> Bool {
        let g = graph
        let list = g.list(n, level: 0)
        for i in 0..<GraphAccess.count(list) {
            let e = GraphAccess.neighbour(list, i)
            // A removed node's link does not count: nothing reaches a removed node.
            guard e != s, e < g.meta.nodeCount, !g.isDeleted(e) else { continue }
            let back = g.list(e, level: 0)
            for j in 0..<GraphAccess.count(back) where GraphAccess.neighbour(back, j) == n { return true }
        }
        return false
    }

    /// Removes documents `ids` (unknown or already removed ids are skipped) and returns how many were removed.
    ///
    /// Each removed node is marked deleted at once (it leaves results), then one sweep over the collection's nodes
    /// finds every list that links to a removed node — the exact in-links, whatever the links' symmetry — and
    /// reconnects that node among the removed node's neighbours with the heuristic (FreshDiskANN's delete
    /// consolidation). The entry point is replaced when removed. Cost: one pass over all link lists per call, so
    /// remove in batches.
    @discardableResult
    public func remove(ids: [UInt64]) throws -> Int {
        let g = graph
        g.beginCall()
        var doomed: [UInt32] = []
        for id in ids {
            guard let n = try node(of: id), !g.isDeleted(n) else { continue }
            doomed.append(n)
            g.setFlags(n, g.flags(n) | HNSWLayout.deletedFlag)
            pendingDocuments[id] = HNSWLayout.noNode
            g.meta.liveCount -= 1
            g.meta.deletedCount += 1
        }
        guard !doomed.isEmpty else { return 0 }
        repair(doomed)
        if let failure = g.failure { throw failure }
        return doomed.count
    }

    private func repair(_ doomed: [UInt32]) {
        let g = graph
        let nodeCount = Int(g.meta.nodeCount)
        var isDoomed = [Bool](repeating: false, count: nodeCount)
        for d in doomed { isDoomed[Int(d)] = true }
        var bestEntry = HNSWLayout.noNode
        var bestLevel = -1
        var pool: [UInt32] = []
        var scored: [Neighbour] = []
        var kept: [UInt32] = []
        for n32 in 0..<UInt32(nodeCount) {
            if g.isDeleted(n32) { continue }
            let level = g.level(n32)
            if level > bestLevel { bestLevel = level; bestEntry = n32 }
            for l in 0...level {
                let list = g.list(n32, level: l)
                let count = GraphAccess.count(list)
                var touched = false
                for i in 0..<count where isDoomed[Int(GraphAccess.neighbour(list, i))] { touched = true; break }
                if !touched { continue }
                // Candidates: the surviving neighbours, plus the surviving neighbours of each removed neighbour.
                scratch.beginTraversal(nodeCount: nodeCount)
                let stamp = scratch.generation
                scratch.visited[Int(n32)] = stamp
                pool.removeAll(keepingCapacity: true)
                func consider(_ m: UInt32) {
                    guard scratch.visited[Int(m)] != stamp else { return }
                    scratch.visited[Int(m)] = stamp
                    if !isDoomed[Int(m)] && !g.isDeleted(m) { pool.append(m) }
                }
                for i in 0..<count {
                    let m = GraphAccess.neighbour(list, i)
                    if isDoomed[Int(m)] {
                        let dl = g.list(m, level: l)
                        for j in 0..<GraphAccess.count(dl) { consider(GraphAccess.neighbour(dl, j)) }
                    } else {
                        consider(m)
                    }
                }
                let cap = l == 0 ? g.M0 : g.M
                if pool.count <= cap {
                    pool.withUnsafeBufferPointer { g.setList(n32, level: l, $0) }
                } else {
                    let base = g.vector(n32)
                    scored.removeAll(keepingCapacity: true)
                    for m in pool { scored.append(Neighbour(g.distance(base, g.vector(m)), m)) }
                    scored.sort { $0.distance < $1.distance }
                    selectNeighbours(base: base, candidates: scored, keep: cap, into: &kept)
                    if l == 0 { keepReachable(from: n32, pool: scored, kept: &kept) }
                    kept.withUnsafeBufferPointer { g.setList(n32, level: l, $0) }
                }
            }
        }
        // Only now, after every reader of their lists has run, empty the removed nodes' lists.
        for d in doomed {
            for l in 0...g.level(d) { g.setList(d, level: l, UnsafeBufferPointer(start: nil, count: 0)) }
        }
        if g.meta.entryPoint != HNSWLayout.noNode && isDoomed[Int(g.meta.entryPoint)] || g.meta.liveCount == 0 {
            g.meta.entryPoint = g.meta.liveCount == 0 ? HNSWLayout.noNode : bestEntry
            g.meta.maxLevel = g.meta.liveCount == 0 ? 0 : UInt32(bestLevel)
        }
    }
}

extension GraphAccess {
    /// Greedy search on an upper layer: move to the closest neighbour while one is closer (SEARCH-LAYER with ef = 1).
    func greedyClosest(_ q: UnsafeRawPointer, from start: Neighbour, level: Int, scratch: SearchScratch,
                       locks: ListLocks? = nil) -> Neighbour {
        var current = start
        var changed = true
        while changed {
            changed = false
            let list = self.list(current.node, level: level)
            var count = 0
            locks?.lock(current.node)
            for i in 0..<min(GraphAccess.count(list), HNSWLayout.maxListLength) {
                let m = GraphAccess.neighbour(list, i)
                guard m < meta.nodeCount else {
                    noteMissingNode(m, linkedFrom: current.node, level: level)
                    continue
                }
                scratch.batchNodes[count] = m
                count += 1
            }
            locks?.unlock(current.node)
            distances(q, count: count, scratch: scratch)
            for j in 0..<count where scratch.batchDistances[j] < current.distance {
                current = Neighbour(scratch.batchDistances[j], scratch.batchNodes[j])
                changed = true
            }
        }
        return current
    }

    /// Distances from `q` to the `count` nodes in `scratch.batchNodes`, into `scratch.batchDistances`.
    ///
    /// The vectors are mostly not in cache (each is 24 lines at 384 dims), so the order of memory requests decides
    /// the speed: first a prefetch of every vector's first line (independent requests, all in flight at once), then,
    /// while vector j is multiplied, a prefetch of the rest of vector j + 1, so its lines arrive during the
    /// arithmetic. A prefetch neither waits nor faults; the dot products themselves run with no branch between
    /// them.
    @inline(__always)
    func distances(_ q: UnsafeRawPointer, count: Int, scratch: SearchScratch) {
        let records = scratch.batchVectors, out = scratch.batchDistances
        if scratch.walksQuantized {
            // int8 records: a quarter of the bytes (7 cache lines instead of 24 at 384 dims), integer dot products.
            let stride = locate(count: count, scratch: scratch, int8: true)
            let query = scratch.encodedQuery!, metric = metric, kernel = Int8Kernel.active
            for j in 0..<count {
                prefetchRecord(after: j, count: count, stride: stride, records: records)
                out[j] = query.distance(to: records[j], stride: stride, metric: metric, kernel: kernel)
            }
        } else {
            let stride = locate(count: count, scratch: scratch, int8: false)
            // Once per batch rather than per neighbour: the kernel table cannot change while the process runs.
            let kernels = Kernels.active
            for j in 0..<count {
                prefetchRecord(after: j, count: count, stride: stride, records: records)
                out[j] = -metric.similarity(q, records[j], count: dimensions, kernels: kernels)
            }
        }
    }

    /// The addresses of the vectors (or int8 records) of the nodes in `scratch.batchNodes`, into
    /// `scratch.batchVectors`, with a prefetch of each one's first line; returns their stride.
    @inline(__always)
    private func locate(count: Int, scratch: SearchScratch, int8: Bool) -> Int {
        let nodes = scratch.batchNodes, records = scratch.batchVectors
        var table = int8 ? quantized : vectors
        let shift = UInt32(HNSWLayout.blockShift), mask = HNSWLayout.slotMask, stride = int8 ? quantizedStride : vectorBytes
        for j in 0..<count {
            let m = nodes[j]
            let b = Int(m >> shift)
            let r: UnsafeRawPointer
            if b < table.capacity, let base = table.bases[b] {
                r = UnsafeRawPointer(base) + HNSWLayout.vectorPad + Int(m & mask) * stride
            } else {
                r = int8 ? quantizedRecord(m) : vector(m)
                // Resolving a block may have grown (reallocated) the table.
                table = int8 ? quantized : vectors
            }
            records[j] = r
            vecdb_prefetch(r)
        }
        return stride
    }

    /// Prefetches the rest of record j + 1 while record j is computed on.
    @inline(__always)
    private func prefetchRecord(after j: Int, count: Int, stride: Int, records: UnsafeMutablePointer<UnsafeRawPointer>) {
        guard j + 1 < count else { return }
        let next = records[j + 1]
        var offset = 64
        while offset < stride {
            vecdb_prefetch(next + offset)
            offset += 64
        }
    }

    /// The walk's distance from the query to one node, int8 or float32 as `distances` would compute it.
    func walkDistance(_ q: UnsafeRawPointer, to node: UInt32, scratch: SearchScratch) -> Float {
        scratch.batchNodes[0] = node
        distances(q, count: 1, scratch: scratch)
        return scratch.batchDistances[0]
    }

    /// SEARCH-LAYER: best-first search on `level` from `entry`, keeping the `ef` closest nodes found in
    /// `scratch.results` (a max-heap). Stops when the closest unexpanded candidate is farther than the farthest kept.
    ///
    /// With `allowed` (a filtered search), only its nodes are kept, and the walk passes through the others to reach
    /// them (filtered HNSW), so a filter that keeps few nodes costs a longer walk, never a wrong answer — the planner
    /// above sends such filters to an exact scan. How it passes through depends on `twoHop` (`FilteredWalk`):
    /// - false (a filter keeping most nodes): every neighbour's distance is computed and every one may become a
    ///   candidate, as hnswlib and Qdrant do;
    /// - true (a sparse filter): only allowed nodes get a distance and become candidates; a neighbour the filter
    ///   rejects is passed through at once, its own allowed neighbours taken in its place, up to M0 per expansion
    ///   (ACORN-1's two-hop expansion). The walk then runs on the allowed nodes alone, with about as many distances
    ///   as an unfiltered walk, where the other way computes 1/s of them for selectivity s.
    ///
    /// With `locks` (a parallel build), each list is read under its lock: other threads are writing lists.
    func searchLayer(_ q: UnsafeRawPointer, entry: Neighbour, ef: Int, level: Int, scratch: SearchScratch,
                     allowed: NodeBits? = nil, twoHop: Bool = false, locks: ListLocks? = nil) {
        scratch.beginTraversal(nodeCount: Int(meta.nodeCount))
        // Heaps and tables in locals: no class-property access (and exclusivity check) per step of the hot loop.
        var candidates = scratch.candidates
        var results = scratch.results
        candidates.reserve(ef + 1)
        results.reserve(ef + 1)
        let visited = scratch.visited
        let stamp = scratch.generation
        let batchNodes = scratch.batchNodes, batchDistances = scratch.batchDistances, passed = scratch.passedNodes
        visited[Int(entry.node)] = stamp
        // The entry (the descent's closest node) is expanded even when the filter rejects it: the walk starts there.
        candidates.push(entry)
        if allowed?.contains(entry.node) ?? true { results.push(entry) }
        // Block base tables in locals: no class-property access in the loop. Sized for every node first, so that
        // resolving a block on the slow path fills these same tables in place (no reallocation under our feet).
        let blocks = Int(meta.nodeCount >> UInt32(HNSWLayout.blockShift)) + 1
        // Checked first: a parallel build's workers share these tables, grown before they start.
        if vectors.capacity < blocks { vectors.grow(to: blocks) }
        if links.capacity < blocks { links.grow(to: blocks) }
        let linkBases = links.bases, linkStride = linkRecordSize
        let shift = UInt32(HNSWLayout.blockShift), mask = HNSWLayout.slotMask
        let nodeCount = meta.nodeCount
        let expansionLimit = M0
        @inline(__always) func levelList(_ node: UInt32) -> UnsafeRawPointer {
            if level == 0, let base = linkBases[Int(node >> shift)] {
                return UnsafeRawPointer(base) + Int(node & mask) * linkStride
            }
            return self.list(node, level: level)
        }
        while !candidates.isEmpty {
            let c = candidates.top
            if results.count >= ef && c.distance > results.top.distance { break }
            candidates.pop()
            let list = levelList(c.node)
            // Three passes over the neighbour list instead of one: (1) drop visited ones, (2) all distances, with the
            // memory requests pipelined (see `distances`), (3) heap updates.
            locks?.lock(c.node)
            let count = min(GraphAccess.count(list), HNSWLayout.maxListLength)
            // nearAllowed: allowed nodes within two hops already visited (an explored region, not a sparse one).
            var fresh = 0, passing = 0, nearAllowed = 0
            for i in 0..<count {
                let m = GraphAccess.neighbour(list, i)
                // A damaged database must fail the search, not index past the visited table.
                guard m < nodeCount else {
                    noteMissingNode(m, linkedFrom: c.node, level: level)
                    continue
                }
                if visited[Int(m)] == stamp {
                    if twoHop, let allowed, allowed.contains(m) { nearAllowed += 1 }
                    continue
                }
                visited[Int(m)] = stamp
                if twoHop, let allowed, !allowed.contains(m) {
                    passed[passing] = m
                    passing += 1
                    vecdb_prefetch(levelList(m))
                } else {
                    batchNodes[fresh] = m
                    fresh += 1
                }
            }
            locks?.unlock(c.node)
            // Two-hop: the allowed neighbours of the rejected ones, nearest hop first, until the expansion is full.
            var p = 0
            while p < passing && fresh < expansionLimit, let allowed {
                let through = passed[p]
                p += 1
                let second = levelList(through)
                for i in 0..<min(GraphAccess.count(second), HNSWLayout.maxListLength) where fresh < expansionLimit {
                    let m = GraphAccess.neighbour(second, i)
                    guard m < nodeCount else {
                        noteMissingNode(m, linkedFrom: through, level: level)
                        continue
                    }
                    guard allowed.contains(m) else { continue }
                    if visited[Int(m)] == stamp {
                        nearAllowed += 1
                        continue
                    }
                    visited[Int(m)] = stamp
                    batchNodes[fresh] = m
                    fresh += 1
                }
            }
            if fresh == 0 && nearAllowed == 0 && passing > 0 {
                // Nothing allowed within two hops, visited or not: the rejected neighbours become candidates
                // themselves (as the walk through every neighbour would make them), so a sparse region never ends
                // the walk early.
                for i in 0..<passing { batchNodes[i] = passed[i] }
                fresh = passing
            }
            distances(q, count: fresh, scratch: scratch)
            for j in 0..<fresh {
                let d = batchDistances[j]
                if results.count < ef || d < results.top.distance {
                    let e = Neighbour(d, batchNodes[j])
                    candidates.push(e)
                    if allowed?.contains(e.node) ?? true {
                        results.push(e)
                        if results.count > ef { results.pop() }
                    }
                }
            }
        }
        scratch.candidates = candidates
        scratch.results = results
    }

    /// Records the first link to a node that does not exist; the search skips it and its caller throws.
    func noteMissingNode(_ node: UInt32, linkedFrom source: UInt32, level: Int) {
        if failure == nil {
            failure = HNSWError.danglingLink(node: source, target: node, layer: level)
        }
    }

    /// Replaces the int8 distances of the ef nodes an int8 walk kept by exact float32 ones and re-sorts them: results
    /// carry exact scores, and a node the codes misplaced by a little within the ef finds its true rank. All ef are
    /// rescored (ef ≥ k, typically 2–10 k: Qdrant's oversampling of k), through `distances`' prefetch pipeline.
    func rescore(_ q: UnsafeRawPointer, _ found: inout [Neighbour], scratch: SearchScratch) {
        scratch.walksQuantized = false
        var start = 0
        while start < found.count {
            let end = min(start + HNSWLayout.maxListLength, found.count)
            for i in start..<end { scratch.batchNodes[i - start] = found[i].node }
            distances(q, count: end - start, scratch: scratch)
            for i in start..<end { found[i].distance = scratch.batchDistances[i - start] }
            start = end
        }
        found.sort { $0.distance < $1.distance }
    }

    /// K-NN-SEARCH: greedy descent to layer 1, SEARCH-LAYER on layer 0 with `ef`, the `k` closest live nodes (of
    /// `allowed`, when given).
    func searchKNN(_ q: UnsafeRawPointer, k: Int, ef: Int, scratch: SearchScratch,
                   allowing allowed: HNSWNodeSet? = nil) -> [(id: UInt64, score: Float)] {
        let entry = meta.entryPoint
        guard entry < meta.nodeCount else {
            failure = HNSWError.entryPointOutOfRange(entry: entry, nodeCount: meta.nodeCount)
            return []
        }
        // An int8 index walks on int8 records, then rescores what it found with the float32 vectors.
        scratch.walksQuantized = quantization == .int8
        defer { scratch.walksQuantized = false }
        if scratch.walksQuantized {
            if scratch.encodedQuery?.dimensions != dimensions { scratch.encodedQuery = EncodedQuery(dimensions: dimensions) }
            scratch.encodedQuery!.encode(q)
        }
        var ep = Neighbour(walkDistance(q, to: entry, scratch: scratch), entry)
        var l = Int(meta.maxLevel)
        while l > 0 {
            ep = greedyClosest(q, from: ep, level: l, scratch: scratch)
            l -= 1
        }
        if let allowed {
            allowed.withBits { bits in
                let walk = FilteredWalk(allowed: allowed.count, live: Int(meta.liveCount), M: M)
                searchLayer(q, entry: ep, ef: ef, level: 0, scratch: scratch, allowed: bits, twoHop: walk.twoHop)
            }
        } else {
            searchLayer(q, entry: ep, ef: ef, level: 0, scratch: scratch)
        }
        scratch.results.drainSortedClosestFirst(into: &scratch.sorted)
        if scratch.walksQuantized { rescore(q, &scratch.sorted, scratch: scratch) }
        var out: [(id: UInt64, score: Float)] = []
        out.reserveCapacity(k)
        // Removed nodes are unreachable (nothing links to them) and never allowed, checked here only as a guard: k
        // header reads.
        for e in scratch.sorted where out.count < k && !isDeleted(e.node) {
            out.append((id: document(e.node), score: -e.distance))
        }
        return out
    }
}
