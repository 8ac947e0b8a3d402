import BLAS
import Embedder
import LMDB

extension Snapshot {
    /// Every adapter trained in this database, by name.
    public func adapters() throws -> [StoredAdapter] {
        var result: [StoredAdapter] = []
        try txn.forEach(tables.adapters) { key, value in
            guard let (record, _) = StoredAdapter.decodeRecord(value) else {
                throw VecDBError.corrupted("adapter '\(String(decoding: key, as: UTF8.self))' is stored in an unknown form")
            }
            result.append(record)
            return true
        }
        return result
    }

    /// The adapter called `name` with its weights, or nil.
    public func adapter(named name: String) throws -> (record: StoredAdapter, weights: ProjectionAdapter)? {
        try txn.withValue(tables.adapters, key: Array(name.utf8)) { raw in
            guard let raw else { return nil }
            guard let decoded = StoredAdapter.decode(raw) else {
                throw VecDBError.corrupted("adapter '\(name)' is stored in an unknown form")
            }
            return decoded
        }
    }

    /// The documents that have a vector in `base` but none in `target`.
    func documentsLacking(_ target: VectorCollection, from base: VectorCollection) throws -> [UInt64] {
        var missing: [UInt64] = []
        try forEachVectorID(of: base) { id in
            if try !hasVector(collection: target, document: id) { missing.append(id) }
            return true
        }
        return missing
    }
}

extension WriteBatch {
    /// Stores a trained adapter and gives it an empty collection. A collection of the same name from earlier
    /// weights is dropped with its vectors and index: they describe a map that no longer exists.
    public func putAdapter(_ record: StoredAdapter, weights: ProjectionAdapter) throws {
        if catalogue[record.name] != nil {
            guard try adapter(named: record.name) != nil else {
                throw VecDBError.alreadyExists(.collection(record.name))
            }
            try dropCollection(record.name)
        }
        try txn.put(tables.adapters, key: Array(record.name.utf8), value: try record.encoded(weights: weights))
        try createCollection(
            name: record.name, model: record.name, weightsSHA256: StoredAdapter.weightsSHA256(base: record.base, adapter: weights),
            dimensions: record.shape.output, pooling: record.base.pooling, prompt: record.base.prompt,
            maxTokens: record.base.maxTokens)
    }
}

extension VectorDatabase {
    /// Every adapter trained in this database, by name.
    public func adapters() throws -> [StoredAdapter] { try read { try $0.adapters() } }

    /// The adapter called `name` with its weights, or nil.
    public func adapter(named name: String) throws -> (record: StoredAdapter, weights: ProjectionAdapter)? {
        try read { try $0.adapter(named: name) }
    }

    /// Gives every document that has a vector in the adapter's base collection but none in the adapter's own its
    /// adapted vector, computed from the stored frozen one (no model runs), `batchSize` documents per batch.
    /// Returns how many were added.
    @discardableResult
    public func fillAdapterSpace(_ name: String, batchSize: Int = 1024,
                                 progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> Int {
        guard let (record, weights) = try adapter(named: name) else { throw VecDBError.notFound(.adapter(name)) }
        let blas = try BLAS.shared()
        let pending: [UInt64] = try read { snapshot in
            guard let base = snapshot.collection(named: record.base.collection),
                  let target = snapshot.collection(named: record.name) else { return [] }
            return try snapshot.documentsLacking(target, from: base)
        }
        progress(0, pending.count)
        var added = 0
        for start in stride(from: 0, to: pending.count, by: batchSize) {
            let ids = Array(pending[start..<min(start + batchSize, pending.count)])
            added += try write { batch -> Int in
                guard let base = batch.collection(named: record.base.collection),
                      let target = batch.collection(named: record.name) else {
                    throw VecDBError.conflict("adapter '\(name)' or its base collection was dropped while filling it")
                }
                // Read inside this batch: a document deleted, re-embedded or filled by an ingest since the scan
                // above is seen as it is now.
                var present: [UInt64] = []
                var frozen: [[Float]] = []
                for id in ids where try !batch.hasVector(collection: target, document: id) {
                    guard let vector = try batch.vector(collection: base, document: id) else { continue }
                    present.append(id)
                    frozen.append(vector)
                }
                for (id, vector) in zip(present, weights.apply(frozen, blas: blas)) {
                    try batch.putVector(vector, collection: record.name, document: id)
                }
                return present.count
            }
            progress(start + ids.count, pending.count)
        }
        return added
    }
}
