import Index
import Kernels
import LMDB

extension VectorDatabase {
    /// A collection for vectors computed elsewhere (no model): `model` is "raw" and vectors are stored as given,
    /// after L2 normalisation. Indexed with `index` when the vectors are short enough.
    public func createRawCollection(name: String, dimensions: Int, index: HNSWParameters? = HNSWParameters()) throws {
        guard dimensions > 0 else { throw VecDBError("a collection needs at least one dimension") }
        try writeCheckingSpace { txn in
            var all = try collections(in: txn)
            guard !all.contains(where: { $0.name == name }) else { throw VecDBError("collection '\(name)' exists already") }
            all.append(try createCollection(name: name, model: "raw", weightsSHA256: "", dimensions: dimensions, pooling: "none",
                                            prompt: "none", maxTokens: 0, index: index, in: txn))
            try save(all, in: txn)
        }
    }

    /// Stores documents with their raw vectors in collection `name`, in one transaction (documents, vectors and index
    /// links commit together). `id` is the document's external id: an existing one is replaced. Returns the dense
    /// document ids.
    @discardableResult
    public func addVectors(collection name: String, _ items: [(id: String, text: String, vector: [Float])]) throws -> [UInt64] {
        try writeCheckingSpace { txn in
            var all = try collections(in: txn)
            guard let position = all.firstIndex(where: { $0.name == name }) else {
                throw VecDBError("no collection '\(name)' in \(path)")
            }
            var updates = IndexUpdates()
            var ids: [UInt64] = []
            for item in items {
                guard item.vector.count == all[position].dimensions else {
                    throw VecDBError("vector of '\(item.id)' has \(item.vector.count) dimensions; '\(name)' has \(all[position].dimensions)")
                }
                let (vector, norm) = Kernels.l2Normalized(item.vector)
                guard norm > 0, norm.isFinite else { throw VecDBError("vector of '\(item.id)' has no direction (norm \(norm))") }
                let key = Document.dedupKey(text: item.text, externalID: item.id)
                let id: UInt64
                if let existing = try documentID(forKey: key, in: txn) {
                    id = existing
                    try removeVectors(of: id, from: &all, updates: &updates, in: txn)
                } else {
                    id = try takeNext(Layout.nextDocumentKey, in: txn)
                    try txn.put(tables.keys, key: key, value: Layout.bigEndian(id))
                }
                let document = Document(id: id, text: item.text, externalID: item.id, metadataJSON: nil)
                try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
                try txn.put(tables.vectors, key: Layout.vectorKey(collection: all[position].id, document: id), bytesOf: vector)
                all[position].count += 1
                updates.inserted(id, vector: vector, into: all[position])
                ids.append(id)
            }
            try updates.apply(to: all, table: tables.hnsw, in: txn)
            try save(all, in: txn)
            return ids
        }
    }
}
