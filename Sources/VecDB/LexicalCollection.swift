import Embedder
import LMDB
import Lexical

/// The lexical space `bm25`: BM25 over the documents' terms, ingested, queried, evaluated and fused like a model's
/// vector space, with no model to load. Its one `VectorSpace` carries the analyzer and scoring settings.
public final class LexicalSpace: SpaceEmbedding {
    /// The name that selects it wherever a model is named (`--model bm25`, `--models minilm,bm25`).
    public static let modelName = "bm25"

    public let spaces: [VectorSpace]
    public var adapterName: String? { nil }
    public var settings: LexicalSettings { spaces[0].lexical! }

    public init(settings: LexicalSettings = .anserini, collection: String = LexicalSpace.modelName) {
        spaces = [.lexical(collection: collection, settings: settings)]
    }

    /// A lexical space has no vectors: every text gets an empty one (ingest indexes the stored text itself).
    public func embed(_ texts: [String]) throws -> [[Embedding]] {
        [texts.map { _ in Embedding(vector: [], tokenCount: 0, truncated: false) }]
    }
}

extension WriteBatch {
    /// Creates an empty lexical collection; the database's format becomes 2 (`Layout.lexicalFormatVersion`), which
    /// older builds refuse rather than misread.
    @discardableResult
    public func createLexicalCollection(name: String, settings: LexicalSettings) throws -> VectorCollection {
        guard !name.isEmpty else { throw VecDBError.invalidArgument("a collection needs a name") }
        guard catalogue[name] == nil else { throw VecDBError.alreadyExists(.collection(name)) }
        let settings = try settings.validatedForStore()
        _ = try postingsTable()
        let id = try takeNext(Layout.nextCollectionKey)
        guard id < UInt64(UInt32.max) else { throw VecDBError.invalidArgument("too many collections") }
        try stampFormatVersion(Layout.lexicalFormatVersion)
        var collection = VectorCollection(
            id: UInt32(id), name: name, model: LexicalSpace.modelName, weightsSHA256: "", dimensions: 0, pooling: "bm25",
            prompt: "raw", maxTokens: 0, metric: "bm25", count: 0, index: nil)
        collection.lexical = settings
        collection.termCount = 0
        catalogue.insert(collection)
        return collection
    }

    /// Indexes stored document `id`'s text in lexical collection `name`, replacing what it had there. The text is
    /// read from the store, the one place removal will read it again.
    public func putTerms(collection name: String, document id: UInt64) throws {
        let collection = try catalogue.require(name)
        guard let settings = collection.lexical else {
            throw VecDBError.invalidArgument("collection '\(name)' holds vectors; terms go into a lexical collection")
        }
        guard let document = try document(id: id) else { throw VecDBError.notFound(.document(id)) }
        if try hasVector(collection: collection, document: id) { _ = try removeTerms(collection: collection, document: id) }
        let analyzed = AnalyzedDocument(document.text, analyzer: settings.analyzer)
        guard analyzed.length <= Int(UInt32.max) else { throw VecDBError.invalidArgument("document \(id) has over 2³² terms") }
        try txn.put(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id),
                    value: Layout.littleEndian(UInt32(analyzed.length)))
        catalogue.update(name) {
            $0.count += 1
            $0.termCount = ($0.termCount ?? 0) + analyzed.length
        }
        lexicalUpdates.stored(id, analyzed, in: collection.id)
    }

    /// Removes document `id` from lexical `collection`: its membership, its length from the total, and the postings
    /// of the terms its stored text has.
    func removeTerms(collection: VectorCollection, document id: UInt64) throws -> Bool {
        let key = Layout.vectorKey(collection: collection.id, document: id)
        guard let length = try txn.value(tables.vectors, for: key).flatMap({ Layout.readLittleEndian($0, as: UInt32.self) }) else {
            return false
        }
        try txn.delete(tables.vectors, key: key)
        catalogue.update(collection.name) {
            $0.count -= 1
            $0.termCount = max(0, ($0.termCount ?? 0) - Int(length))
        }
        if let document = try document(id: id) {
            lexicalUpdates.removed(id, AnalyzedDocument(document.text, analyzer: collection.lexical!.analyzer), from: collection.id)
        }
        return true
    }

    /// Deletes every posting of `collection`.
    func dropPostings(of collection: VectorCollection) throws {
        lexicalUpdates.forget(collection.id)
        let table = try postingsTable()
        let prefix = Layout.bigEndian(collection.id)
        var keys: [[UInt8]] = []
        try txn.forEach(table, from: prefix) { key, _ in
            guard key.starts(with: prefix) else { return false }
            keys.append(Array(key))
            return true
        }
        for key in keys { try txn.delete(table, key: key) }
    }

    /// Recomputes lexical collection `name` from the documents it holds: postings, lengths, count and total.
    func rebuildPostings(collection name: String) throws {
        let collection = try catalogue.require(name)
        guard collection.isLexical else { return }
        try dropPostings(of: collection)
        var members: [UInt64] = []
        try forEachVectorID(of: collection) { members.append($0); return true }
        for id in members { try txn.delete(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) }
        catalogue.update(name) {
            $0.count = 0
            $0.termCount = 0
        }
        for id in members where try document(id: id) != nil { try putTerms(collection: name, document: id) }
    }
}

extension Snapshot {
    /// The `postings` table, which only a database that predates it, opened read-only, lacks.
    func postingsTable() throws -> Database {
        guard let table = tables.postings else {
            throw VecDBError.needsUpgrade(path: database.path, table: Layout.postingsName)
        }
        return table
    }
}

extension LexicalSettings {
    /// The settings, or `invalidArgument` naming what BM25 cannot use.
    func validatedForStore() throws -> LexicalSettings {
        do {
            return try validated()
        } catch {
            throw VecDBError.invalidArgument(error.description)
        }
    }
}
