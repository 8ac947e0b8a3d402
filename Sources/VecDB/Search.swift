import Embedder
import Index
import LMDB

/// One search result.
public struct SearchHit: Sendable {
    public var document: Document
    /// Cosine similarity to the query.
    public var score: Float
}

/// Results of one search, with the snapshot they come from.
public struct SearchResults: Sendable {
    public var hits: [SearchHit]
    /// LMDB transaction id of the snapshot searched.
    public var snapshot: Int
    /// Vectors compared.
    public var scanned: Int
}

extension VectorDatabase {
    /// The `k` documents whose vectors in `collection` are most similar to `query` (a unit vector), by exact scan.
    ///
    /// The scan reads every vector of the collection in place from the memory map — one contiguous key range —
    /// within one read transaction, so results and documents come from the same snapshot.
    public func searchExact(collection name: String, query: [Float], k: Int) throws -> SearchResults {
        try environment.read { txn in
            guard let collection = try collections(in: txn).first(where: { $0.name == name }) else {
                throw VecDBError("no collection '\(name)' in \(path)")
            }
            guard query.count == collection.dimensions else {
                throw VecDBError("query vector has \(query.count) dimensions; collection '\(name)' has \(collection.dimensions)")
            }
            var best = TopK(k: k)
            var scanned = 0
            let prefix = Layout.vectorPrefix(collection: collection.id)
            let byteCount = collection.dimensions * MemoryLayout<Float>.size
            try query.withUnsafeBytes { q in
                try txn.forEach(tables.vectors, from: prefix) { key, value in
                    guard key.count == 12, key.starts(with: prefix) else { return false }
                    guard value.count == byteCount else {
                        throw VecDBError("vector of document \(Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))) "
                            + "in '\(name)' has \(value.count) bytes, expected \(byteCount); run `vecdb check`")
                    }
                    let score = Distance.dot(value.baseAddress!, q.baseAddress!, count: collection.dimensions)
                    best.offer(id: Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...])), score: score)
                    scanned += 1
                    return true
                }
            }
            let hits = try best.sorted().map { entry -> SearchHit in
                guard let document = try document(id: entry.id, in: txn) else {
                    throw VecDBError("collection '\(name)' has a vector for missing document \(entry.id); run `vecdb check`")
                }
                return SearchHit(document: document, score: entry.score)
            }
            return SearchResults(hits: hits, snapshot: txn.id, scanned: scanned)
        }
    }
}

/// The k highest-scoring ids seen, kept as a min-heap on score (ties broken towards lower ids, so results are
/// deterministic).
struct TopK {
    struct Entry { var id: UInt64; var score: Float }
    let k: Int
    private var heap: [Entry] = []

    init(k: Int) {
        self.k = k
        heap.reserveCapacity(k)
    }

    /// True when `a` ranks below `b`.
    private static func worse(_ a: Entry, _ b: Entry) -> Bool {
        a.score < b.score || (a.score == b.score && a.id > b.id)
    }

    mutating func offer(id: UInt64, score: Float) {
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
    func sorted() -> [Entry] { heap.sorted { TopK.worse($1, $0) } }
}

extension VectorDatabase {
    /// Embeds `text` in space `space` of `embedder` and returns the `k` most similar documents of that space's
    /// collection. Refuses a collection built by other weights or another pooling, prompt or length.
    public func query(_ text: String, embedder: SpaceEmbedder, space: Int = 0, k: Int) throws -> SearchResults {
        let target = embedder.spaces[space]
        try environment.read { txn in
            guard try collection(for: target, of: embedder.reference, create: false, in: txn) != nil else {
                let available = try collections(in: txn).map(\.name)
                throw VecDBError("no collection '\(target.collection)' in \(path)"
                    + (available.isEmpty ? "; ingest a file first" : " (it has: \(available.joined(separator: ", ")))"))
            }
        }
        let vector = try embedder.embed([text])[space][0].vector
        return try searchExact(collection: target.collection, query: vector, k: k)
    }
}
