import Foundation
import Index
import LMDB

extension VectorDatabase {
    /// Verifies the database's invariants in one snapshot and returns every violation found (empty when sound):
    /// known format version; every document decodes and its key entry points back at it; every key entry points at
    /// a document; every vector belongs to a known collection and a stored document, has the collection's length
    /// and unit norm; each collection's count equals its vectors; id counters are past every id in use; each HNSW
    /// index is a sound graph (no link to a missing node, degree bounds, a live entry point on the top layer) holding
    /// exactly the collection's vectors.
    public func check() throws -> [String] {
        try environment.read { txn in
            var problems: [String] = []
            let version = try txn.value(tables.meta, for: Layout.formatKey).flatMap { Layout.readLittleEndian($0, as: UInt32.self) }
            if version != Layout.formatVersion {
                problems.append("meta: format version \(version.map(String.init) ?? "missing"), expected \(Layout.formatVersion)")
            }
            let nextDocument = try txn.value(tables.meta, for: Layout.nextDocumentKey)
                .flatMap { Layout.readLittleEndian($0, as: UInt64.self) } ?? 0

            var documentKeys: [UInt64: [UInt8]] = [:]
            try txn.forEach(tables.documents) { key, value in
                guard key.count == 8 else {
                    problems.append("documents: key of \(key.count) bytes, expected 8")
                    return true
                }
                let id = Layout.documentID(fromKey: key)
                guard let document = Document.decode(id: id, value) else {
                    problems.append("documents: document \(id) does not decode")
                    return true
                }
                if id >= nextDocument { problems.append("documents: document \(id) is not below next_document_id \(nextDocument)") }
                documentKeys[id] = document.dedupKey
                return true
            }
            var keyCount = 0
            try txn.forEach(tables.keys) { key, value in
                keyCount += 1
                let name = String(decoding: key, as: UTF8.self)
                guard value.count == 8 else {
                    problems.append("keys: '\(name)' holds \(value.count) bytes, expected 8")
                    return true
                }
                let id = UInt64(bigEndian: value.loadUnaligned(as: UInt64.self))
                if documentKeys[id] != Array(key) { problems.append("keys: '\(name)' points at document \(id), which does not have that key") }
                return true
            }
            if keyCount != documentKeys.count {
                problems.append("keys: \(keyCount) entries for \(documentKeys.count) documents")
            }

            let collections = try collections(in: txn)
            let byID = Dictionary(collections.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            var counted: [UInt32: Int] = [:]
            try txn.forEach(tables.vectors) { key, value in
                guard key.count == 12 else {
                    problems.append("vectors: key of \(key.count) bytes, expected 12")
                    return true
                }
                let collectionID = UInt32(bigEndian: key.loadUnaligned(as: UInt32.self))
                let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
                guard let collection = byID[collectionID] else {
                    problems.append("vectors: vector of document \(id) in unknown collection \(collectionID)")
                    return true
                }
                counted[collectionID, default: 0] += 1
                if documentKeys[id] == nil { problems.append("vectors: '\(collection.name)' has a vector for missing document \(id)") }
                guard value.count == collection.dimensions * 4 else {
                    problems.append("vectors: '\(collection.name)' document \(id) has \(value.count) bytes, expected \(collection.dimensions * 4)")
                    return true
                }
                var norm: Float = 0
                for i in 0..<collection.dimensions {
                    let x = value.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
                    norm += x * x
                }
                if !(abs(norm - 1) < 1e-3) {
                    problems.append("vectors: '\(collection.name)' document \(id) has norm² \(norm), expected 1")
                }
                return true
            }
            for collection in collections where counted[collection.id, default: 0] != collection.count {
                problems.append("collections: '\(collection.name)' says \(collection.count) vectors, has \(counted[collection.id, default: 0])")
            }
            let nextCollection = try txn.value(tables.meta, for: Layout.nextCollectionKey)
                .flatMap { Layout.readLittleEndian($0, as: UInt64.self) } ?? 0
            for collection in collections where UInt64(collection.id) >= nextCollection {
                problems.append("collections: '\(collection.name)' id \(collection.id) is not below next_collection_id \(nextCollection)")
            }
            for collection in collections {
                let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
                guard collection.index != nil else {
                    if try index.metadata(in: txn) != nil { problems.append("hnsw: '\(collection.name)' has an index it does not declare") }
                    continue
                }
                guard let metadata = try index.metadata(in: txn) else {
                    problems.append("hnsw: '\(collection.name)' declares an index that does not exist")
                    continue
                }
                if metadata.count != collection.count {
                    problems.append("hnsw: '\(collection.name)' index holds \(metadata.count) vectors, the collection \(collection.count)")
                }
                problems += try index.checkInvariants(in: txn).map { "hnsw: '\(collection.name)': \($0)" }
            }
            problems += try adapterProblems(collections: collections, in: txn)
            return problems
        }
    }
}
