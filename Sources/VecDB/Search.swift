import Index
import Kernels
import LMDB

/// One search result.
public struct SearchHit: Sendable {
    public var document: Document
    /// Similarity to the query under the collection's metric: cosine, dot product, or minus the squared Euclidean
    /// distance.
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
    /// The index once the collection has `Snapshot.indexThreshold` vectors (ef = `defaultEf`), else exact.
    case automatic
    /// A lexical collection's top k by MaxScore over its postings (as `automatic` resolves for one).
    case maxScore

    /// Candidates an index search keeps by default: recall@10 ≥ 0.95 on the test sets at this ef (bench/RESULTS.md).
    public static let defaultEf = 100

    public var name: String {
        switch self {
        case .exact: return "exact"
        case .index(let ef): return "hnsw(ef=\(ef))"
        case .automatic: return "automatic"
        case .maxScore: return "maxscore"
        }
    }
}

extension Snapshot {
    /// Collections smaller than this are scanned: a scan of 10,000 384-d vectors takes about a millisecond and is exact.
    public static let indexThreshold = 10_000

    /// What one match costs the exact scan of a filter's matches (a B-tree lookup of its vector, then its dot
    /// product), in distance computations of the graph walk, whose vectors sit in the index's blocks.
    static let scanCostInDistances = 6.0

    /// The `k` documents of collection `name` most similar to `query` (a unit vector), found as `mode` says; with a
    /// `filter`, the `k` most similar of those whose metadata satisfy it (fewer only when fewer match).
    public func search(collection name: String, query: [Float], k: Int, mode: SearchMode = .automatic,
                       filter: MetadataFilter? = nil) throws -> SearchResults {
        let found = try rank(collection: name, query: query, k: k, mode: mode, filter: filter)
        let documents = try self.documents(found.ranked.map(\.id))
        return SearchResults(hits: zip(documents, found.ranked).map { SearchHit(document: $0, score: $1.score) },
                             snapshot: id, scanned: found.scanned, mode: found.mode)
    }

    /// The ids (as `addVectors` and ingest return them) and scores of the `k` documents of collection `name` most
    /// similar to `query`, best first: `search` without reading the documents, for callers that keep their own
    /// record of what each id is, or decode only some.
    public func nearest(collection name: String, query: [Float], k: Int, mode: SearchMode = .automatic,
                        filter: MetadataFilter? = nil) throws -> [(id: UInt64, score: Float)] {
        try rank(collection: name, query: query, k: k, mode: mode, filter: filter).ranked
    }

