import Index
import LMDB

extension VectorDatabase {
    /// The HNSW index state of collection `name`, or nil when it is searched exactly.
    public func indexMetadata(collection name: String) throws -> HNSWMetadata? {
        try environment.read { txn in
            guard let collection = try collections(in: txn).first(where: { $0.name == name }) else {
                throw VecDBError("no collection '\(name)' in \(path)")
            }
            return try HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions).metadata(in: txn)
        }
    }

    /// Rebuilds collection `name`'s HNSW index from its stored vectors with `parameters`, in one transaction: readers
    /// keep the old index until it commits. Compacts away the tombstones deletes leave.
    public func rebuildIndex(collection name: String, parameters: HNSWParameters) throws -> HNSWMetadata {
        try writeCheckingSpace { txn in
            var all = try collections(in: txn)
            guard let position = all.firstIndex(where: { $0.name == name }) else {
                throw VecDBError("no collection '\(name)' in \(path)")
            }
            let metadata = try rebuildIndex(of: all[position], parameters: parameters, in: txn)
            all[position].index = parameters
            try save(all, in: txn)
            return metadata
        }
    }

    /// Replaces `collection`'s index (whatever state it is in) with one built from its `vectors` entries, in `txn`.
    /// The caller records `parameters` in the collection.
    func rebuildIndex(of collection: Collection, parameters: HNSWParameters, in txn: Transaction) throws -> HNSWMetadata {
        let name = collection.name
        guard collection.dimensions <= VectorDatabase.largestIndexedDimensions else {
            throw VecDBError("collection '\(name)' has \(collection.dimensions)-dimensional vectors; "
                + "vecdb indexes up to \(VectorDatabase.largestIndexedDimensions) and searches longer ones exactly")
        }
        try HNSWIndex.drop(table: tables.hnsw, collection: collection.id, in: txn)
        try HNSWIndex.create(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions,
                             parameters: parameters, in: txn)
        let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
        var vectors: [(id: UInt64, vector: [Float])] = []
        let prefix = Layout.vectorPrefix(collection: collection.id)
        try txn.forEach(tables.vectors, from: prefix) { key, value in
            guard key.count == 12, key.starts(with: prefix) else { return false }
            let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
            guard value.count == collection.dimensions * 4 else {
                throw VecDBError("vector of document \(id) in '\(name)' has \(value.count) bytes, expected "
                    + "\(collection.dimensions * 4); run `vecdb check --repair`")
            }
            vectors.append((id, (0..<collection.dimensions).map { value.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }))
            return true
        }
        let writer = try index.writer(in: txn)
        try writer.insert(vectors)
        try writer.flush()
        return try index.metadata(in: txn)!
    }
}
