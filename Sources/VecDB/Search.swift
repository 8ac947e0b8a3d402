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
    /// Vectors compared by the exact scan (0 for an index search).
    public var scanned: Int
    /// How the results were found.
    public var mode: SearchMode
}

/// How a search finds its results.
public enum SearchMode: Sendable, Equatable {
    /// Compare the query with every vector of the collection.
    case exact
    /// Search the collection's HNSW index with `ef` candidates (at least k).
    case index(ef: Int)
    /// The index once the collection has `VectorDatabase.indexThreshold` vectors (ef = `defaultEf`), else exact.
    case automatic

    /// Candidates an index search keeps by default: recall@10 ≥ 0.95 on the test sets at this ef (bench/RESULTS.md).
    public static let defaultEf = 100

    public var name: String {
        switch self {
        case .exact: return "exact"
        case .index(let ef): return "hnsw(ef=\(ef))"
        case .automatic: return "automatic"
        }
    }
}

extension VectorDatabase {
    /// Collections smaller than this are scanned: a scan of 10,000 384-d vectors takes about a millisecond and is exact.
    public static let indexThreshold = 10_000

    /// The `k` documents of collection `name` most similar to `query` (a unit vector), found as `mode` says.
    public func search(collection name: String, query: [Float], k: Int, mode: SearchMode = .automatic) throws -> SearchResults {
        try environment.read { txn in
            let found = try rank(collection: name, query: query, k: k, mode: mode, in: txn)
            return SearchResults(hits: try hits(found.ranked, collection: name, in: txn), snapshot: txn.id,
                                 scanned: found.scanned, mode: found.mode)
        }
    }

    /// The ids (as `addVectors` and ingest return them) and scores of the `k` documents of collection `name` most
    /// similar to `query`, best first: `search` without reading the documents, for callers that keep their own
    /// record of what each id is (and for measuring the index apart from document decoding).
    public func nearest(collection name: String, query: [Float], k: Int,
                        mode: SearchMode = .automatic) throws -> [(id: UInt64, score: Float)] {
        try environment.read { txn in try rank(collection: name, query: query, k: k, mode: mode, in: txn).ranked }
    }

    /// Ranks collection `name` for `query` in the snapshot of `txn`: the index or the scan, as `mode` resolves.
    private func rank(collection name: String, query: [Float], k: Int, mode: SearchMode,
                      in txn: Transaction) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int, mode: SearchMode) {
        guard let collection = try collections(in: txn).first(where: { $0.name == name }) else {
            throw VecDBError("no collection '\(name)' in \(path)")
        }
        guard query.count == collection.dimensions else {
            throw VecDBError("query vector has \(query.count) dimensions; collection '\(name)' has \(collection.dimensions)")
        }
        var resolved = mode
        if environment.options.noLock {
            // Read without the lock, a writer may overwrite pages mid-search (Environment.read refuses the
            // answer afterwards); the scan checks every length it reads, while the graph walk follows pointers into pages.
            resolved = .exact
        } else if mode == .automatic {
            resolved = collection.index != nil && collection.count >= VectorDatabase.indexThreshold
                ? .index(ef: max(SearchMode.defaultEf, k)) : .exact
        }
        switch resolved {
        case .index(let ef):
            guard collection.index != nil else {
                throw VecDBError("collection '\(name)' has no index (\(collection.dimensions)-dimensional vectors are searched exactly); "
                    + "search it without --ef")
            }
            let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
            let ranked = try searchScratches.withScratch { scratch in
                try index.search(query, k: k, ef: max(ef, k), in: txn, scratch: scratch)
            }
            return (ranked, 0, .index(ef: max(ef, k)))
        case .exact, .automatic:
            let found = try scan(collection, query: query, k: k, in: txn)
            return (found.ranked, found.scanned, .exact)
        }
    }

    /// Exact search: every vector of the collection, read in place from the memory map — one contiguous key range.
    private func scan(_ collection: Collection, query: [Float], k: Int,
                      in txn: Transaction) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int) {
        let name = collection.name
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
        return (best.sorted().map { (id: $0.id, score: $0.score) }, scanned)
    }

    /// The documents of ranked ids, read in the same snapshot as the ranking.
    private func hits(_ ranked: [(id: UInt64, score: Float)], collection name: String, in txn: Transaction) throws -> [SearchHit] {
        try ranked.map { entry in
            guard let document = try document(id: entry.id, in: txn) else {
                throw VecDBError("collection '\(name)' refers to missing document \(entry.id); run `vecdb check`")
            }
            return SearchHit(document: document, score: entry.score)
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
    public func query(_ text: String, embedder: SpaceEmbedder, space: Int = 0, k: Int,
                      mode: SearchMode = .automatic) throws -> SearchResults {
        let target = embedder.spaces[space]
        try environment.read { txn in
            guard try collection(for: target, of: embedder.reference, create: false, in: txn) != nil else {
                let available = try collections(in: txn).map(\.name)
                throw VecDBError("no collection '\(target.collection)' in \(path)"
                    + (available.isEmpty ? "; ingest a file first" : " (it has: \(available.joined(separator: ", ")))"))
            }
        }
        let vector = try embedder.embed([text])[space][0].vector
        return try search(collection: target.collection, query: vector, k: k, mode: mode)
    }
}
