import Foundation
import Kernels

/// Striped mutexes over the neighbour lists of a parallel build: the lists of node n are guarded by stripe
/// n mod 4,096. A thread holds at most one at a time (it copies a list, or rewrites one, and lets go), so no lock
/// order is needed and none can deadlock.
final class ListLocks: @unchecked Sendable {
    private static let stripes = 4096
    private let mutexes: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutexes = .allocate(capacity: Self.stripes)
        for i in 0..<Self.stripes { pthread_mutex_init(mutexes + i, nil) }
    }

    deinit {
        for i in 0..<Self.stripes { pthread_mutex_destroy(mutexes + i) }
        mutexes.deallocate()
    }

    @inline(__always) func lock(_ node: UInt32) { pthread_mutex_lock(mutexes + Int(node) & (Self.stripes - 1)) }
    @inline(__always) func unlock(_ node: UInt32) { pthread_mutex_unlock(mutexes + Int(node) & (Self.stripes - 1)) }
}

extension HNSWWriter {
    /// Inserts `batch` as `insert(_:)` does, with the neighbour searches and links of `threads` nodes running at
    /// once (hnswlib's scheme: a lock per neighbour list, held only while one list is read or rewritten).
    ///
    /// Slots, levels, vectors and headers are allocated first, in order and on this thread, so a node's number and
    /// level are what a serial insert would give; which links it ends with depends on the threads' timing, so the
    /// graph is not reproducible from run to run (the serial `insert` is). Every link and upper block is owned
    /// before the workers start, which copies all of them: for building or rebuilding a whole index
    /// (`index rebuild --threads`), not for small batches into a large one. Throws before changing anything when an
    /// id is indexed already or repeated in `batch`.
    public func insert(_ batch: [(id: UInt64, vector: [Float])], threads: Int) throws {
        guard threads > 1, batch.count > 1 else { return try insert(batch) }
        let g = graph
        g.beginCall()
        var seen = Set<UInt64>()
        for (id, vector) in batch {
            try checkInsertable(id: id, vector: vector)
            guard seen.insert(id).inserted else { throw HNSWError.duplicate(id: id) }
        }
        guard Int(g.meta.nodeCount) + batch.count < Int(HNSWLayout.noNode) - 1 else { throw HNSWError.invalidParameters("index full") }
        let allocated = batch.map { allocate(id: $0.id, vector: $0.vector) }
        g.prepareForParallelWrites()
        var start = 0
        if g.meta.entryPoint == HNSWLayout.noNode {
            // The first node of an empty index has nothing to link to: it is the entry point.
            g.meta.entryPoint = allocated[0].node
            g.meta.maxLevel = UInt32(allocated[0].level)
            start = 1
        }
        let queue = BuildQueue(next: start, entry: g.meta.entryPoint, level: Int(g.meta.maxLevel))
        let locks = ListLocks()
        // Each worker touches only its own scratch and buffers, and shared lists only under `locks`.
        let shared = UncheckedSendable(self)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let writer = shared.value
            let scratch = SearchScratch()
            var candidates: [Neighbour] = [], selected: [UInt32] = []
            while let (claimed, seenFrom) = queue.claim(below: allocated.count) {
                let (node, level) = allocated[claimed]
                writer.link(node, level: level, entry: seenFrom.node, maxLevel: seenFrom.level, scratch: scratch,
                            candidates: &candidates, selected: &selected, locks: locks)
                if level > seenFrom.level { queue.raiseEntry(to: node, level: level) }
            }
        }
        g.meta.entryPoint = queue.entry.node
        g.meta.maxLevel = UInt32(queue.entry.level)
        linkUnreachable()
        if let failure = g.failure { throw failure }
    }

    /// The parallel build's stand-in for `keepReachable`: counts every node's layer-0 in-links exactly, and has each
    /// node that nothing links to kept by its nearest neighbour that can: in a free slot, else in place of that
    /// neighbour's farthest link into a node with another in-link (so no node loses its last one).
    func linkUnreachable() {
        let g = graph
        let nodeCount = Int(g.meta.nodeCount)
        guard g.meta.liveCount > 1 else { return }
        var inLinks = [Int32](repeating: 0, count: nodeCount)
        for n in 0..<UInt32(nodeCount) where !g.isDeleted(n) {
            let list = g.list(n, level: 0)
            for i in 0..<GraphAccess.count(list) { inLinks[Int(GraphAccess.neighbour(list, i))] += 1 }
        }
        for n in 0..<UInt32(nodeCount) where inLinks[Int(n)] == 0 && !g.isDeleted(n) {
            let own = g.list(n, level: 0), base = g.vector(n)
            let holders = (0..<GraphAccess.count(own)).map { GraphAccess.neighbour(own, $0) }
                .map { Neighbour(g.distance(base, g.vector($0)), $0) }.sorted { $0.distance < $1.distance }
            for s in holders {
                let list = g.list(s.node, level: 0)
                let count = GraphAccess.count(list)
                if count < g.M0 {
                    g.appendLink(s.node, level: 0, count: count, n)
                    inLinks[Int(n)] += 1
                    break
                }
                let sBase = g.vector(s.node)
                let victims = (0..<count).filter { inLinks[Int(GraphAccess.neighbour(list, $0))] > 1 }
                guard let victim = victims.max(by: {
                    g.distance(sBase, g.vector(GraphAccess.neighbour(list, $0))) < g.distance(sBase, g.vector(GraphAccess.neighbour(list, $1)))
                }) else { continue }
                inLinks[Int(GraphAccess.neighbour(list, victim))] -= 1
                g.mutableList(s.node, level: 0).storeBytes(of: n.littleEndian, toByteOffset: 4 + 4 * victim, as: UInt32.self)
                inLinks[Int(n)] += 1
                break
            }
        }
    }
}

/// The nodes of a parallel build not yet claimed, and the entry point and top level, which change while the
/// workers run (kept here under a lock, not in the metadata the workers read).
private final class BuildQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var next: Int
    private(set) var entry: (node: UInt32, level: Int)

    init(next: Int, entry: UInt32, level: Int) {
        self.next = next
        self.entry = (entry, level)
    }

    /// The next allocated node's index and the entry point to link it from; nil when all are claimed.
    func claim(below count: Int) -> (Int, (node: UInt32, level: Int))? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return (next - 1, entry)
    }

    /// A linked node above the top level becomes the entry point (unless another, higher one did meanwhile).
    func raiseEntry(to node: UInt32, level: Int) {
        lock.lock()
        if level > entry.level { entry = (node, level) }
        lock.unlock()
    }
}
