import Index

extension Snapshot {
    /// The HNSW index state of collection `name`, or nil when it is searched exactly.
    public func indexMetadata(collection name: String) throws -> HNSWMetadata? {
        let collection = try catalogue.require(name)
        guard collection.index != nil else { return nil }
        return try HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions).metadata(in: txn)
    }
}

extension VectorDatabase {
    /// The HNSW index state of collection `name`, or nil when it is searched exactly.
    public func indexMetadata(collection name: String) throws -> HNSWMetadata? {
        try read { try $0.indexMetadata(collection: name) }
    }

    /// Rebuilds collection `name`'s HNSW index from its stored vectors with `parameters`, in one batch on
    /// `threads` threads (`WriteBatch.rebuildIndex`): readers keep the old index until it commits.
    public func rebuildIndex(collection name: String, parameters: HNSWParameters, threads: Int = 1) throws -> HNSWMetadata {
        try write { try $0.rebuildIndex(collection: name, parameters: parameters, threads: threads) }
    }
}
