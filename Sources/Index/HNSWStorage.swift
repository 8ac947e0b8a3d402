import LMDB

/// One kind of block (vectors, layer-0 links, upper-layer records) of one collection: block number → base address.
///
/// An entry is either a pointer into LMDB's map (never written through) or, in a writer, a heap copy the writer
/// owns and modifies (copy-on-write at block granularity) until `flush` puts it back once.
struct BlockTable {
    let kind: HNSWLayout.Kind
    let blockBytes: Int
    var bases: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    var owned: UnsafeMutablePointer<Bool>
    var capacity: Int

    init(kind: HNSWLayout.Kind, blockBytes: Int, blocks: Int) {
        self.kind = kind
        self.blockBytes = blockBytes
        capacity = max(blocks, 4)
        bases = .allocate(capacity: capacity)
        bases.initialize(repeating: nil, count: capacity)
        owned = .allocate(capacity: capacity)
        owned.initialize(repeating: false, count: capacity)
    }

    mutating func grow(to blocks: Int) {
        guard blocks > capacity else { return }
        let n = max(blocks, capacity * 2)
        let b = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: n)
        b.initialize(repeating: nil, count: n)
        b.update(from: bases, count: capacity)
        let o = UnsafeMutablePointer<Bool>.allocate(capacity: n)
        o.initialize(repeating: false, count: n)
        o.update(from: owned, count: capacity)
        bases.deallocate()
        owned.deallocate()
        bases = b
        owned = o
        capacity = n
    }

    /// Block `block` when this writer owns it: read without an exclusive access to the table, so that a parallel
    /// build's threads can all take this path at once.
    @inline(__always)
    static func ownedBase(_ t: BlockTable, _ block: Int) -> UnsafeMutableRawPointer? {
        block < t.capacity && t.owned[block] ? t.bases[block] : nil
    }

    /// Forgets every map pointer (a put may have moved them); owned copies stay.
    func forgetMapped() {
        for i in 0..<capacity where !owned[i] { bases[i] = nil }
    }

    func deallocate() {
        for i in 0..<capacity where owned[i] { bases[i]?.deallocate() }
        bases.deallocate()
        owned.deallocate()
    }
}

/// Address arithmetic over one collection's blocks inside one transaction: the hot path of search and insert.
///
/// Blocks are resolved lazily (one `mdb_get` the first time a block is touched) and then addressed by pointer
/// arithmetic. Why keeping map pointers is sound:
/// * in a READ transaction LMDB keeps every page of the snapshot in place until the transaction ends, so the
///   pointers stay valid for the transaction's lifetime; and since a snapshot's pages never change, they are the
///   same pointers in any later read transaction of the same snapshot (same environment, same transaction id),
///   which pins those pages again (`SearchScratch` keeps this object across such transactions, swapping in `txn`);
/// * in a WRITE transaction a pointer dies at the next put or delete by anyone, so a writer forgets all map pointers
///   at the start of every public call (`beginCall`) — the writer itself puts nothing until `flush`, so no pointer
///   it holds is used across a put.
/// A failed or missing block does not throw in the hot loop: it records `failure` and reads a zeroed block (no links,
/// zero vector), and the public entry point throws `failure` when the call ends.
final class GraphAccess {
    /// The transaction blocks are resolved in. A search's cached table lets go of it when the search returns and a
    /// later reader of the same snapshot hands in its own, so nothing holds a transaction past its scope.
    var transaction: Transaction?
    var txn: Transaction {
        guard let transaction else { preconditionFailure("index blocks resolved outside a transaction") }
        return transaction
    }
    let table: Database
    let collection: UInt32
    var meta: MetaRecord
    let writable: Bool
    let dimensions: Int
    /// How vectors compare; nodes are ordered by distance = −similarity.
    let metric: Metric
    let M: Int
    let M0: Int
    let vectorBytes: Int
    let linkRecordSize: Int
    let headerOffset: Int
    let upperRecordSize: Int
    var vectors: BlockTable
    var links: BlockTable
    var upper: BlockTable
    /// int8 records (`HNSWLayout.quantizedStride` bytes per node), resolved only in an int8 index.
    var quantized: BlockTable
    let quantization: Quantization
    let quantizedStride: Int
    var failure: Error?
    private var zeroBlock: UnsafeMutableRawPointer?

