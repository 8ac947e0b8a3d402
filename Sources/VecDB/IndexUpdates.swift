import Index
import LMDB

/// The HNSW changes of one write transaction, applied once at its end: removals first (a re-embedded document is
/// removed and inserted again), then inserts in ingest order, so the graph does not depend on hashing order.
/// Batching them lets the index resolve and rewrite each block once per transaction instead of once per vector.
struct IndexUpdates {
    private struct Pending {
        var removals: [UInt64] = []
        var inserts: [(id: UInt64, vector: [Float])] = []
    }

    private var pending: [UInt32: Pending] = [:]

    mutating func inserted(_ id: UInt64, vector: [Float], into collection: VectorCollection) {
        guard collection.index != nil else { return }
        pending[collection.id, default: Pending()].inserts.append((id, vector))
    }

    mutating func removed(_ id: UInt64, from collection: VectorCollection) {
        guard collection.index != nil else { return }
        if let position = pending[collection.id]?.inserts.firstIndex(where: { $0.id == id }) {
            // Inserted earlier in this transaction: the index never saw it.
            pending[collection.id]!.inserts.remove(at: position)
        } else {
            pending[collection.id, default: Pending()].removals.append(id)
        }
    }

    /// Drops what is queued for `collection` (it was dropped, or its index is rebuilt from the stored vectors).
    mutating func forget(_ collection: VectorCollection) {
        pending[collection.id] = nil
    }

    /// Writes the changes into the indexes of `collections` (in their order) within `txn`.
    func apply(to collections: [VectorCollection], table: Database, in txn: Transaction) throws {
        for collection in collections {
            guard let changes = pending[collection.id], collection.index != nil else { continue }
            let writer = try HNSWIndex(table: table, collection: collection.id, dimensions: collection.dimensions).writer(in: txn)
            if !changes.removals.isEmpty { _ = try writer.remove(ids: changes.removals) }
            if !changes.inserts.isEmpty { try writer.insert(changes.inserts) }
            try writer.flush()
        }
    }
}