    /// Ranks collection `name` for `query`: the index or the scan, as `mode` resolves; with a filter, as the planner
    /// (`plan`) decides.
    private func rank(collection name: String, query: [Float], k: Int, mode: SearchMode,
                      filter: MetadataFilter?) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int, mode: SearchMode) {
        let collection = try catalogue.require(name)
        guard !collection.isLexical else { throw Snapshot.lexicalHasNoVectors(collection) }
        guard query.count == collection.dimensions else {
            throw VecDBError.invalidArgument("query vector has \(query.count) dimensions; collection '\(name)' has \(collection.dimensions)")
        }
        if let filter {
            return try rankFiltered(collection, query: query, k: k, mode: mode, filter: filter, matching: try documents(matching: filter))
        }
        var resolved = mode
        if database.environment.options.noLock {
            // Read without the lock, a writer may overwrite pages mid-search (Environment.read refuses the
            // answer afterwards); the scan checks every length it reads, while the graph walk follows pointers into pages.
            resolved = .exact
        } else if mode == .automatic {
            resolved = collection.index != nil && collection.count >= Snapshot.indexThreshold
                ? .index(ef: max(SearchMode.defaultEf, k)) : .exact
        }
        switch resolved {
        case .index(let ef):
            guard collection.index != nil else { throw Snapshot.noIndex(collection) }
            let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
            let ranked = try database.searchScratches.withScratch { scratch in
                try index.search(query, k: k, ef: max(ef, k), in: txn, scratch: scratch)
            }
            return (ranked, 0, .index(ef: max(ef, k)))
        case .exact, .automatic, .maxScore:
            let found = try scan(collection, query: query, k: k)
            return (found.ranked, found.scanned, .exact)
        }
    }

    /// A filtered search, planned from the number of matching documents m of the collection's n. The walk
    /// (`FilteredWalk`: two hops past rejected neighbours for a sparse filter, every neighbour's distance otherwise)
    /// is expected to cost `FilteredWalk.cost(ef:)` distance computations; an exact scan of the matches costs m
    /// lookups of a vector in the `vectors` B-tree, each measured at about `scanCostInDistances` walk distances
    /// (bench/RESULTS.md, "Filtered search": 0.8–1.1 µs against 0.17 µs). The cheaper of the two runs, so a
    /// filtered query is never much slower than the exact scan of its matches.
    private func rankFiltered(_ collection: VectorCollection, query: [Float], k: Int, mode: SearchMode,
                              filter: MetadataFilter, matching: DocumentSet) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int, mode: SearchMode) {
        let ef: Int
        switch mode {
        case .exact:
            let found = try scan(collection, query: query, k: k, matching: matching)
            return (found.ranked, found.scanned, .exact)
        case .index(let given): ef = max(given, k)
        case .automatic, .maxScore: ef = max(SearchMode.defaultEf, k)
        }
        guard let parameters = collection.index, !database.environment.options.noLock,
              mode != .automatic || collection.count >= Snapshot.indexThreshold else {
            if case .index = mode, collection.index == nil { throw Snapshot.noIndex(collection) }
            let found = try scan(collection, query: query, k: k, matching: matching)
            return (found.ranked, found.scanned, .exact)
        }
        let walk = FilteredWalk(allowed: matching.count, live: collection.count, M: parameters.M)
        if mode == .automatic && Double(matching.count) * Snapshot.scanCostInDistances < walk.cost(ef: ef) {
            let found = try scan(collection, query: query, k: k, matching: matching)
            return (found.ranked, found.scanned, .exact)
        }
        let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
        let ranked = try database.searchScratches.withScratch { scratch in
            let nodes = try allowedNodes(filter, matching: matching, in: collection, index: index, scratch: scratch)
            return try index.search(query, k: k, ef: ef, in: txn, scratch: scratch, allowing: nodes)
        }
        return (ranked, 0, .index(ef: ef))
    }

    /// The index nodes of the documents `filter` matches (`matching`), kept with them in `FilterCache` when the
    /// documents are: a run of queries under one filter reads the nodes' headers once.
    private func allowedNodes(_ filter: MetadataFilter, matching: DocumentSet, in collection: VectorCollection,
                              index: HNSWIndex, scratch: SearchScratch) throws -> HNSWNodeSet {
        let cacheable = mayCacheReads
        if cacheable, let cached = database.filterCache.nodes(filter, snapshot: id, collection: collection.id) { return cached }
        let nodes = try index.nodes(in: txn, scratch: scratch, where: matching.contains)
        if cacheable { database.filterCache.store(nodes, for: filter, snapshot: id, collection: collection.id) }
        return nodes
    }

    /// Exact search of the matching documents: one vector lookup per match when they are few, else the scan with
    /// each id tested against the set.
    private func scan(_ collection: VectorCollection, query: [Float], k: Int,
                      matching: DocumentSet) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int) {
        // A lookup walks the B-tree (a few cache misses); the scan reads vectors in key order: lookups win while
        // the matches are a small part of the collection.
        guard matching.count * 8 < collection.count else { return try scan(collection, query: query, k: k, accept: matching.contains) }
        var best = TopK<Float>(k: k)
        var scanned = 0
        let metric = collection.vectorMetric
        try query.withUnsafeBytes { q in
            for id in matching.ids {
                try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) { raw in
                    guard let raw else { return }
                    try checkLength(raw, of: id, in: collection)
                    best.offer(id: id, score: metric.similarity(raw.baseAddress!, q.baseAddress!, count: collection.dimensions))
                    scanned += 1
                }
            }
        }
        return (best.sorted().map { (id: $0.id, score: $0.score) }, scanned)
    }

    /// An index search asked of a collection that has none.
    private static func noIndex(_ collection: VectorCollection) -> VecDBError {
        .invalidArgument("collection '\(collection.name)' has no index (\(collection.dimensions)-dimensional vectors are searched exactly)")
    }

    /// Refuses a stored vector of another length than its collection's: damage `check` reports.
    func checkLength(_ raw: UnsafeRawBufferPointer, of id: UInt64, in collection: VectorCollection) throws {
        let byteCount = collection.dimensions * MemoryLayout<Float>.size
        guard raw.count == byteCount else {
            throw VecDBError.corrupted("vector of document \(id) in '\(collection.name)' has \(raw.count) bytes, expected \(byteCount)")
        }
    }

    /// Exact search: every vector of the collection (that `accept` takes), read in place from the memory map — one
    /// contiguous key range.
    private func scan(_ collection: VectorCollection, query: [Float], k: Int,
                      accept: ((UInt64) -> Bool)? = nil) throws -> (ranked: [(id: UInt64, score: Float)], scanned: Int) {
        var best = TopK<Float>(k: k)
        var scanned = 0
        let metric = collection.vectorMetric
        let prefix = Layout.vectorPrefix(collection: collection.id)
        try query.withUnsafeBytes { q in
            try txn.forEach(tables.vectors, from: prefix) { key, value in
                guard key.count == 12, key.starts(with: prefix) else { return false }
                let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
                if let accept, !accept(id) { return true }
                try checkLength(value, of: id, in: collection)
                best.offer(id: id, score: metric.similarity(value.baseAddress!, q.baseAddress!, count: collection.dimensions))
                scanned += 1
                return true
            }
        }
        return (best.sorted().map { (id: $0.id, score: $0.score) }, scanned)
    }

    /// Embeds `text` in space `space` of `embedder` and returns the `k` most similar documents of that space's
    /// collection, all in this snapshot: the collection checked against the model (weights, pooling, prompt, length)
    /// is the one searched.
    public func query(_ text: String, embedder: SpaceEmbedding, space: Int = 0, k: Int,
                      mode: SearchMode = .automatic, filter: MetadataFilter? = nil) throws -> SearchResults {
        let target = embedder.spaces[space]
        _ = try existingCollection(for: target)
        if target.lexical != nil { return try searchText(text, collection: target.collection, k: k, mode: mode, filter: filter) }
        let vector = try embedder.embed([text])[space][0].vector
        return try search(collection: target.collection, query: vector, k: k, mode: mode, filter: filter)
    }
}

extension VectorDatabase {
    /// `Snapshot.search` in a snapshot of its own.
    public func search(collection name: String, query: [Float], k: Int, mode: SearchMode = .automatic,
                       filter: MetadataFilter? = nil) throws -> SearchResults {
        try read { try $0.search(collection: name, query: query, k: k, mode: mode, filter: filter) }
    }

    /// `Snapshot.nearest` in a snapshot of its own.
    public func nearest(collection name: String, query: [Float], k: Int, mode: SearchMode = .automatic,
                        filter: MetadataFilter? = nil) throws -> [(id: UInt64, score: Float)] {
        try read { try $0.nearest(collection: name, query: query, k: k, mode: mode, filter: filter) }
    }

    /// `Snapshot.query` in a snapshot of its own.
    public func query(_ text: String, embedder: SpaceEmbedding, space: Int = 0, k: Int,
                      mode: SearchMode = .automatic, filter: MetadataFilter? = nil) throws -> SearchResults {
        try read { try $0.query(text, embedder: embedder, space: space, k: k, mode: mode, filter: filter) }
    }
}
