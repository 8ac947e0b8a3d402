import LMDB
import Lexical

/// The postings changes of one write batch, applied once at its end (as `IndexUpdates` is for HNSW), so that each
/// posting block is rewritten once per batch however many of its documents the batch touches.
///
/// For every (collection, term, document) only the last change counts: a posting to store, or nil for none. A
/// document removed and stored again in one batch (an upsert) therefore ends as its last version says.
struct LexicalUpdates {
    struct Posting: Equatable {
        var frequency: UInt32
        var length: UInt32
    }

    private var changes: [UInt32: [[UInt8]: [UInt64: Posting?]]] = [:]

    var isEmpty: Bool { changes.isEmpty }

    mutating func stored(_ document: UInt64, _ analyzed: AnalyzedDocument, in collection: UInt32) {
        for (term, frequency) in analyzed.frequencies {
            changes[collection, default: [:]][term, default: [:]][document] =
                .some(Posting(frequency: UInt32(frequency), length: UInt32(analyzed.length)))
        }
    }

    mutating func removed(_ document: UInt64, _ analyzed: AnalyzedDocument, from collection: UInt32) {
        for term in analyzed.frequencies.keys {
            changes[collection, default: [:]][term, default: [:]][document] = .some(nil)
        }
    }

    /// Drops what was queued for `collection` (dropped, or rebuilt from its documents).
    mutating func forget(_ collection: UInt32) { changes[collection] = nil }

    /// Writes every queued change into `table`, term by term in key order.
    func apply(table: Database, in txn: Transaction) throws {
        for (collection, terms) in changes.sorted(by: { $0.key < $1.key }) {
            for (term, documents) in terms.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                try LexicalUpdates.apply(documents, term: Layout.termKey(collection: collection, term: term), table: table, in: txn)
            }
        }
    }

    /// Applies one term's changes: each goes to the block whose last document is the first at or after it (past
    /// every block: the last block), blocks over capacity are split, empty ones deleted, the header rewritten.
    private static func apply(_ changes: [UInt64: Posting?], term termKey: [UInt8], table: Database, in txn: Transaction) throws {
        let sorted = changes.sorted { $0.key < $1.key }
        var statistics = try txn.withValue(table, key: termKey) { raw in raw.flatMap(TermStatistics.init(decoding:)) } ?? .empty
        var block = PostingBlock()
        var merged = PostingBlock()
        var next = 0
        while next < sorted.count {
            // The block that holds sorted[next]'s document, or would.
            var blockKey: [UInt8]?
            var found = false
            try txn.forEach(table, from: Layout.blockKey(termKey: termKey, lastDocument: sorted[next].key)) { key, value in
                guard key.count == termKey.count + 8, key.starts(with: termKey) else { return false }
                guard block.decode(value) else { throw VecDBError.corrupted("a posting block of term '\(termName(termKey))' is damaged") }
                blockKey = Array(key)
                found = true
                return false
            }
            if !found && statistics.documentFrequency > 0 {
                let lastKey = Layout.blockKey(termKey: termKey, lastDocument: statistics.lastBlock)
                try txn.withValue(table, key: lastKey) { raw in
                    guard let raw, block.decode(raw) else {
                        throw VecDBError.corrupted("term '\(termName(termKey))' names a last posting block that is missing or damaged")
                    }
                }
                blockKey = lastKey
            } else if !found {
                block.removeAll()
            }
            // Changes up to the block's last document belong to it; past every block, all the rest do.
            let limit = found ? block.documents.last! : UInt64.max
            var end = next
            while end < sorted.count && sorted[end].key <= limit { end += 1 }

            merged.removeAll()
            var position = 0
            for (document, posting) in sorted[next..<end] {
                while position < block.count && block.documents[position] < document {
                    merged.append(document: block.documents[position], frequency: block.frequencies[position], length: block.lengths[position])
                    position += 1
                }
                let present = position < block.count && block.documents[position] == document
                if present { position += 1 }
                if let posting {
                    merged.append(document: document, frequency: posting.frequency, length: posting.length)
                    if !present { statistics.documentFrequency += 1 }
                    statistics.maxFrequency = max(statistics.maxFrequency, Int(posting.frequency))
                    statistics.minLength = min(statistics.minLength, Int(posting.length))
                } else if present {
                    statistics.documentFrequency -= 1
                }
            }
            while position < block.count {
                merged.append(document: block.documents[position], frequency: block.frequencies[position], length: block.lengths[position])
                position += 1
            }

            // The block rewritten was the term's last when its last document was the header's.
            let wasLast = blockKey.map { key in
                Layout.lastDocument(ofBlockKey: key) == statistics.lastBlock
            } ?? true
            if let blockKey { try txn.delete(table, key: blockKey) }
            var start = 0
            while start < merged.count {
                let stop = min(start + PostingBlock.capacity, merged.count)
                var chunk = PostingBlock()
                for i in start..<stop {
                    chunk.append(document: merged.documents[i], frequency: merged.frequencies[i], length: merged.lengths[i])
                }
                try txn.put(table, key: Layout.blockKey(termKey: termKey, lastDocument: chunk.documents.last!), value: chunk.encoded())
                start = stop
            }
            if wasLast {
                // A middle block's documents stay below the next block's; only the last block moves the header's.
                statistics.lastBlock = try merged.documents.last ?? lastBlock(of: termKey, table: table, in: txn) ?? 0
            }
            next = end
        }
        if statistics.documentFrequency == 0 {
            try txn.delete(table, key: termKey)
        } else {
            try txn.put(table, key: termKey, value: statistics.encoded())
        }
    }

    /// The last document of the term's last block, by a walk over its blocks (only when the last block emptied).
    private static func lastBlock(of termKey: [UInt8], table: Database, in txn: Transaction) throws -> UInt64? {
        var last: UInt64?
        try txn.forEach(table, from: termKey + [0, 0, 0, 0, 0, 0, 0, 0]) { key, _ in
            guard key.count == termKey.count + 8, key.starts(with: termKey) else { return false }
            last = Layout.lastDocument(ofBlockKey: key)
            return true
        }
        return last
    }

    static func termName(_ termKey: [UInt8]) -> String {
        String(decoding: termKey.dropFirst(4).dropLast(), as: UTF8.self)
    }
}
