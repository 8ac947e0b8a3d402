import Foundation
import Kernels
import LMDB
import Lexical

/// One term's postings in one snapshot, decoded once, with each posting's BM25 impact (tf / (tf + k1 · (1 − b + b ·
/// dl / avgdl))) computed for that snapshot's document count and mean length. Immutable: the queries of a snapshot
/// share it through `PostingsCache`.
final class ScoredPostings: @unchecked Sendable {
    let documents: [UInt64]
    let impacts: [Double]
    /// The `ScoredPostings.topCount` largest impacts, largest first: the first is the term's exact bound for
    /// MaxScore; the k-th, times the term's weight, a floor under any query's k-th best score (`MaxScore.topK`'s
    /// `floor`).
    let topImpacts: [Double]

    /// Largest impacts kept per term: enough for the usual k.
    static let topCount = 100

    /// Reads every block of the term `termKey` in order, through one LMDB cursor.
    init(termKey: [UInt8], table: Database, bm25: BM25, in txn: Transaction) throws {
        var documents: [UInt64] = [], impacts: [Double] = []
        let cursor = try Cursor(table, in: txn)
        var entry = try cursor.seek(atLeast: Layout.blockKey(termKey: termKey, lastDocument: 0))
        var block = PostingBlock()
        while let (key, value) = entry, key.count == termKey.count + 8, key.starts(with: termKey) {
            guard block.decode(value), documents.last.map({ $0 < block.documents[0] }) ?? true else {
                throw VecDBError.corrupted("a posting block of term '\(LexicalUpdates.termName(termKey))' is damaged")
            }
            for i in 0..<block.count {
                let impact = bm25.impact(frequency: Int(block.frequencies[i]), length: Int(block.lengths[i]))
                documents.append(block.documents[i])
                impacts.append(impact)
            }
            entry = try cursor.next()
        }
        self.documents = documents
        self.impacts = impacts
        var top = TopK<Double>(k: ScoredPostings.topCount)
        for (i, impact) in impacts.enumerated() { top.offer(id: UInt64(i), score: impact) }
        topImpacts = top.sorted().map(\.score)
    }

    /// Bytes held, for the cache's budget.
    var bytes: Int { documents.count * 16 + topImpacts.count * 8 + 64 }
}

/// A position in a `ScoredPostings`: what MaxScore walks.
final class ScoredPostingsCursor: PostingCursor {
    private let postings: ScoredPostings
    private var position = 0
    private(set) var document: UInt64

    init(_ postings: ScoredPostings) {
        self.postings = postings
        document = postings.documents.first ?? endOfPostings
    }

    var impact: Double { postings.impacts[position] }

    func next() {
        position += 1
        document = position < postings.documents.count ? postings.documents[position] : endOfPostings
    }

    /// Galloping search from the current position: candidates are usually near.
    func advance(to target: UInt64) {
        guard target > document, document != endOfPostings else { return }
        let documents = postings.documents
        var step = 1, low = position + 1, high = low
        while high < documents.count && documents[high] < target {
            low = high + 1
            high += step
            step *= 2
        }
        high = min(high, documents.count)
        while low < high {
            let middle = (low + high) / 2
            if documents[middle] < target { low = middle + 1 } else { high = middle }
        }
        position = low
        document = position < documents.count ? documents[position] : endOfPostings
    }

    func forEach(below end: UInt64, _ body: (_ document: UInt64, _ impact: Double) -> Void) {
        let documents = postings.documents, impacts = postings.impacts
        var i = position
        while i < documents.count && documents[i] < end {
            body(documents[i], impacts[i])
            i += 1
        }
        position = i
        document = i < documents.count ? documents[i] : endOfPostings
    }
}

/// Decoded postings of recent snapshots, by (snapshot, collection, term): the queries of a read-mostly database
/// share the common terms' decoded lists instead of decoding the same blocks again. A snapshot id names a committed
/// state, so an entry is exact for that id; reading a newer snapshot drops the older entries. Bounded by
/// `budget` bytes, least recently used first out.
final class PostingsCache: @unchecked Sendable {
    struct Key: Hashable {
        var snapshot: Int
        var collection: UInt32
        var term: [UInt8]

