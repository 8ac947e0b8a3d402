import LMDB
import Lexical

extension Snapshot {
    /// The violations of lexical `collection`: its postings, term headers, member lengths and total length must be
    /// exactly what analysing its documents' stored texts gives. Each is repaired by rebuilding the postings from the
    /// documents. The expected postings are built in memory (about 24 bytes a posting).
    func lexicalViolations(_ collection: VectorCollection) throws -> [Violation] {
        let name = collection.name
        let rebuild = Repair.rebuildPostings(collection: name)
        guard let settings = collection.lexical else { return [] }
        guard let table = tables.postings else {
            return [Violation(message: "postings: lexical collection '\(name)' but no postings table", repair: nil)]
        }
        var messages: [String] = []
        let analyzer = settings.analyzer
        var expected: [[UInt8]: [(document: UInt64, frequency: Int, length: Int)]] = [:]
        var totalLength = 0
        var members: [UInt64] = []
        try forEachVectorID(of: collection) { members.append($0); return true }
        for id in members {
            guard let document = try document(id: id) else { continue }  // reported with the vectors
            let analyzed = AnalyzedDocument(document.text, analyzer: analyzer)
            totalLength += analyzed.length
            let stored = try txn.value(tables.vectors, for: Layout.vectorKey(collection: collection.id, document: id))
                .flatMap { Layout.readLittleEndian($0, as: UInt32.self) }
            if let stored, Int(stored) != analyzed.length {
                messages.append("postings: '\(name)' records document \(id) as \(stored) terms long; its text has \(analyzed.length)")
            }
            for (term, frequency) in analyzed.frequencies { expected[term, default: []].append((id, frequency, analyzed.length)) }
        }
        if (collection.termCount ?? 0) != totalLength {
            messages.append("postings: '\(name)' says its documents hold \(collection.termCount ?? 0) terms; they hold \(totalLength)")
        }

        // Walk the stored postings in key order: each term's header, then its blocks.
        let prefix = Layout.bigEndian(collection.id)
        var seenTerms = Set<[UInt8]>()
        var currentTerm: [UInt8]?
        var header: TermStatistics?
        var postings: [(document: UInt64, frequency: Int, length: Int)] = []
        var lastBlockKey: UInt64?
        var block = PostingBlock()
        func finishTerm() {
            guard let term = currentTerm else { return }
            let termName = String(decoding: term, as: UTF8.self)
            let want = expected[term] ?? []
            if let header {
                if header.documentFrequency != postings.count {
                    messages.append("postings: '\(name)' term '\(termName)' says \(header.documentFrequency) documents, has \(postings.count)")
                }
                if postings.contains(where: { $0.frequency > header.maxFrequency || $0.length < header.minLength }) {
                    messages.append("postings: '\(name)' term '\(termName)' has a posting beyond its header's bounds")
                }
                if lastBlockKey != header.lastBlock {
                    messages.append("postings: '\(name)' term '\(termName)' names last block \(header.lastBlock), has \(lastBlockKey.map(String.init) ?? "none")")
                }
            } else {
                messages.append("postings: '\(name)' term '\(termName)' has blocks but no header")
            }
            if !postings.elementsEqual(want, by: { $0 == $1 }) {
                messages.append("postings: '\(name)' term '\(termName)' holds \(postings.count) postings that differ from its documents' \(want.count)")
            }
        }
        try txn.forEach(table, from: prefix) { key, value in
            guard key.starts(with: prefix) else { return false }
            guard let parts = Layout.postingsKeyParts(key) else {
                messages.append("postings: '\(name)' has a malformed key of \(key.count) bytes")
                return true
            }
            let term = Array(key[parts.term])
            if term != currentTerm {
                finishTerm()
                currentTerm = term
                seenTerms.insert(term)
                header = nil
                postings = []
                lastBlockKey = nil
            }
            guard let last = parts.lastDocument else {
                header = TermStatistics(decoding: value)
                if header == nil { messages.append("postings: '\(name)' term '\(String(decoding: term, as: UTF8.self))' has a malformed header") }
                return true
            }
            guard block.decode(value), block.documents.last == last, block.count <= PostingBlock.capacity,
                  postings.last.map({ $0.document < block.documents[0] }) ?? true else {
                messages.append("postings: '\(name)' term '\(String(decoding: term, as: UTF8.self))' has a damaged block ending at \(last)")
                return true
            }
            for i in 0..<block.count {
                postings.append((block.documents[i], Int(block.frequencies[i]), Int(block.lengths[i])))
            }
            lastBlockKey = last
            return true
        }
        finishTerm()
        let missing = expected.keys.filter { !seenTerms.contains($0) }
        if !missing.isEmpty {
            messages.append("postings: '\(name)' lacks \(missing.count) terms of its documents, e.g. '\(String(decoding: missing.min { $0.lexicographicallyPrecedes($1) }!, as: UTF8.self))'")
        }
        return messages.map { Violation(message: $0, repair: rebuild) }
    }
}
