import Embedder
import Index
import LMDB

/// One unit of work on the database: every mutation — ingest, raw vectors, deletes, adapter fills, index rebuilds,
/// repairs — goes through a batch that `VectorDatabase.write` opens, and commits with it or not at all.
///
/// The batch owns the LMDB write transaction and everything that must change with the documents in it:
/// * the catalogue of collections (read once, saved at the end, only the records that changed);
/// * the HNSW indexes: vector changes are queued and applied once at the end (`IndexUpdates`), so each index block
///   is rewritten once per transaction, not once per vector;
/// * the id counters;
/// * the secondary indexes registered with the database (`DocumentIndex`): told of every stored and deleted
///   document as it happens, and given the last word before the commit.
///
/// Reads through the batch see its own changes (but index searches see the indexes as they were when it opened).
public final class WriteBatch: Snapshot {
    private var indexUpdates = IndexUpdates()
    /// Postings changes of lexical collections, applied at the end (`LexicalUpdates`).
    var lexicalUpdates = LexicalUpdates()
    private let documentIndexes: [DocumentIndex]

    init(database: VectorDatabase, transaction: Transaction, documentIndexes: [DocumentIndex]) throws {
        self.documentIndexes = documentIndexes
        try super.init(database: database, transaction: transaction)
    }

    /// What `putDocument` did.
    public enum DocumentChange: Equatable, Sendable {
        /// A new document.
        case added
        /// The same text and metadata were stored already.
        case unchanged
        /// The document's metadata or text changed; with new text its vectors in every collection were removed,
        /// since they describe the old text.
        case updated(textChanged: Bool)
    }

    // MARK: Documents

    /// Stores a document, found again by its `externalID` when it has one, else by the sha256 of its text (so a text
    /// without an id is stored once however often it is put). Returns its dense id and what changed.
    @discardableResult
    public func putDocument(text: String, externalID: String?, metadataJSON: String?) throws -> (id: UInt64, change: DocumentChange) {
        let key = Document.dedupKey(text: text, externalID: externalID)
        guard let id = try documentID(forKey: key), let stored = try document(id: id) else {
            let id = try takeNext(Layout.nextDocumentKey)
            let document = Document(id: id, text: text, externalID: externalID, metadataJSON: metadataJSON)
            try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
            try txn.put(tables.keys, key: key, value: Layout.bigEndian(id))
            for index in documentIndexes { try index.didStore(document, replacing: nil, in: self) }
            return (id, .added)
        }
        // Scalar-exact comparison: String == would call canonically equivalent texts equal.
        let textChanged = Array(stored.text.utf8) != Array(text.utf8)
        guard textChanged || stored.metadataJSON != metadataJSON else { return (id, .unchanged) }
        let document = Document(id: id, text: text, externalID: externalID, metadataJSON: metadataJSON)
        // Before the new text replaces the old: a lexical collection finds the postings to remove in the old text.
        if textChanged { try removeVectors(of: id) }
        try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
        for index in documentIndexes { try index.didStore(document, replacing: stored, in: self) }
        return (id, .updated(textChanged: textChanged))
    }

    /// Deletes document `id` with its vectors in every collection; false when there is no such document.
    @discardableResult
    public func deleteDocument(id: UInt64) throws -> Bool {
        guard let document = try document(id: id) else { return false }
        // While the text is still stored: a lexical collection finds the postings to remove in it.
        try removeVectors(of: id)
        try txn.delete(tables.documents, key: Layout.documentKey(id))
        try txn.delete(tables.keys, key: document.dedupKey)
        for index in documentIndexes { try index.didDelete(document, in: self) }
        return true
    }

    // MARK: Vectors

