import LMDB

/// One committed state of the database, as `VectorDatabase.read` hands it to its closure: every read through it sees
/// the same documents, collections and indexes, however many writers commit meanwhile.
///
/// A snapshot lives only inside its closure (its LMDB read transaction ends with it); keeping one past that is a
/// programming error and traps. A `WriteBatch` is a snapshot too: reads through it see the batch's own changes.
public class Snapshot {
    let database: VectorDatabase
    /// Valid until the scope that made the snapshot ends.
    private var openTransaction: Transaction?
    var catalogue: Catalogue

    init(database: VectorDatabase, transaction: Transaction) throws {
        self.database = database
        openTransaction = transaction
        if transaction.isReadOnly, let cached = database.catalogueCache.catalogue(snapshot: transaction.id) {
            catalogue = cached
        } else {
            catalogue = try Catalogue(table: database.tables.collections, in: transaction)
            // A write transaction's catalogue changes before it commits, and its id is reused by the snapshot it makes.
            if transaction.isReadOnly { database.catalogueCache.store(catalogue, snapshot: transaction.id) }
        }
    }

    var txn: Transaction {
        guard let openTransaction else { preconditionFailure("a Snapshot was used after its read or write scope ended") }
        return openTransaction
    }

    var tables: Tables { database.tables }

    /// Ends the snapshot's use: its transaction is about to end.
    func close() { openTransaction = nil }

    /// The LMDB transaction id of this state: equal ids are equal states.
    public var id: Int { txn.id }

    /// Whether what this snapshot reads may be kept for later readers of the same state (the caches keyed by `id`):
    /// not in a write batch (nothing it reads is committed yet, and its id is reused by the state it commits), nor
    /// in a read without the lock file (it may see a writer's half-written pages, refused afterwards by
    /// `Environment.read`).
    var mayCacheReads: Bool { txn.isReadOnly && !database.environment.options.noLock }

    // MARK: Documents

    /// Number of stored documents.
    public func documentCount() throws -> Int { try txn.count(tables.documents) }

    /// The document with `id`, or nil.
    public func document(id: UInt64) throws -> Document? {
        try txn.withValue(tables.documents, key: Layout.documentKey(id)) { raw in
            guard let raw else { return nil }
            guard let document = Document.decode(id: id, raw) else {
                throw VecDBError.corrupted("document \(id) is stored in an unknown or damaged form")
            }
            return document
        }
    }

    /// The documents of `ids`, in that order; an id without a document is a collection that refers to a missing one.
    public func documents(_ ids: [UInt64]) throws -> [Document] {
        try ids.map { id in
            guard let document = try document(id: id) else {
                throw VecDBError.corrupted("an index or collection refers to missing document \(id)")
            }
            return document
        }
    }

    /// The id of the document a JSONL `id` named, or nil.
    public func documentID(externalID: String) throws -> UInt64? {
        try documentID(forKey: Document.dedupKey(text: "", externalID: externalID))
    }

    /// Every document that has an external id, with that id, in byte order of the ids: one walk of the `keys`
    /// table, no document read.
    public func externalIDs() throws -> [(externalID: String, id: UInt64)] {
        let prefix = Array("id:".utf8)
        var found: [(externalID: String, id: UInt64)] = []
        try txn.forEach(tables.keys, from: prefix) { key, value in
            guard key.starts(with: prefix) else { return false }
            if value.count == 8, let externalID = String(validating: key[prefix.count...], as: UTF8.self) {
                found.append((externalID, UInt64(bigEndian: value.loadUnaligned(as: UInt64.self))))
            }
            return true
        }
        return found
    }

    func documentID(forKey key: [UInt8]) throws -> UInt64? {
        try txn.withValue(tables.keys, key: key) { raw in
            guard let raw, raw.count == 8 else { return nil }
            return UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
        }
    }

    // MARK: Collections

    /// Every collection (vector space), by name.
    public var collections: [VectorCollection] { catalogue.all }

    /// The collection called `name`, or nil.
    public func collection(named name: String) -> VectorCollection? { catalogue[name] }

    /// True when document `id` has a vector in `collection`.
    public func hasVector(collection: VectorCollection, document id: UInt64) throws -> Bool {
        try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) { $0 != nil }
    }

    /// Document `id`'s vector in `collection`, or nil when it has none.
    public func vector(collection: VectorCollection, document id: UInt64) throws -> [Float]? {
        guard !collection.isLexical else { throw Snapshot.lexicalHasNoVectors(collection) }
        return try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) { raw -> [Float]? in
            guard let raw else { return nil }
            try checkLength(raw, of: id, in: collection)
            return Layout.floats(raw)
        }
    }

    /// The stored vectors of `documentIDs` in collection `name`; ids without a vector there are absent.
    ///
    /// Evaluation needs the similarity of a query to *every* judged-relevant document, including those the search
    /// did not return, to draw the score distributions.
    public func vectors(collection name: String, documentIDs: [UInt64]) throws -> [UInt64: [Float]] {
        let collection = try catalogue.require(name)
        var result: [UInt64: [Float]] = [:]
        for id in documentIDs {
            if let vector = try vector(collection: collection, document: id) { result[id] = vector }
        }
        return result
    }

    /// Calls `body` with the document id of every vector of `collection`, in id order, until it returns false.
    func forEachVectorID(of collection: VectorCollection, _ body: (UInt64) throws -> Bool) throws {
        let prefix = Layout.vectorPrefix(collection: collection.id)
        try txn.forEach(tables.vectors, from: prefix) { key, _ in
            guard key.count == 12, key.starts(with: prefix) else { return false }
            return try body(Layout.documentID(fromKey: UnsafeRawBufferPointer(rebasing: key[4...])))
        }
    }

    /// A `meta` counter's value (0 when absent).
    func counter(_ key: [UInt8]) throws -> UInt64 {
        try txn.value(tables.meta, for: key).flatMap { Layout.readLittleEndian($0, as: UInt64.self) } ?? 0
    }

    /// The format version stamped in `meta`, or nil when missing or malformed.
    func formatVersion() throws -> UInt32? {
        try txn.value(tables.meta, for: Layout.formatKey).flatMap { Layout.readLittleEndian($0, as: UInt32.self) }
    }
}
