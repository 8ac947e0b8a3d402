/// The k highest-scoring ids offered, kept as a min-heap on score with ties ranked towards the lower id, so that a
/// top k is deterministic: the exact vector scan's and BM25's (MaxScore's and its exhaustive check's) selection.
/// Inlinable, so that each caller gets it specialised for its score type inside its own hot loop.
@frozen
public struct TopK<Score: Comparable> {
    @frozen
    public struct Entry {
        public var id: UInt64
        public var score: Score

        @inlinable
        init(id: UInt64, score: Score) {
            self.id = id
            self.score = score
        }
    }

    public let k: Int
    @usableFromInline var heap: [Entry] = []

    @inlinable
    public init(k: Int) {
        self.k = k
        heap.reserveCapacity(max(0, min(k, 1 << 16)))
    }

    /// True once k entries are held: `minimum` is then the score to beat.
    @inlinable public var isFull: Bool { heap.count == k }

    /// The k-th best score (the heap must be full).
    @inlinable public var minimum: Score { heap[0].score }

    /// True when `a` ranks below `b`.
    @inlinable static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.id > b.id)
    }

    @inlinable public mutating func offer(id: UInt64, score: Score) {
        let entry = Entry(id: id, score: score)
        if heap.count < k {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard TopK.worse(heap[child], heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        } else if k > 0, TopK.worse(heap[0], entry) {
            heap[0] = entry
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < heap.count, TopK.worse(heap[left], heap[smallest]) { smallest = left }
                if right < heap.count, TopK.worse(heap[right], heap[smallest]) { smallest = right }
                if smallest == parent { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
    }

    /// Best first.
    @inlinable public func sorted() -> [Entry] { heap.sorted { TopK.worse($1, $0) } }
}