        /// The term's bytes hashed as one buffer (an array hashes element by element, several times slower).
        func hash(into hasher: inout Hasher) {
            hasher.combine(snapshot)
            hasher.combine(collection)
            term.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    /// 64 MiB: four million postings.
    static let budget = 64 << 20

    private let lock = NSLock()
    private var entries: [Key: (postings: ScoredPostings, used: UInt64)] = [:]
    private var bytes = 0
    private var clock: UInt64 = 0
    /// The newest snapshot stored: entries of older ones are never asked for again once a newer one is read.
    private var newest = Int.min

    func postings(_ key: Key) -> ScoredPostings? {
        lock.withLock {
            guard let entry = entries[key] else { return nil }
            clock += 1
            entries[key]!.used = clock
            return entry.postings
        }
    }

    func store(_ postings: ScoredPostings, for key: Key) {
        guard postings.bytes <= PostingsCache.budget / 4 else { return }
        lock.withLock {
            if key.snapshot > newest {
                // Readers of an older snapshot may still run; they decode again rather than share stale lists.
                entries.removeAll(keepingCapacity: true)
                bytes = 0
                newest = key.snapshot
            } else if key.snapshot < newest {
                return
            }
            clock += 1
            if let old = entries.updateValue((postings, clock), forKey: key) { bytes -= old.postings.bytes }
            bytes += postings.bytes
            while bytes > PostingsCache.budget, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
                bytes -= oldest.value.postings.bytes
                entries[oldest.key] = nil
            }
        }
    }
}

/// What a lexical collection holds, for `info`.
public struct LexicalStatistics: Sendable, Equatable {
    /// Distinct terms.
    public var terms: Int
    /// (term, document) pairs.
    public var postings: Int
    /// Bytes of keys and values in the `postings` table, headers included.
    public var bytes: Int
}

extension Snapshot {
    /// A lexical collection has no vectors to compare with a query vector.
    static func lexicalHasNoVectors(_ collection: VectorCollection) -> VecDBError {
        .invalidArgument("collection '\(collection.name)' is lexical (BM25): it is searched with text, and holds no vectors")
    }

    /// The `k` documents of lexical collection `name` that score highest under BM25 for `text`, best first, found by
    /// MaxScore (`mode` `.exact`: by scoring every document that holds a query term, which gives the same list). A
    /// text of only stopwords or unknown terms matches nothing. With `filter`, only matching documents rank.
    public func searchText(_ text: String, collection name: String, k: Int, mode: SearchMode = .automatic,
                           filter: MetadataFilter? = nil) throws -> SearchResults {
        let found = try rankText(text, collection: name, k: k, mode: mode, filter: filter)
        let documents = try self.documents(found.ranked.map(\.id))
        return SearchResults(hits: zip(documents, found.ranked).map { SearchHit(document: $0, score: $1.score) },
                             snapshot: id, scanned: 0, mode: found.mode)
    }

    /// `searchText` without reading the documents: ids and BM25 scores, best first.
    public func nearestText(_ text: String, collection name: String, k: Int, mode: SearchMode = .automatic,
                            filter: MetadataFilter? = nil) throws -> [(id: UInt64, score: Float)] {
        try rankText(text, collection: name, k: k, mode: mode, filter: filter).ranked
    }