    init(txn: Transaction, table: Database, collection: UInt32, meta: MetaRecord, writable: Bool) {
        transaction = txn
        self.table = table
        self.collection = collection
        self.meta = meta
        self.writable = writable
        dimensions = Int(meta.dimensions)
        metric = Metric(code: meta.metric) ?? .cosine
        M = Int(meta.M)
        M0 = meta.M0
        vectorBytes = dimensions * 4
        linkRecordSize = HNSWLayout.linkRecordSize(M0: M0)
        headerOffset = HNSWLayout.headerOffset(M0: M0)
        upperRecordSize = HNSWLayout.upperRecordSize(M: M)
        let blocks = (Int(meta.nodeCount) >> HNSWLayout.blockShift) + 1
        vectors = BlockTable(kind: .vectors, blockBytes: HNSWLayout.vectorPad + vectorBytes * HNSWLayout.nodesPerBlock, blocks: blocks)
        links = BlockTable(kind: .links, blockBytes: linkRecordSize * HNSWLayout.nodesPerBlock, blocks: blocks)
        upper = BlockTable(kind: .upper, blockBytes: upperRecordSize * HNSWLayout.nodesPerBlock,
                           blocks: (Int(meta.upperCount) >> HNSWLayout.blockShift) + 1)
        quantization = Quantization(code: meta.quantization) ?? .none
        quantizedStride = HNSWLayout.quantizedStride(dimensions: dimensions)
        quantized = BlockTable(kind: .quantized, blockBytes: HNSWLayout.vectorPad + quantizedStride * HNSWLayout.nodesPerBlock,
                               blocks: quantization == .none ? 0 : blocks)
    }

    deinit {
        vectors.deallocate()
        links.deallocate()
        upper.deallocate()
        quantized.deallocate()
        zeroBlock?.deallocate()
    }

    /// A writer's call begins: map pointers from before it may be stale.
    func beginCall() {
        vectors.forgetMapped()
        links.forgetMapped()
        upper.forgetMapped()
        quantized.forgetMapped()
    }

    // MARK: resolution (slow path, once per block per transaction or writer call)

    @inline(never)
    private func resolve(_ t: inout BlockTable, _ block: Int) -> UnsafeMutableRawPointer {
        t.grow(to: block + 1)
        if let p = t.bases[block] { return p }
        do {
            let key = HNSWLayout.blockKey(collection, t.kind, block)
            if let raw = try txn.unsafeMappedValue(table, key: key) {
                guard raw.count == t.blockBytes else {
                    throw HNSWError.corrupted("block \(t.kind) \(block) has \(raw.count) bytes, expected \(t.blockBytes)")
                }
                let p = UnsafeMutableRawPointer(mutating: raw.baseAddress!)
                t.bases[block] = p
                return p
            }
            if writable {
                // A block not yet written: the writer starts it zeroed (count 0 lists) and owns it.
                let p = UnsafeMutableRawPointer.allocate(byteCount: t.blockBytes, alignment: 64)
                p.initializeMemory(as: UInt8.self, repeating: 0, count: t.blockBytes)
                t.bases[block] = p
                t.owned[block] = true
                return p
            }
            throw HNSWError.corrupted("block \(t.kind) \(block) missing")
        } catch {
            if failure == nil { failure = error }
            return zeros(t.blockBytes)
        }
    }

    private func zeros(_ bytes: Int) -> UnsafeMutableRawPointer {
        if zeroBlock == nil {
            let n = max(vectors.blockBytes, links.blockBytes, upper.blockBytes, quantized.blockBytes)
            zeroBlock = .allocate(byteCount: n, alignment: 64)
            zeroBlock!.initializeMemory(as: UInt8.self, repeating: 0, count: n)
        }
        return zeroBlock!
    }

    /// Copy-on-write: the writer's own copy of a block, made on its first modification.
    @inline(never)
    private func own(_ t: inout BlockTable, _ block: Int) -> UnsafeMutableRawPointer {
        let src = resolve(&t, block)
        if t.owned[block] { return src }
        let p = UnsafeMutableRawPointer.allocate(byteCount: t.blockBytes, alignment: 64)
        p.copyMemory(from: src, byteCount: t.blockBytes)
        t.bases[block] = p
        t.owned[block] = true
        return p
    }

    // MARK: hot path

    /// The walk's distance between two vectors: −similarity under the index's metric.
    @inline(__always)
    func distance(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer) -> Float { -metric.similarity(a, b, count: dimensions) }

    /// The vector of node `n`.
    @inline(__always)
    func vector(_ n: UInt32) -> UnsafeRawPointer {
        let b = Int(n >> UInt32(HNSWLayout.blockShift))
        let base = b < vectors.capacity ? vectors.bases[b] : nil
        return UnsafeRawPointer(base ?? resolve(&vectors, b)) + HNSWLayout.vectorPad + Int(n & HNSWLayout.slotMask) * vectorBytes
    }

    /// The int8 record of node `n` (an int8 index only).
    @inline(__always)
    func quantizedRecord(_ n: UInt32) -> UnsafeRawPointer {
        let b = Int(n >> UInt32(HNSWLayout.blockShift))
        let base = b < quantized.capacity ? quantized.bases[b] : nil
        return UnsafeRawPointer(base ?? resolve(&quantized, b)) + HNSWLayout.vectorPad + Int(n & HNSWLayout.slotMask) * quantizedStride
    }