    /// Stores `vector` (the collection's dimensions; unit length in a cosine collection) as document `id`'s in collection `name`, replacing
    /// the one it had there.
    public func putVector(_ vector: [Float], collection name: String, document id: UInt64) throws {
        let collection = try catalogue.require(name)
        guard !collection.isLexical else { throw Snapshot.lexicalHasNoVectors(collection) }
        guard vector.count == collection.dimensions else {
            throw VecDBError.invalidArgument("a vector of \(vector.count) dimensions for '\(name)', which has \(collection.dimensions)")
        }
        if try hasVector(collection: collection, document: id) { _ = try removeVector(collection: name, document: id) }
        try txn.putAppendingWhenLast(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id), floats: vector)
        catalogue.update(name) { $0.count += 1 }
        indexUpdates.inserted(id, vector: vector, into: collection)
    }

    /// Removes document `id`'s vector from collection `name` (in a lexical collection: its postings); false when it
    /// had none there.
    @discardableResult
    public func removeVector(collection name: String, document id: UInt64) throws -> Bool {
        let collection = try catalogue.require(name)
        if collection.isLexical { return try removeTerms(collection: collection, document: id) }
        guard try txn.delete(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) else { return false }
        catalogue.update(name) { $0.count -= 1 }
        indexUpdates.removed(id, from: collection)
        return true
    }

    /// Removes document `id`'s vector from every collection that has one.
    func removeVectors(of id: UInt64) throws {
        for name in catalogue.names { try removeVector(collection: name, document: id) }
    }

    // MARK: Collections

    /// Vectors longer than this are searched exactly, without an index: an HNSW graph over 49,152-dimensional
    /// logits would cost 200 KB per node and gain little over a scan of the few thousand such vectors a user keeps.
    public static let largestIndexedDimensions = 4096

    /// Creates an empty collection, with an HNSW index of `index`'s parameters when its vectors are short enough.
    /// Vectors of a `.cosine` collection are unit length; `.dot` and `.euclid` collections keep them as given, and
    /// the first of them stamps the database's format version 3.
    @discardableResult
    public func createCollection(name: String, model: String, weightsSHA256: String, dimensions: Int, pooling: String,
                                 prompt: String, maxTokens: Int, metric: Metric = .cosine,
                                 index: HNSWParameters? = HNSWParameters(), precision: Precision = .f32) throws -> VectorCollection {
        guard !name.isEmpty else { throw VecDBError.invalidArgument("a collection needs a name") }
        guard dimensions > 0 else { throw VecDBError.invalidArgument("a collection needs at least one dimension") }
        guard catalogue[name] == nil else { throw VecDBError.alreadyExists(.collection(name)) }
        let id = try takeNext(Layout.nextCollectionKey)
        guard id < UInt64(UInt32.max) else { throw VecDBError.invalidArgument("too many collections") }
        let parameters = dimensions <= WriteBatch.largestIndexedDimensions ? index : nil
        if let parameters {
            try createIndex(collection: UInt32(id), dimensions: dimensions, parameters: parameters, metric: metric)
        }
        if metric != .cosine { try stampFormatVersion(Layout.metricFormatVersion) }
        let collection = VectorCollection(
            id: UInt32(id), name: name, model: model, weightsSHA256: weightsSHA256, dimensions: dimensions,
            pooling: pooling, prompt: prompt, maxTokens: maxTokens, metric: metric.rawValue, count: 0, index: parameters,
            precision: precision == .f32 ? nil : precision)
        catalogue.insert(collection)
        return collection
    }

    /// Writes a new, empty HNSW index for collection `id`; the first int8 index stamps format 4.
    private func createIndex(collection id: UInt32, dimensions: Int, parameters: HNSWParameters, metric: Metric) throws {
        try HNSWIndex.create(table: tables.hnsw, collection: id, dimensions: dimensions, parameters: parameters, metric: metric, in: txn)
        if parameters.quantization == .int8 { try stampFormatVersion(Layout.quantizedFormatVersion) }
    }

    /// Raises the database's format version to `version` when it is lower: the first use of a feature older builds
    /// would misread stamps the version that introduced it.
    func stampFormatVersion(_ version: UInt32) throws {
        if try formatVersion().map({ $0 < version }) ?? true {
            try txn.put(tables.meta, key: Layout.formatKey, value: Layout.littleEndian(version))
        }
    }

    /// Removes collection `name` with its vectors and index.
    public func dropCollection(_ name: String) throws {
        let collection = try catalogue.require(name)
        var ids: [UInt64] = []
        try forEachVectorID(of: collection) { ids.append($0); return true }
        for id in ids { try txn.delete(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) }
        if collection.index != nil { try HNSWIndex.drop(table: tables.hnsw, collection: collection.id, in: txn) }
        if collection.isLexical { try dropPostings(of: collection) }
        indexUpdates.forget(collection)
        catalogue.remove(name)
    }

    /// Rebuilds collection `name`'s HNSW index from its stored vectors with `parameters` (recorded in the collection);
    /// compacts away the tombstones deletes leave. Readers keep the old index until the batch commits. With
    /// `threads` > 1 the inserts' neighbour searches and links run on that many threads (`HNSWWriter.insert(_:threads:)`):
    /// faster, and the graph then depends on the threads' timing; with 1 the same vectors always give the same graph.
    @discardableResult
    public func rebuildIndex(collection name: String, parameters: HNSWParameters, threads: Int = 1) throws -> HNSWMetadata {
        guard threads >= 1 else { throw VecDBError.invalidArgument("threads must be at least 1, not \(threads)") }
        let collection = try catalogue.require(name)
        guard !collection.isLexical else { throw Snapshot.lexicalHasNoVectors(collection) }
        guard collection.dimensions <= WriteBatch.largestIndexedDimensions else {
            throw VecDBError.invalidArgument("collection '\(name)' has \(collection.dimensions)-dimensional vectors; "
                + "vecdb indexes up to \(WriteBatch.largestIndexedDimensions) and searches longer ones exactly")
        }
        // The vectors are read in full, so a pending change would be applied twice.
        indexUpdates.forget(collection)
        try HNSWIndex.drop(table: tables.hnsw, collection: collection.id, in: txn)
        try createIndex(collection: collection.id, dimensions: collection.dimensions, parameters: parameters,
                        metric: collection.vectorMetric)
        var vectors: [(id: UInt64, vector: [Float])] = []
        var ids: [UInt64] = []
        try forEachVectorID(of: collection) { ids.append($0); return true }
        for id in ids { vectors.append((id, try vector(collection: collection, document: id)!)) }
        let index = HNSWIndex(table: tables.hnsw, collection: collection.id, dimensions: collection.dimensions)
        let writer = try index.writer(in: txn)
        try writer.insert(vectors, threads: threads)
        try writer.flush()
        catalogue.update(name) { $0.index = parameters }
        return try index.metadata(in: txn)!
    }

    // MARK: Bookkeeping

    /// Reads and increments a counter in `meta`.
    func takeNext(_ key: [UInt8]) throws -> UInt64 {
        let current = try counter(key)
        try txn.put(tables.meta, key: key, value: Layout.littleEndian(current + 1))
        return current
    }

    /// Applies what the batch queued: index changes, the secondary indexes' last word, the changed catalogue
    /// records. Runs once, just before the commit.
    func finish() throws {
        try indexUpdates.apply(to: catalogue.all, table: tables.hnsw, in: txn)
        indexUpdates = IndexUpdates()
        if !lexicalUpdates.isEmpty {
            try lexicalUpdates.apply(table: try postingsTable(), in: txn)
            lexicalUpdates = LexicalUpdates()
        }
        for index in documentIndexes { try index.willCommit(self) }
        try catalogue.save(table: tables.collections, in: txn)
    }
}

/// A secondary index over the documents (a metadata index, a lexical index…) kept exact by the write path: every
/// `WriteBatch` tells it of each document stored or deleted, inside the batch's transaction, so the index commits
/// with the documents or not at all. Register one with `VectorDatabase.register(_:)`.
///
/// A method that throws aborts the whole batch: nothing of it is committed.
public protocol DocumentIndex: AnyObject {
    /// `document` was stored: new (`previous` nil), or replacing `previous` (same id).
    func didStore(_ document: Document, replacing previous: Document?, in batch: WriteBatch) throws
    /// `document` was deleted.
    func didDelete(_ document: Document, in batch: WriteBatch) throws
    /// The batch is about to commit: flush what was buffered.
    func willCommit(_ batch: WriteBatch) throws
}
