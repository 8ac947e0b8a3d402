import BLAS
import Embedder
import Foundation
import Index
import LMDB

extension VectorDatabase {
    /// Every adapter trained in this database, by name.
    public func adapters() throws -> [StoredAdapter] {
        try environment.read { txn in
            var result: [StoredAdapter] = []
            try txn.forEach(tables.adapters) { key, value in
                guard let (record, _) = StoredAdapter.decodeRecord(value) else {
                    throw VecDBError("adapter '\(String(decoding: key, as: UTF8.self))' is stored in an unknown form; run `vecdb check`")
                }
                result.append(record)
                return true
            }
            return result
        }
    }

    /// The adapter called `name` with its weights, or nil.
    public func adapter(named name: String) throws -> (record: StoredAdapter, weights: ProjectionAdapter)? {
        try environment.read { txn in
            try txn.withValue(tables.adapters, key: Array(name.utf8)) { raw in
                guard let raw else { return nil }
                guard let decoded = StoredAdapter.decode(raw) else {
                    throw VecDBError("adapter '\(name)' is stored in an unknown form; run `vecdb check`")
                }
                return decoded
            }
        }
    }

    /// Stores a trained adapter and gives it an empty collection, in one transaction. A collection of the same name
    /// from earlier weights is dropped with its vectors and index: they describe a map that no longer exists.
    func saveAdapter(_ record: StoredAdapter, weights: ProjectionAdapter) throws {
        try writeCheckingSpace { txn in
            var all = try collections(in: txn)
            if let existing = all.firstIndex(where: { $0.name == record.name }) {
                guard try txn.withValue(tables.adapters, key: Array(record.name.utf8), { $0 != nil }) else {
                    throw VecDBError("collection '\(record.name)' exists and is not an adapter's; choose another --name")
                }
                try dropCollection(all[existing], in: txn)
                all.remove(at: existing)
            }
            try txn.put(tables.adapters, key: Array(record.name.utf8), value: try record.encoded(weights: weights))
            all.append(try createCollection(
                name: record.name, model: record.name, weightsSHA256: StoredAdapter.weightsSHA256(base: record.base, adapter: weights),
                dimensions: record.shape.output, pooling: record.base.pooling, prompt: record.base.prompt,
                maxTokens: record.base.maxTokens, in: txn))
            try save(all, in: txn)
        }
    }

    /// Removes a collection's vectors, index and record.
    func dropCollection(_ collection: Collection, in txn: Transaction) throws {
        let prefix = Layout.vectorPrefix(collection: collection.id)
        var keys: [[UInt8]] = []
        try txn.forEach(tables.vectors, from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            keys.append(Array(key))
            return true
        }
        for key in keys { try txn.delete(tables.vectors, key: key) }
        if collection.index != nil { try HNSWIndex.drop(table: tables.hnsw, collection: collection.id, in: txn) }
        try txn.delete(tables.collections, key: Array(collection.name.utf8))
    }

    /// Gives every document that has a vector in the adapter's base collection but none in the adapter's own its
    /// adapted vector, computed from the stored frozen one (no model runs), `batchSize` documents per transaction.
    /// Returns how many were added.
    @discardableResult
    public func fillAdapterSpace(_ name: String, batchSize: Int = 1024,
                                 progress: (_ done: Int, _ total: Int) -> Void = { _, _ in }) throws -> Int {
        guard let (record, weights) = try adapter(named: name) else { throw VecDBError("no adapter '\(name)' in \(path)") }
        let blas = try BLAS.shared()
        let pending: [UInt64] = try environment.read { txn in
            let all = try collections(in: txn)
            guard let base = all.first(where: { $0.name == record.base.collection }),
                  let target = all.first(where: { $0.name == record.name }) else { return [] }
            var missing: [UInt64] = []
            let prefix = Layout.vectorPrefix(collection: base.id)
            try txn.forEach(tables.vectors, from: prefix) { key, _ in
                guard key.count == 12, key.starts(with: prefix) else { return false }
                let id = Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...]))
                if try !txn.withValue(tables.vectors, key: Layout.vectorKey(collection: target.id, document: id), { $0 != nil }) {
                    missing.append(id)
                }
                return true
            }
            return missing
        }
        progress(0, pending.count)
        var added = 0
        for start in stride(from: 0, to: pending.count, by: batchSize) {
            let ids = Array(pending[start..<min(start + batchSize, pending.count)])
            added += try writeCheckingSpace { txn -> Int in
                var all = try collections(in: txn)
                guard let base = all.first(where: { $0.name == record.base.collection }),
                      let position = all.firstIndex(where: { $0.name == record.name }) else {
                    throw VecDBError("adapter '\(name)' or its base collection was dropped while filling it")
                }
                // Read inside this transaction: a document deleted, re-embedded or filled by an ingest since the scan
                // above is seen as it is now.
                var present: [UInt64] = []
                var frozen: [[Float]] = []
                for id in ids where try !txn.withValue(tables.vectors, key: Layout.vectorKey(collection: all[position].id, document: id), { $0 != nil }) {
                    guard let vector = try storedVector(collection: base, document: id, in: txn) else { continue }
                    present.append(id)
                    frozen.append(vector)
                }
                var updates = IndexUpdates()
                for (id, vector) in zip(present, weights.apply(frozen, blas: blas)) {
                    try txn.put(tables.vectors, key: Layout.vectorKey(collection: all[position].id, document: id), bytesOf: vector)
                    all[position].count += 1
                    updates.inserted(id, vector: vector, into: all[position])
                }
                try updates.apply(to: all, table: tables.hnsw, in: txn)
                try save(all, in: txn)
                return present.count
            }
            progress(start + ids.count, pending.count)
        }
        return added
    }
}