    /// The layer-0 link record of node `n`: u32 count, M0 neighbours, then the node header.
    @inline(__always)
    func record(_ n: UInt32) -> UnsafeRawPointer {
        let b = Int(n >> UInt32(HNSWLayout.blockShift))
        let base = b < links.capacity ? links.bases[b] : nil
        return UnsafeRawPointer(base ?? resolve(&links, b)) + Int(n & HNSWLayout.slotMask) * linkRecordSize
    }

    /// Upper-layer record `r`: u32 count, M neighbours.
    @inline(__always)
    func upperRecord(_ r: UInt32) -> UnsafeRawPointer {
        let b = Int(r >> UInt32(HNSWLayout.blockShift))
        let base = b < upper.capacity ? upper.bases[b] : nil
        return UnsafeRawPointer(base ?? resolve(&upper, b)) + Int(r & HNSWLayout.slotMask) * upperRecordSize
    }

    /// The neighbour list (u32 count, then node numbers) of `n` on `level`.
    @inline(__always)
    func list(_ n: UInt32, level: Int) -> UnsafeRawPointer {
        if level == 0 { return record(n) }
        return upperRecord(upperStart(n) + UInt32(level - 1))
    }

    @inline(__always) func level(_ n: UInt32) -> Int {
        Int(record(n).load(fromByteOffset: headerOffset + HNSWLayout.levelOffset, as: UInt8.self))
    }
    @inline(__always) func flags(_ n: UInt32) -> UInt8 {
        record(n).load(fromByteOffset: headerOffset + HNSWLayout.flagsOffset, as: UInt8.self)
    }
    @inline(__always) func isDeleted(_ n: UInt32) -> Bool { flags(n) & HNSWLayout.deletedFlag != 0 }
    @inline(__always) func upperStart(_ n: UInt32) -> UInt32 {
        UInt32(littleEndian: record(n).loadUnaligned(fromByteOffset: headerOffset + HNSWLayout.upperStartOffset, as: UInt32.self))
    }
    @inline(__always) func document(_ n: UInt32) -> UInt64 {
        UInt64(littleEndian: record(n).loadUnaligned(fromByteOffset: headerOffset + HNSWLayout.documentOffset, as: UInt64.self))
    }

    @inline(__always) static func count(_ list: UnsafeRawPointer) -> Int {
        Int(UInt32(littleEndian: list.loadUnaligned(as: UInt32.self)))
    }
    @inline(__always) static func neighbour(_ list: UnsafeRawPointer, _ i: Int) -> UInt32 {
        UInt32(littleEndian: list.loadUnaligned(fromByteOffset: 4 + 4 * i, as: UInt32.self))
    }

    // MARK: writes (writer only)

    func mutableVector(_ n: UInt32) -> UnsafeMutableRawPointer {
        own(&vectors, Int(n >> UInt32(HNSWLayout.blockShift))) + HNSWLayout.vectorPad + Int(n & HNSWLayout.slotMask) * vectorBytes
    }
    func mutableQuantizedRecord(_ n: UInt32) -> UnsafeMutableRawPointer {
        own(&quantized, Int(n >> UInt32(HNSWLayout.blockShift))) + HNSWLayout.vectorPad + Int(n & HNSWLayout.slotMask) * quantizedStride
    }
    func mutableRecord(_ n: UInt32) -> UnsafeMutableRawPointer {
        let b = Int(n >> UInt32(HNSWLayout.blockShift))
        return (BlockTable.ownedBase(links, b) ?? own(&links, b)) + Int(n & HNSWLayout.slotMask) * linkRecordSize
    }
    func mutableList(_ n: UInt32, level: Int) -> UnsafeMutableRawPointer {
        if level == 0 { return mutableRecord(n) }
        let r = upperStart(n) + UInt32(level - 1)
        let b = Int(r >> UInt32(HNSWLayout.blockShift))
        return (BlockTable.ownedBase(upper, b) ?? own(&upper, b)) + Int(r & HNSWLayout.slotMask) * upperRecordSize
    }

    /// Owns every link and upper block and resolves every vector block of the allocated nodes, so that the workers
    /// of a parallel build never resolve or copy a block: `mutableList` then only reads the tables (`ownedBase`),
    /// and threads that write different lists share them safely.
    func prepareForParallelWrites() {
        let shift = HNSWLayout.blockShift
        let blocks = (Int(meta.nodeCount) + HNSWLayout.nodesPerBlock - 1) >> shift
        let upperBlocks = (Int(meta.upperCount) + HNSWLayout.nodesPerBlock - 1) >> shift
        vectors.grow(to: blocks + 1)
        links.grow(to: blocks + 1)
        upper.grow(to: upperBlocks + 1)
        for b in 0..<blocks {
            _ = own(&links, b)
            _ = vector(UInt32(b << shift))
        }
        for b in 0..<upperBlocks { _ = own(&upper, b) }
    }

