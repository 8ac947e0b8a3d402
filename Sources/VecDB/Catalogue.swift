import Foundation
import LMDB

/// The vector spaces of one transaction, decoded once and looked up by name; a write batch's changes are saved
/// at its end, and only the records that changed.
///
/// Stored as one JSON record per collection in the `collections` table, keyed by name, so `all` is in LMDB's key
/// order (the names' UTF-8 bytes), the order every listing has always used.
struct Catalogue {
    private var records: [String: VectorCollection]
    private var dirty: Set<String> = []
    private var removed: Set<String> = []

    /// Decodes every record of `table` in `txn`.
    init(table: Database, in txn: Transaction) throws {
        var records: [String: VectorCollection] = [:]
        try txn.forEach(table) { key, value in
            guard let collection = try? JSONDecoder().decode(VectorCollection.self, from: Data(value)) else {
                throw VecDBError.corrupted("collection '\(String(decoding: key, as: UTF8.self))' is stored in an unknown form")
            }
            records[collection.name] = collection
            return true
        }
        self.records = records
    }

    /// Every collection, in key order.
    var all: [VectorCollection] {
        records.values.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    var names: [String] { all.map(\.name) }

    subscript(name: String) -> VectorCollection? { records[name] }

    /// The collection called `name`, or `notFound` listing the ones there are.
    func require(_ name: String) throws -> VectorCollection {
        guard let collection = records[name] else { throw VecDBError.notFound(.collection(name, available: names)) }
        return collection
    }

    /// The collection whose vectors carry `id` in their keys.
    func collection(id: UInt32) -> VectorCollection? { records.values.first { $0.id == id } }

    mutating func insert(_ collection: VectorCollection) {
        records[collection.name] = collection
        dirty.insert(collection.name)
        removed.remove(collection.name)
    }

    /// Changes collection `name` in place (it must exist).
    mutating func update(_ name: String, _ change: (inout VectorCollection) -> Void) {
        change(&records[name]!)
        dirty.insert(name)
    }

    mutating func remove(_ name: String) {
        records[name] = nil
        dirty.remove(name)
        removed.insert(name)
    }

    /// Writes the records changed since the catalogue was read (sorted keys, as every earlier version wrote them).
    func save(table: Database, in txn: Transaction) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for name in removed { try txn.delete(table, key: Array(name.utf8)) }
        for name in dirty.sorted() {
            try txn.put(table, key: Array(name.utf8), value: Array(try encoder.encode(records[name]!)))
        }
    }
}
