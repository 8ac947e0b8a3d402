import LMDB

/// A node and its distance to the query (distance = −dot, so smaller is closer).
@usableFromInline
struct Neighbour {
    @usableFromInline var distance: Float
    @usableFromInline var node: UInt32
    @inlinable init(_ distance: Float, _ node: UInt32) {
        self.distance = distance
        self.node = node
    }
}

/// A binary heap of `Neighbour`s in memory it owns and reuses: the search's candidate queue (`closestFirst`, a
/// min-heap) or its result set (`!closestFirst`, a max-heap whose top is the farthest kept). Grows only when a
/// larger `ef` is first seen, so steady-state searches allocate nothing.
struct NeighbourHeap {
    private(set) var storage: UnsafeMutablePointer<Neighbour>
    private(set) var capacity: Int
    private(set) var count = 0
    let closestFirst: Bool

    init(capacity: Int, closestFirst: Bool) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
        self.closestFirst = closestFirst
    }

    func deallocate() { storage.deallocate() }

    var isEmpty: Bool { count == 0 }
    var top: Neighbour { storage[0] }

    mutating func removeAll() { count = 0 }

    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        let bigger = UnsafeMutablePointer<Neighbour>.allocate(capacity: n)
        bigger.update(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity = n
    }

    /// True when `a` belongs above `b`.
    @inline(__always) private func above(_ a: Float, _ b: Float) -> Bool { closestFirst ? a < b : a > b }

    @inline(__always)
    mutating func push(_ e: Neighbour) {
        if count == capacity { reserve(capacity * 2) }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if !above(e.distance, storage[parent].distance) { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = e
    }

    @inline(__always) @discardableResult
    mutating func pop() -> Neighbour {
        let result = storage[0]
        count -= 1
        if count > 0 {
            let last = storage[count]
            var i = 0
            while true {
                var child = 2 * i + 1
                if child >= count { break }
                if child + 1 < count && above(storage[child + 1].distance, storage[child].distance) { child += 1 }
                if !above(storage[child].distance, last.distance) { break }
                storage[i] = storage[child]
                i = child
            }
            storage[i] = last
        }
        return result
    }

    /// The elements closest first (empties the heap).
    mutating func drainSortedClosestFirst(into out: inout [Neighbour]) {
        out.removeAll(keepingCapacity: true)
        while count > 0 { out.append(pop()) }
        if !closestFirst { out.reverse() }
    }
}

/// Reusable per-thread search state: the visited set (a generation stamp per node, so clearing it is one
/// increment) and the two heaps. Keep one per thread and pass it to every search to make searches allocation-free;
/// it also keeps the block addresses resolved in a read transaction, valid for every read of that snapshot (see
/// `HNSWIndex.search`).
/// Not thread-safe.
public final class SearchScratch {
    var visited: UnsafeMutablePointer<UInt16>
    var visitedCapacity: Int
    var generation: UInt16 = 0
    var candidates: NeighbourHeap
    var results: NeighbourHeap
    var sorted: [Neighbour] = []
    /// One neighbour list's unvisited nodes, their vectors' addresses and their distances (see `distances`).
    let batchNodes = UnsafeMutablePointer<UInt32>.allocate(capacity: HNSWLayout.maxListLength)
    let batchDistances = UnsafeMutablePointer<Float>.allocate(capacity: HNSWLayout.maxListLength)
    let batchVectors = UnsafeMutablePointer<UnsafeRawPointer>.allocate(capacity: HNSWLayout.maxListLength)
    /// One neighbour list's unvisited nodes that a sparse filter rejects: the filtered walk's second hop goes through them.
    let passedNodes = UnsafeMutablePointer<UInt32>.allocate(capacity: HNSWLayout.maxListLength)
    /// Block table resolved in a read transaction, reused by later reads of the same snapshot (see `HNSWIndex.search`).
    var graph: GraphAccess?
    /// The environment and snapshot (transaction id) `graph` belongs to. Weak: a scratch must not keep a closed
    /// database's map alive, nor mistake a new environment at the same address for it.
    weak var graphEnvironment: Environment?
    var graphSnapshot = -1
    /// The query as the int8 walk reads it, and whether the walk in progress reads int8 records (a search of an
    /// int8 index) or float32 vectors (every insert's neighbour search, every float32 index).
    var encodedQuery: EncodedQuery?
    var walksQuantized = false

    public init() {
        visitedCapacity = 1024
        visited = .allocate(capacity: visitedCapacity)
        visited.initialize(repeating: 0, count: visitedCapacity)
        candidates = NeighbourHeap(capacity: 256, closestFirst: true)
        results = NeighbourHeap(capacity: 256, closestFirst: false)
    }

    deinit {
        visited.deallocate()
        batchNodes.deallocate()
        batchDistances.deallocate()
        batchVectors.deallocate()
        passedNodes.deallocate()
        candidates.deallocate()
        results.deallocate()
    }

    /// Starts a new traversal over `nodeCount` nodes: a fresh generation, the visited array big enough.
    @inline(__always)
    func beginTraversal(nodeCount: Int) {
        if nodeCount > visitedCapacity {
            visited.deallocate()
            visitedCapacity = max(nodeCount, visitedCapacity * 2)
            visited = .allocate(capacity: visitedCapacity)
            visited.initialize(repeating: 0, count: visitedCapacity)
            generation = 0
        }
        generation &+= 1
        if generation == 0 {
            // The stamp wrapped: stale stamps could equal the new one, so clear them once every 65,535 searches.
            visited.update(repeating: 0, count: visitedCapacity)
            generation = 1
        }
        candidates.removeAll()
        results.removeAll()
    }
}