    /// Appends `node` to the list of `n` on `level`, which holds `count` < its capacity.
    func appendLink(_ n: UInt32, level: Int, count: Int, _ node: UInt32) {
        let p = mutableList(n, level: level)
        p.storeBytes(of: node.littleEndian, toByteOffset: 4 + 4 * count, as: UInt32.self)
        p.storeBytes(of: UInt32(count + 1).littleEndian, as: UInt32.self)
    }

    /// Replaces the list of `n` on `level` with `nodes`.
    func setList(_ n: UInt32, level: Int, _ nodes: UnsafeBufferPointer<UInt32>) {
        let p = mutableList(n, level: level)
        p.storeBytes(of: UInt32(nodes.count).littleEndian, as: UInt32.self)
        for (i, v) in nodes.enumerated() { p.storeBytes(of: v.littleEndian, toByteOffset: 4 + 4 * i, as: UInt32.self) }
    }

    func setHeader(_ n: UInt32, level: Int, flags: UInt8, upperStart: UInt32, document: UInt64) {
        let h = mutableRecord(n) + headerOffset
        h.storeBytes(of: UInt8(level), toByteOffset: HNSWLayout.levelOffset, as: UInt8.self)
        h.storeBytes(of: flags, toByteOffset: HNSWLayout.flagsOffset, as: UInt8.self)
        h.storeBytes(of: UInt16(0), toByteOffset: 2, as: UInt16.self)
        h.storeBytes(of: upperStart.littleEndian, toByteOffset: HNSWLayout.upperStartOffset, as: UInt32.self)
        h.storeBytes(of: document.littleEndian, toByteOffset: HNSWLayout.documentOffset, as: UInt64.self)
    }

    func setFlags(_ n: UInt32, _ flags: UInt8) {
        (mutableRecord(n) + headerOffset).storeBytes(of: flags, toByteOffset: HNSWLayout.flagsOffset, as: UInt8.self)
    }

    /// Puts every block this writer modified, once, then the metadata. Map pointers die here, so all are forgotten.
    func flush() throws {
        for t in [vectors, links, upper, quantized] {
            for b in 0..<t.capacity where t.owned[b] {
                try txn.put(table, key: HNSWLayout.blockKey(collection, t.kind, b),
                            bytes: UnsafeRawBufferPointer(start: t.bases[b], count: t.blockBytes))
                t.bases[b]!.deallocate()
                t.bases[b] = nil
                t.owned[b] = false
            }
            t.forgetMapped()
        }
        try txn.put(table, key: HNSWLayout.metadataKey(collection), value: meta.encoded())
    }
}

/// Errors of the index.
public enum HNSWError: Error, Equatable, CustomStringConvertible {
    /// The collection has no index metadata (call `HNSWIndex.create`).
    case missingIndex(collection: UInt32)
    /// `create` found an index already there.
    case alreadyExists(collection: UInt32)
    /// A vector's length differs from the index's dimensions.
    case dimensionMismatch(expected: Int, got: Int)
    /// The document id is already in the index (update = remove, then insert).
    case duplicate(id: UInt64)
    /// A write through a read-only transaction.
    case readOnlyTransaction
    /// Stored data does not match the layout.
    case corrupted(String)
    /// Node `node` lists `target` as a neighbour on `layer`, but the index has no such node. Found during a search;
    /// what to do about it (rebuild the index from the stored vectors) is the caller's business.
    case danglingLink(node: UInt32, target: UInt32, layer: Int)
    /// The metadata's entry point is not one of its `nodeCount` nodes.
    case entryPointOutOfRange(entry: UInt32, nodeCount: UInt32)
    /// Parameters out of range.
    case invalidParameters(String)

    public var description: String {
        switch self {
        case .missingIndex(let c): "no HNSW index for collection \(c)"
        case .alreadyExists(let c): "an HNSW index for collection \(c) exists already"
        case .dimensionMismatch(let e, let g): "vector has \(g) components, index expects \(e)"
        case .duplicate(let id): "document \(id) is already indexed"
        case .readOnlyTransaction: "index writes need a write transaction"
        case .corrupted(let s): "HNSW index corrupted: \(s)"
        case .danglingLink(let node, let target, let layer):
            "HNSW index corrupted: node \(node) links to missing node \(target) on layer \(layer)"
        case .entryPointOutOfRange(let entry, let count): "HNSW index corrupted: entry point \(entry) is not one of the \(count) nodes"
        case .invalidParameters(let s): "invalid HNSW parameters: \(s)"
        }
    }
}
