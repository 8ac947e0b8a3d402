/// The nodes of one snapshot of an index that a filtered search may return: one bit per node, made by
/// `HNSWIndex.nodes(in:where:)` from a test on documents, with removed nodes left out.
///
/// The filtered walk tests every neighbour it meets against the filter, and with a sparse filter it tests the
/// neighbours of neighbours too (`HNSWIndex.search`'s two-hop expansion) — nodes whose records it never reads
/// otherwise. A bit per node (12.5 KB per 100,000 nodes, in cache) makes each test one load instead of a read of
/// the node's header and a test of its document. The set describes the snapshot it was made in: nodes added later
/// are outside its `bound` and never match.
public struct HNSWNodeSet: Sendable, Equatable {
    let words: [UInt64]
    /// Nodes below this bound (the snapshot's node count) can be members.
    public let bound: UInt32
    /// Number of members.
    public let count: Int

    init(words: [UInt64], bound: UInt32, count: Int) {
        precondition(words.count == (Int(bound) + 63) / 64, "node set of \(words.count) words for \(bound) nodes")
        self.words = words
        self.bound = bound
        self.count = count
    }

    public func contains(_ node: UInt32) -> Bool { withBits { $0.contains(node) } }
}

/// An `HNSWNodeSet`'s bits as the walk reads them: no array bounds check, no retain per test. Valid only inside
/// `HNSWNodeSet.withBits`.
struct NodeBits {
    let words: UnsafePointer<UInt64>
    let bound: UInt32

    @inline(__always) func contains(_ node: UInt32) -> Bool {
        node < bound && words[Int(node >> 6)] & (1 << UInt64(node & 63)) != 0
    }
}

extension HNSWNodeSet {
    func withBits<R>(_ body: (NodeBits) throws -> R) rethrows -> R {
        try words.withUnsafeBufferPointer { buffer in
            // An empty array's base address may be nil; a set over no nodes is never read (bound 0).
            let base = buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<UInt64>.alignment)!
            return try body(NodeBits(words: base, bound: bound))
        }
    }
}
