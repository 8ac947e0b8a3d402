/// A set of document ids as a bitmap: ids are dense (assigned in order, never reused), so one bit per id ever
/// assigned is small (125 KB per million documents) and makes `and`, `or` and complement a pass over words —
/// what a filter's evaluation and the index's "may this node be returned?" test need.
public struct DocumentSet: Equatable, Sendable {
    private var words: [UInt64]
    /// Ids below this bound can be members.
    public let bound: UInt64
    /// Number of members.
    public private(set) var count: Int

    /// The empty set over ids `0..<bound`.
    public init(bound: UInt64) {
        self.bound = bound
        words = [UInt64](repeating: 0, count: Int((bound + 63) / 64))
        count = 0
    }

    public func contains(_ id: UInt64) -> Bool {
        id < bound && words[Int(id >> 6)] & (1 << (id & 63)) != 0
    }

    public mutating func insert(_ id: UInt64) {
        precondition(id < bound, "document \(id) is past the set's bound \(bound)")
        let (word, bit) = (Int(id >> 6), UInt64(1) << (id & 63))
        if words[word] & bit == 0 {
            words[word] |= bit
            count += 1
        }
    }

    public func intersection(_ other: DocumentSet) -> DocumentSet { combined(other) { $0 & $1 } }

    public func union(_ other: DocumentSet) -> DocumentSet { combined(other) { $0 | $1 } }

    /// Members of this set that are not members of `other`.
    public func subtracting(_ other: DocumentSet) -> DocumentSet { combined(other) { $0 & ~$1 } }

    private func combined(_ other: DocumentSet, _ op: (UInt64, UInt64) -> UInt64) -> DocumentSet {
        precondition(bound == other.bound, "sets over different id ranges")
        var result = self
        var total = 0
        for i in result.words.indices {
            result.words[i] = op(words[i], other.words[i])
            total += result.words[i].nonzeroBitCount
        }
        result.count = total
        return result
    }

    /// The members in increasing order.
    public var ids: [UInt64] {
        var result: [UInt64] = []
        result.reserveCapacity(count)
        for (index, word) in words.enumerated() where word != 0 {
            var rest = word
            while rest != 0 {
                result.append(UInt64(index) << 6 | UInt64(rest.trailingZeroBitCount))
                rest &= rest - 1
            }
        }
        return result
    }
}
