import LMDB
import Lexical

/// One term's postings read from the `postings` table a block at a time, through one LMDB cursor: MaxScore's view
/// of the store. Valid only within its snapshot's scope.
final class StoredPostings: PostingCursor {
    private let cursor: Cursor
    private let termKey: [UInt8]
    private var block = PostingBlock()
    private var position = 0
    private(set) var document: UInt64 = endOfPostings

    var frequency: Int { Int(block.frequencies[position]) }
    var length: Int { Int(block.lengths[position]) }

    init(termKey: [UInt8], table: Database, in txn: Transaction) throws {
        cursor = try Cursor(table, in: txn)
        self.termKey = termKey
        try take(try cursor.seek(atLeast: Layout.blockKey(termKey: termKey, lastDocument: 0)), atLeast: 0)
    }

    func next() throws {
        position += 1
        if position < block.count {
            document = block.documents[position]
        } else {
            // Blocks are consecutive keys: the next one is the cursor's next entry.
            try take(try cursor.next(), atLeast: 0)
        }
    }

    func advance(to target: UInt64) throws {
        guard target > document, document != endOfPostings else { return }
        if target <= block.documents[block.count - 1] {
            var low = position + 1, high = block.count - 1
            while low < high {
                let middle = (low + high) / 2
                if block.documents[middle] < target { low = middle + 1 } else { high = middle }
            }
            position = low
            document = block.documents[position]
        } else {
            // One B-tree seek to the block whose last document is the first at or after the target.
            try take(try cursor.seek(atLeast: Layout.blockKey(termKey: termKey, lastDocument: target)), atLeast: target)
        }
    }

    func forEach(below end: UInt64, _ body: (_ document: UInt64, _ frequency: Int, _ length: Int) -> Void) throws {
        while document < end {
            let documents = block.documents, frequencies = block.frequencies, lengths = block.lengths
            var i = position
            let count = documents.count
            while i < count && documents[i] < end {
                body(documents[i], Int(frequencies[i]), Int(lengths[i]))
                i += 1
            }
            if i < count {
                position = i
                document = documents[i]
                return
            }
            position = count - 1
            try next()
        }
    }

    /// Decodes `entry` when it is a block of this term and positions at its first posting ≥ `target`; past the
    /// term's last block, at the end.
    private func take(_ entry: (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)?, atLeast target: UInt64) throws {
        guard let entry, entry.key.count == termKey.count + 8, entry.key.starts(with: termKey) else {
            block.removeAll()
            document = endOfPostings
            return
        }
        guard block.decode(entry.value) else {
            throw VecDBError.corrupted("a posting block of term '\(LexicalUpdates.termName(termKey))' is damaged")
        }
        position = target == 0 ? 0 : (block.documents.firstIndex { $0 >= target } ?? 0)
        document = block.documents[position]
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
                             snapshot: id, scanned: found.scored, mode: found.mode)
    }

    /// `searchText` without reading the documents: ids and BM25 scores, best first.
    public func nearestText(_ text: String, collection name: String, k: Int, mode: SearchMode = .automatic,
                            filter: MetadataFilter? = nil) throws -> [(id: UInt64, score: Float)] {
        try rankText(text, collection: name, k: k, mode: mode, filter: filter).ranked
    }

    /// The query's terms that some document has, with their cursors, weights and bounds, and the scorer.
    private func prepareQuery(_ text: String, collection: VectorCollection) throws -> (terms: [QueryTerm<StoredPostings>], bm25: BM25) {
        guard let settings = collection.lexical else {
            throw VecDBError.invalidArgument("collection '\(collection.name)' holds vectors: query it with a model, not as text")
        }
        let table = try postingsTable()
        let bm25 = BM25(settings: settings, documentCount: collection.count, totalLength: collection.termCount ?? 0)
        // Each distinct term once, weighted by its count in the query, in order of first appearance.
        var counts: [[UInt8]: Int] = [:]
        var order: [[UInt8]] = []
        for term in settings.analyzer.terms(text) {
            let bytes = Array(term.utf8)
            if counts[bytes] == nil { order.append(bytes) }
            counts[bytes, default: 0] += 1
        }
        var terms: [QueryTerm<StoredPostings>] = []
        for bytes in order {
            let termKey = Layout.termKey(collection: collection.id, term: bytes)
            guard let statistics = try txn.withValue(table, key: termKey, { raw in raw.flatMap(TermStatistics.init(decoding:)) }),
                  statistics.documentFrequency > 0 else { continue }
            let idf = bm25.idf(documentFrequency: statistics.documentFrequency)
            let weight = idf * Double(counts[bytes]!)
            let cursor = try StoredPostings(termKey: termKey, table: table, in: txn)
            terms.append(QueryTerm(cursor: cursor, weight: weight,
                                   upperBound: bm25.upperBound(idf: weight, maxFrequency: statistics.maxFrequency,
                                                               minLength: statistics.minLength)))
        }
        return (terms, bm25)
    }

    private func rankText(_ text: String, collection name: String, k: Int, mode: SearchMode,
                          filter: MetadataFilter?) throws -> (ranked: [(id: UInt64, score: Float)], scored: Int, mode: SearchMode) {
        let collection = try catalogue.require(name)
        if case .index = mode { throw VecDBError.invalidArgument("collection '\(name)' is lexical (BM25): it has no HNSW index (no --ef)") }
        let matching = try filter.map { try documents(matching: $0) }
        let (terms, bm25) = try prepareQuery(text, collection: collection)
        let accept = matching.map { set in { (id: UInt64) in set.contains(id) } }
        let exhaustive = mode == .exact
        let ranked = exhaustive
            ? try MaxScore.exhaustiveTopK(terms, k: k, bm25: bm25, accept: accept)
            : try MaxScore.topK(terms, k: k, bm25: bm25, accept: accept)
        return (ranked.map { (id: $0.document, score: $0.score) }, 0, exhaustive ? .exact : .maxScore)
    }

    /// BM25 scores of `text` for each of `documentIDs` in lexical collection `name` (0 for a document with none of
    /// its terms; absent for one not in the collection): for score distributions of judged documents.
    public func lexicalScores(_ text: String, collection name: String, documentIDs: [UInt64]) throws -> [UInt64: Double] {
        let collection = try catalogue.require(name)
        let (terms, bm25) = try prepareQuery(text, collection: collection)
        var result: [UInt64: Double] = [:]
        for id in documentIDs.sorted() where try hasVector(collection: collection, document: id) { result[id] = 0 }
        for (index, term) in terms.enumerated() {
            for id in result.keys.sorted() {
                try term.cursor.advance(to: id)
                if term.cursor.document == id {
                    result[id]! += bm25.score(idf: terms[index].weight, frequency: term.cursor.frequency, length: term.cursor.length)
                }
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
            // A header's key ends at its term's terminating zero; a block's carries eight more bytes.
            if key.dropFirst(4).firstIndex(of: 0) == key.count - 1, let header = TermStatistics(decoding: value) {
                statistics.terms += 1
                statistics.postings += header.documentFrequency
            }
            return true
        }
        return statistics
    }
}
