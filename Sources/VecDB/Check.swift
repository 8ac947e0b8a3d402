import Foundation
import Index
import LMDB

/// A broken invariant: the line `check` reports, and the change that repairs it when one is safe (nil when it is
/// not: an undecodable document, an unknown format version, a vector of the wrong norm).
struct Violation {
    let message: String
    let repair: Repair?
}

extension Snapshot {
    /// Verifies the database's invariants in one snapshot and returns every violation found (empty when sound):
    /// known format version; every document decodes and its key entry points back at it; every key entry points at
    /// a document; every vector belongs to a known collection and a stored document, has the collection's length
    /// and unit norm; each collection's count equals its vectors; id counters are past every id in use; each HNSW
    /// index is a sound graph (no link to a missing node, degree bounds, a live entry point on the top layer) holding
    /// exactly the collection's vectors.
    public func check() throws -> [String] { try violations().map(\.message) }

    /// The violations of this snapshot, in the order `check` reports them.
    func violations() throws -> [Violation] {
        var problems: [Violation] = []
        func report(_ message: String, _ repair: Repair? = nil) { problems.append(Violation(message: message, repair: repair)) }

        let version = try formatVersion()
        if !(version.map(Layout.knownFormatVersions.contains) ?? false) {
            report("meta: format version \(version.map(String.init) ?? "missing"), expected \(Layout.baseFormatVersion) to \(Layout.formatVersion)")
        } else if let version, version < Layout.lexicalFormatVersion, catalogue.all.contains(where: \.isLexical) {
            report("meta: format version \(version) with lexical collections, which need \(Layout.lexicalFormatVersion)",
                   .setFormatVersion(Layout.lexicalFormatVersion))
        } else if let version, version < Layout.metricFormatVersion,
                  catalogue.all.contains(where: { !$0.isLexical && $0.vectorMetric != .cosine }) {
            report("meta: format version \(version) with dot or euclid collections, which need \(Layout.metricFormatVersion)",
                   .setFormatVersion(Layout.metricFormatVersion))
        } else if let version, version < Layout.quantizedFormatVersion,
                  catalogue.all.contains(where: { $0.index?.quantization == .int8 }) {
            report("meta: format version \(version) with int8 indexes, which need \(Layout.quantizedFormatVersion)",
                   .setFormatVersion(Layout.quantizedFormatVersion))
        }
        let nextDocument = try counter(Layout.nextDocumentKey)

        var documentKeys: [UInt64: [UInt8]] = [:]
        // Present but unreadable: their keys and vectors are kept for whoever recovers them by hand.
        var undecodable = Set<UInt64>()
        var highestDocument: UInt64?
        try txn.forEach(tables.documents) { key, value in
            guard key.count == 8 else {
                report("documents: key of \(key.count) bytes, expected 8")
                return true
            }
            let id = Layout.documentID(fromKey: key)
            highestDocument = max(highestDocument ?? id, id)
            if let document = Document.decode(id: id, value) {
                documentKeys[id] = document.dedupKey
            } else {
                undecodable.insert(id)
                report("documents: document \(id) does not decode")
            }
            return true
        }
        if let highestDocument, highestDocument >= nextDocument {
            report("documents: document \(highestDocument) is not below next_document_id \(nextDocument)",
                   .setCounter(Layout.nextDocumentKey, highestDocument + 1))
        }

        var keyOwners: [[UInt8]: UInt64] = [:]
        try txn.forEach(tables.keys) { key, value in
            let name = String(decoding: key, as: UTF8.self)
            guard value.count == 8 else {
                report("keys: '\(name)' holds \(value.count) bytes, expected 8", .deleteKey(Array(key)))
                return true
            }
            let id = UInt64(bigEndian: value.loadUnaligned(as: UInt64.self))
            if documentKeys[id] == Array(key) {
                keyOwners[Array(key)] = id
            } else if !undecodable.contains(id) {
                report("keys: '\(name)' points at document \(id), which does not have that key", .deleteKey(Array(key)))
            }
            return true
        }
        var claimed: [[UInt8]: UInt64] = [:]
        for (id, key) in documentKeys.sorted(by: { $0.key < $1.key }) where keyOwners[key] != id {
            let name = String(decoding: key, as: UTF8.self)
            if let other = keyOwners[key] ?? claimed[key] {
                report("keys: documents \(other) and \(id) both have key '\(name)'")
            } else {
                claimed[key] = id
                report("keys: document \(id)'s key '\(name)' is missing", .putKey(key, id))
            }
        }

        let collections = catalogue.all
        let byID = Dictionary(collections.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var counted: [UInt32: Int] = [:]
        var misshapen = Set<UInt32>()
        try txn.forEach(tables.vectors) { key, value in
            guard key.count == 12 else {
                report("vectors: key of \(key.count) bytes, expected 12", .deleteVector(Array(key)))
                return true
            }
            let collectionID = UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))
            let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
            guard let collection = byID[collectionID] else {
                report("vectors: vector of document \(id) in unknown collection \(collectionID)", .deleteVector(Array(key)))
                return true
            }
            guard documentKeys[id] != nil || undecodable.contains(id) else {
                report("vectors: '\(collection.name)' has a vector for missing document \(id)", .deleteVector(Array(key)))
                return true
            }
            if collection.isLexical {
                // A lexical collection's entry is the document's length in terms; `lexicalViolations` checks it.
                guard value.count == 4 else {
                    report("vectors: lexical '\(collection.name)' document \(id) has \(value.count) bytes, expected 4",
                           .rebuildPostings(collection: collection.name))
                    return true
                }
                counted[collectionID, default: 0] += 1
                return true
            }
            guard value.count == collection.dimensions * 4 else {
                // Not a vector of this space: re-ingesting the document computes it again.
                report("vectors: '\(collection.name)' document \(id) has \(value.count) bytes, expected \(collection.dimensions * 4)",
                       .deleteVector(Array(key)))
                misshapen.insert(collectionID)
                return true
            }
            counted[collectionID, default: 0] += 1
            var norm: Float = 0
            for i in 0..<collection.dimensions {
                let x = value.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                norm += x * x
            }
            if collection.metric == Metric.cosine.rawValue, !(abs(norm - 1) < 1e-3) {
                report("vectors: '\(collection.name)' document \(id) has norm² \(norm), expected 1")
            }
            return true
        }
        for collection in collections where counted[collection.id, default: 0] != collection.count && !misshapen.contains(collection.id) {
            report("collections: '\(collection.name)' says \(collection.count) vectors, has \(counted[collection.id, default: 0])",
                   .recount(collection: collection.name, to: counted[collection.id, default: 0]))
        }
        let nextCollection = try counter(Layout.nextCollectionKey)
        if let highest = collections.map(\.id).max(), UInt64(highest) >= nextCollection {
            report("collections: id \(highest) is not below next_collection_id \(nextCollection)",
                   .setCounter(Layout.nextCollectionKey, UInt64(highest) + 1))
        }
        for collection in collections where !collection.isLexical {
            // A misshapen vector would be read past its end by a rebuild: its removal comes first.
            let rebuild: Repair? = misshapen.contains(collection.id) ? nil : .rebuildIndex(collection: collection.name)
            problems += try indexViolations(collection, vectors: counted[collection.id, default: 0], rebuild: rebuild)
        }
        problems += try adapterProblems().map { Violation(message: $0, repair: nil) }
        problems += try metadataViolations()
        for collection in collections where collection.isLexical { problems += try lexicalViolations(collection) }
        return problems
    }

    /// The violations of `collection`'s HNSW index: one declared but absent or not declared but present, a count that
    /// differs from the collection's `vectors`, a stored vector it lacks, an unsound graph. An index that cannot be
    /// read at all is a violation too, not an error, so that repair can rebuild it.
    private func indexViolations(_ collection: VectorCollection, vectors: Int, rebuild: Repair?) throws -> [Violation] {
        let name = collection.name
        let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
        do {
            guard collection.index != nil else {
                guard try index.metadata(in: txn) == nil else {
                    return [Violation(message: "hnsw: '\(name)' has an index it does not declare", repair: .dropIndex(collection: collection.id))]
                }
                return []
            }
            guard let metadata = try index.metadata(in: txn) else {
                return [Violation(message: "hnsw: '\(name)' declares an index that does not exist", repair: rebuild)]
            }
            var messages: [String] = []
            if metadata.metric != collection.vectorMetric {
                messages.append("hnsw: '\(name)' index compares by \(metadata.metric.rawValue), the collection by \(collection.vectorMetric.rawValue)")
            }
            if let declared = collection.index?.quantization, metadata.parameters.quantization != declared {
                messages.append("hnsw: '\(name)' index is quantised \(metadata.parameters.quantization.rawValue), the collection declares \(declared.rawValue)")
            }
            if metadata.count != vectors {
                messages.append("hnsw: '\(name)' index holds \(metadata.count) vectors, the collection \(vectors)")
            }
            let prefix = Layout.vectorPrefix(collection: collection.id)
            var missing: UInt64?
            try txn.forEach(tables.vectors, from: prefix) { key, _ in
                guard key.count == 12, key.starts(with: prefix) else { return key.starts(with: prefix) }
                let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
                if try !index.contains(id: id, in: txn) { missing = id }
                return missing == nil
            }
            if let missing { messages.append("hnsw: '\(name)' index lacks the vector of document \(missing)") }
            messages += try index.checkInvariants(in: txn).map { "hnsw: '\(name)': \($0)" }
            return messages.map { Violation(message: $0, repair: rebuild) }
        } catch let error as HNSWError {
            return [Violation(message: "hnsw: '\(name)' index cannot be read: \(error)", repair: rebuild)]
        }
    }
}