    /// The query's terms that some document has, with their cursors, weights and exact bounds, and the scorer. Each
    /// term's postings come from `PostingsCache` when this snapshot decoded them already.
    private func prepareQuery(_ text: String, collection: VectorCollection, k: Int = 0) throws -> (terms: [QueryTerm<ScoredPostingsCursor>], floor: Double) {
        guard let settings = collection.lexical else {
            throw VecDBError.invalidArgument("collection '\(collection.name)' holds vectors: query it with a model, not as text")
        }
        let table = try postingsTable()
        let bm25 = BM25(settings: settings, documentCount: collection.count, totalLength: collection.termCount ?? 0)
        // Each distinct term once, weighted by its count in the query, in order of first appearance (a query has few
        // terms: a linear search beats hashing them).
        var order: [[UInt8]] = []
        var counts: [Int] = []
        for term in settings.analyzer.terms(text) {
            let bytes = Array(term.utf8)
            if let seen = order.firstIndex(of: bytes) { counts[seen] += 1 } else {
                order.append(bytes)
                counts.append(1)
            }
        }
        let cacheable = mayCacheReads
        var terms: [QueryTerm<ScoredPostingsCursor>] = []
        // The k-th best single-term score over the terms: no document of the top k scores less.
        var floor = -Double.infinity
        for (bytes, count) in zip(order, counts) {
            let key = PostingsCache.Key(snapshot: id, collection: collection.id, term: bytes)
            var postings = cacheable ? database.postingsCache.postings(key) : nil
            if postings == nil {
                let termKey = Layout.termKey(collection: collection.id, term: bytes)
                guard let statistics = try txn.withValue(table, key: termKey, { raw in raw.flatMap(TermStatistics.init(decoding:)) }),
                      statistics.documentFrequency > 0 else { continue }
                let decoded = try ScoredPostings(termKey: termKey, table: table, bm25: bm25, in: txn)
                guard decoded.documents.count == statistics.documentFrequency else {
                    throw VecDBError.corrupted("term '\(String(decoding: bytes, as: UTF8.self))' of '\(collection.name)' says "
                        + "\(statistics.documentFrequency) documents and holds \(decoded.documents.count)")
                }
                if cacheable { database.postingsCache.store(decoded, for: key) }
                postings = decoded
            }
            let weight = bm25.idf(documentFrequency: postings!.documents.count) * Double(count)
            terms.append(QueryTerm(cursor: ScoredPostingsCursor(postings!), weight: weight, upperBound: weight * (postings!.topImpacts.first ?? 0)))
            if k > 0 && k <= postings!.topImpacts.count { floor = max(floor, weight * postings!.topImpacts[k - 1]) }
        }
        return (terms, floor)
    }

    private func rankText(_ text: String, collection name: String, k: Int, mode: SearchMode,
                          filter: MetadataFilter?) throws -> (ranked: [(id: UInt64, score: Float)], mode: SearchMode) {
        let collection = try catalogue.require(name)
        if case .index = mode { throw VecDBError.invalidArgument("collection '\(name)' is lexical (BM25): it has no HNSW index (no --ef)") }
        let matching = try filter.map { try documents(matching: $0) }
        let (terms, floor) = try prepareQuery(text, collection: collection, k: k)
        let accept = matching.map { set in { (id: UInt64) in set.contains(id) } }
        let exhaustive = mode == .exact
        // A filter may reject the documents the floor was taken from.
        let ranked = exhaustive
            ? try MaxScore.exhaustiveTopK(terms, k: k, accept: accept)
            : try MaxScore.topK(terms, k: k, floor: accept == nil ? floor : -.infinity, accept: accept)
        return (ranked.map { (id: $0.document, score: $0.score) }, exhaustive ? .exact : .maxScore)
    }

    /// BM25 scores of `text` for each of `documentIDs` in lexical collection `name` (0 for a document with none of
    /// its terms; absent for one not in the collection): for score distributions of judged documents.
    public func lexicalScores(_ text: String, collection name: String, documentIDs: [UInt64]) throws -> [UInt64: Double] {
        let collection = try catalogue.require(name)
        let (terms, _) = try prepareQuery(text, collection: collection)
        var result: [UInt64: Double] = [:]
        for id in documentIDs.sorted() where try hasVector(collection: collection, document: id) { result[id] = 0 }
        for term in terms {
            for id in result.keys.sorted() {
                try term.cursor.advance(to: id)
                if term.cursor.document == id { result[id]! += term.weight * term.cursor.impact }
            }
        }
        return result
    }

    /// Terms, postings and bytes of lexical collection `collection`.
    public func lexicalStatistics(_ collection: VectorCollection) throws -> LexicalStatistics {
        var statistics = LexicalStatistics(terms: 0, postings: 0, bytes: 0)
        guard collection.isLexical, let table = tables.postings else { return statistics }
        let prefix = Layout.bigEndian(collection.id)
        try txn.forEach(table, from: prefix) { key, value in
            guard key.starts(with: prefix) else { return false }
            statistics.bytes += key.count + value.count
            if let parts = Layout.postingsKeyParts(key), parts.lastDocument == nil, let header = TermStatistics(decoding: value) {
                statistics.terms += 1
                statistics.postings += header.documentFrequency
            }
            return true
        }
        return statistics
    }
}
