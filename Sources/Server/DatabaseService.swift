import Embedder
import Foundation
import Kernels
import Models
import Reports
import VecDB

/// What every route does, over the library: requests parsed into typed values on the event loop, the store's work on
/// the lanes (`WorkLanes.swift`), each request in one read snapshot or one write batch, answered as JSON. Handlers in
/// `buildRouter` are one call each into this.
public final class DatabaseService: Sendable {
    let database: VectorDatabase
    let models: ServedModels
    let configuration: ServerConfiguration
    let metrics: ServerMetrics
    private let reads: Lane
    private let writer = Lane(threads: 1)
    let admission: WriteAdmission
    /// The Qdrant API's collections, in the database folder's `collections` folder (opened at their first use).
    let qdrantCollections: QdrantCollections

    public init(database: VectorDatabase, models: ServedModels, configuration: ServerConfiguration, metrics: ServerMetrics = ServerMetrics()) {
        self.database = database
        self.models = models
        self.configuration = configuration
        self.metrics = metrics
        reads = Lane(threads: configuration.readThreads)
        admission = WriteAdmission(limit: configuration.writeQueueLimit)
        qdrantCollections = QdrantCollections(root: database.path + "/collections")
    }

    /// Refuses new writes (503) and returns once every admitted one has committed and been answered.
    public func drainWrites() async {
        admission.beginShutdown()
        while admission.depth > 0 { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Stops the lanes, after the server has answered its last request.
    public func close() async {
        await drainWrites()
        await writer.shutdown()
        await reads.shutdown()
        await models.shutdown()
    }

    // MARK: Scopes

    /// `body` on a read thread, in one snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (Snapshot) throws -> T) async throws -> T {
        let database = database
        return try await onReadLane { try database.read(body) }
    }

    /// `body` on the writer thread, admitted through the write queue (429 when full, 503 when shutting down); it
    /// returns once `body`'s own commit is durable.
    func write<T: Sendable>(_ body: @escaping @Sendable (VectorDatabase) throws -> T) async throws -> T {
        let database = database
        return try await onWriter { try body(database) }
    }

    /// `body` on a read thread (any database's reads: the Qdrant collections' too).
    func onReadLane<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await reads.run(body)
    }

    /// `body` on the writer thread, admitted through the write queue: every database's writes take turns there.
    func onWriter<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try admission.admit()
        defer { admission.release() }
        let result = try await writer.run(body)
        metrics.commits.increment()
        return result
    }

    // MARK: Info

    func info() async throws -> Data {
        let database = database
        return try await reads.run { ResultJSON.data(try DatabaseReport(database).jsonObject) }
    }

    /// The served models, each with its space; and the collections that could not be loaded.
    func modelList() -> Data {
        ResultJSON.data([
            "models": models.all.map { model -> [String: Any] in
                ["name": model.name, "spec": model.spec, "model": model.space.model, "dimensions": model.space.dimensions,
                 "pooling": model.space.pooling, "prompt": model.space.prompt, "lexical": model.isLexical]
            },
            "skipped": models.skipped.map { ["name": $0.spec, "reason": $0.reason] },
        ] as [String: Any])
    }

    // MARK: Documents

    /// `POST /v1/documents`: the CLI's ingest of these documents into `models` (default: every served space), one
    /// write batch, answered after its commit.
    func ingest(_ body: JSONFields) async throws -> Data {
        try body.rejectUnknown(["documents", "models"])
        guard let documents = try body.objects("documents") else { throw APIError.badRequest("documents is required") }
        guard !documents.isEmpty else { throw APIError.badRequest("documents is empty") }
        let records = try documents.enumerated().map { index, fields -> IngestRecord in
            try fields.rejectUnknown(["id", "text", "metadata"])
            guard let text = try fields.string("text") else { throw APIError.badRequest("\(fields.name("text")) is required") }
            guard !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
                throw APIError.badRequest("\(fields.name("text")) is empty")
            }
            guard !text.unicodeScalars.contains("\0") else { throw APIError.badRequest("\(fields.name("text")) contains a NUL character") }
            let externalID = try fields.externalID("id")
            let metadata = try fields.metadataJSON("metadata")
            return IngestRecord(text: text, externalID: externalID, metadataJSON: metadata, line: index + 1)
        }
        let targets = try (body.strings("models") ?? models.names).map { try models.named($0) }
        guard !targets.isEmpty else { throw APIError.badRequest("models is empty") }
        guard Set(targets.map(\.name)).count == targets.count else { throw APIError.badRequest("models names a space twice") }
        let spaces = targets.map(\.space)
        // Embed outside the write batch, on each model's lane: only the texts some space lacks.
        let needed = try await read { snapshot in
            for space in spaces { _ = try snapshot.compatibleCollection(for: space) }
            return try snapshot.textsNeedingVectors(records, spaces: spaces)
        }
        var vectors: [[Embedding]?] = []
        for target in targets {
            vectors.append(target.isLexical || needed.isEmpty ? nil : try await target.embed(needed))
        }
        let precomputed = PrecomputedSpaces(spaces: spaces, texts: needed, vectors: vectors)
        let (summary, commit) = try await write { database in
            var last: BatchCommit?
            let summary = try database.ingest(from: InputReader(records: records, sourceName: "request"), embedder: precomputed,
                                              batchSize: records.count) { last = $0 }
            return (summary, last!)
        }
        return ResultJSON.data([
            "added": summary.added, "updated": summary.updated, "unchanged": summary.embedded + summary.alreadyPresent,
            "embedded": summary.embedded, "truncated": summary.truncated, "collections": summary.collections,
            "ids": commit.documentIDs, "snapshot": commit.transactionID,
        ] as [String: Any])
    }

    /// `GET /v1/documents/{id}`: the document, by its number or (`external`) by the id it was given.
    func document(_ key: String, external: Bool) async throws -> Data {
        try await read { snapshot in
            let id = try DatabaseService.documentID(key, external: external, in: snapshot)
            guard let document = try snapshot.document(id: id) else { throw VecDBError.notFound(.document(id)) }
            var object = ResultJSON.document(document)
            object["collections"] = try snapshot.collections.filter { try snapshot.hasVector(collection: $0, document: id) }.map(\.name)
            object["snapshot"] = snapshot.id
            return ResultJSON.data(object)
        }
    }

    /// `DELETE /v1/documents/{id}`.
    func deleteDocument(_ key: String, external: Bool) async throws -> Data {
        try await write { database in
            try database.write { batch in
                let id = try DatabaseService.documentID(key, external: external, in: batch)
                guard try batch.deleteDocument(id: id) else { throw VecDBError.notFound(.document(id)) }
                return ResultJSON.data(["deleted": 1, "ids": [id], "snapshot": batch.id] as [String: Any])
            }
        }
    }

    /// `POST /v1/delete`: by numbers (`ids`), by given ids (`external_ids`) or by filter (`where`), one batch; every
    /// listed id must exist, else nothing is deleted (404).
    func delete(_ body: JSONFields) async throws -> Data {
        try body.rejectUnknown(["ids", "external_ids", "where"])
        let given = ["ids", "external_ids", "where"].filter(body.has)
        guard given.count == 1 else { throw APIError.badRequest("give one of ids, external_ids, where") }
        let filter = try body.filter("where")
        let externalIDs = try body.strings("external_ids")
        let ids = try body.documentNumbers("ids")
        let numbers = ids
        return try await write { database in
            try database.write { batch in
                var deleted: [UInt64] = []
                if let filter {
                    deleted = try batch.documents(matching: filter).ids
                    for id in deleted { try batch.deleteDocument(id: id) }
                } else {
                    let targets = try numbers ?? externalIDs!.map { try DatabaseService.documentID($0, external: true, in: batch) }
                    for id in targets where !deleted.contains(id) {
                        guard try batch.deleteDocument(id: id) else { throw VecDBError.notFound(.document(id)) }
                        deleted.append(id)
                    }
                }
                return ResultJSON.data(["deleted": deleted.count, "ids": deleted, "snapshot": batch.id] as [String: Any])
            }
        }
    }

    static func documentID(_ key: String, external: Bool, in snapshot: Snapshot) throws -> UInt64 {
        if external {
            guard let id = try snapshot.documentID(externalID: key) else { throw VecDBError.notFound(.externalID(key)) }
            return id
        }
        guard let id = UInt64(key) else {
            throw APIError.badRequest("'\(key)' is not a document number (add ?external=true for the id a document was given)")
        }
        return id
    }

    // MARK: Embed

    /// `POST /v1/embed`: vectors of `texts` in `model`'s space, stored nowhere.
    func embed(_ body: JSONFields) async throws -> Data {
        try body.rejectUnknown(["texts", "model"])
        guard let texts = try body.strings("texts"), !texts.isEmpty else { throw APIError.badRequest("texts must be a non-empty array of strings") }
        let model = try body.string("model").map { try models.named($0) } ?? models.defaultVectorModel()
        let embeddings = try await model.embed(texts)
        return ResultJSON.data([
            "model": model.name, "dimensions": model.space.dimensions,
            "vectors": embeddings.map { $0.vector.map(Double.init) }, "truncated": embeddings.map(\.truncated),
        ] as [String: Any])
    }

    // MARK: Query

    /// `POST /v1/query`.
    func query(_ body: JSONFields) async throws -> Data {
        let request = try QueryRequest(body)
        if request.models.count > 1 { return try await rankings(request) }
        let name = request.models.first
        if let vector = request.vector {
            return try await read { snapshot in
                // A vector may search any collection of the database, served or not.
                let collection = try name.map { try snapshot.collection(named: $0)?.name ?? self.models.named($0).name }
                    ?? self.models.defaultVectorModel().name
                guard snapshot.collection(named: collection) != nil else {
                    return DatabaseService.noResults(collection: collection, snapshot: snapshot, mode: request.mode)
                }
                let results = try snapshot.search(collection: collection, query: vector, k: request.k, mode: request.mode, filter: request.filter)
                return ResultJSON.data(ResultJSON.search(results, collection: collection))
            }
        }
        let model = try name.map { try models.named($0) } ?? models.defaultVectorModel()
        let text = request.text!
        let vector = model.isLexical ? nil : try await model.embed([text])[0].vector
        let space = model.space
        return try await read { snapshot in
            guard try snapshot.compatibleCollection(for: space) != nil else {
                return DatabaseService.noResults(collection: space.collection, snapshot: snapshot, mode: request.mode)
            }
            let results = try vector.map {
                try snapshot.search(collection: space.collection, query: $0, k: request.k, mode: request.mode, filter: request.filter)
            } ?? snapshot.searchText(text, collection: space.collection, k: request.k, mode: request.mode, filter: request.filter)
            return ResultJSON.data(ResultJSON.search(results, collection: space.collection))
        }
    }

    /// The answer of a search in a served space that has no collection yet (nothing was ingested into it): no results.
    private static func noResults(collection: String, snapshot: Snapshot, mode: SearchMode) -> Data {
        ResultJSON.data(["results": [Any](), "collection": collection, "snapshot": snapshot.id, "search": mode.name, "scanned": 0]
                        as [String: Any])
    }

    /// A query of several models: each one's top max(k, 100), then one fused list (`fuse`) or every list with each
    /// document's rank in the others.
    private func rankings(_ request: QueryRequest) async throws -> Data {
        let served = try request.models.map { try models.named($0) }
        guard Set(served.map(\.name)).count == served.count else { throw APIError.badRequest("models names a space twice") }
        let text = request.text!
        var embedded: [[Float]?] = []
        for model in served { embedded.append(model.isLexical ? nil : try await model.embed([text])[0].vector) }
        let vectors = embedded
        let spaces = served.map(\.space)
        let names = spaces.map(\.collection)
        let depth = max(request.k, RankFusion.defaultDepth)
        return try await read { snapshot in
            var rankings: [[(id: UInt64, score: Float)]] = []
            for (space, vector) in zip(spaces, vectors) {
                guard try snapshot.compatibleCollection(for: space) != nil else {
                    rankings.append([])
                    continue
                }
                rankings.append(try vector.map {
                    try snapshot.nearest(collection: space.collection, query: $0, k: depth, mode: request.mode, filter: request.filter)
                } ?? snapshot.nearestText(text, collection: space.collection, k: depth, filter: request.filter))
            }
            let ranks = rankings.map { ranked in Dictionary(ranked.enumerated().map { ($1.id, $0 + 1) }, uniquingKeysWith: { a, _ in a }) }
            func ranksOf(_ id: UInt64, except skipped: Int? = nil) -> [String: Int?] {
                Dictionary(uniqueKeysWithValues: names.indices.filter { $0 != skipped }.map { (names[$0], ranks[$0][id]) })
            }
            if let fusion = request.fusion {
                let fused = Array(fusion.fuse(rankings.map { $0.map { (id: $0.id, score: Double($0.score)) } }).prefix(request.k))
                let documents = try snapshot.documents(fused.map(\.id))
                return ResultJSON.data([
                    "fused": fusion.name(of: names), "order": names, "depth": depth, "snapshot": snapshot.id,
                    "results": zip(fused, documents).map { ResultJSON.fusedResult($1, score: $0.score, ranks: ranksOf($0.id)) },
                ] as [String: Any])
            }
            var lists: [String: Any] = [:]
            for (m, ranked) in rankings.enumerated() {
                let shown = Array(ranked.prefix(request.k))
                let documents = try snapshot.documents(shown.map(\.id))
                lists[names[m]] = zip(shown, documents).map { ResultJSON.fusedResult($1, score: Double($0.score), ranks: ranksOf($0.id, except: m)) }
            }
            return ResultJSON.data(["models": lists, "order": names, "depth": depth, "snapshot": snapshot.id] as [String: Any])
        }
    }
}

/// `POST /v1/query`'s body, checked.
struct QueryRequest: Sendable {
    var text: String?
    var vector: [Float]?
    var k: Int
    var models: [String]
    var filter: MetadataFilter?
    var fusion: RankFusion?
    var mode: SearchMode

    static let largestK = 10_000

    init(_ body: JSONFields) throws {
        try body.rejectUnknown(["text", "vector", "k", "model", "models", "where", "fuse", "ef", "exact"])
        text = try body.string("text")
        if let raw = try body.floats("vector") {
            let (unit, norm) = Kernels.l2Normalized(raw)
            guard !raw.isEmpty, norm > 0 else { throw APIError.badRequest("vector must be a non-empty vector with a direction (not all zeros)") }
            vector = unit
        }
        guard (text == nil) != (vector == nil) else { throw APIError.badRequest("give one of text, vector") }
        if let text, text.unicodeScalars.allSatisfy(\.properties.isWhitespace) { throw APIError.badRequest("text is empty") }
        k = try body.int("k", in: 1...QueryRequest.largestK) ?? 10
        guard !(body.has("model") && body.has("models")) else { throw APIError.badRequest("give model or models, not both") }
        models = try body.strings("models") ?? (body.string("model").map { [$0] } ?? [])
        if body.has("models"), models.isEmpty { throw APIError.badRequest("models is empty") }
        filter = try body.filter("where")
        fusion = try body.string("fuse").map { text in
            do { return try RankFusion(parsing: text) } catch { throw APIError.badRequest("fuse: \(error)") }
        }
        if fusion != nil, models.count < 2 { throw APIError.badRequest("fuse fuses rankings: give models with at least two names") }
        if models.count > 1, vector != nil { throw APIError.badRequest("several models rank a text, not a vector (a vector belongs to one space)") }
        let exact = try body.bool("exact") ?? false
        let ef = try body.int("ef", in: 1...100_000)
        guard !(exact && ef != nil) else { throw APIError.badRequest("give ef or exact, not both") }
        mode = exact ? .exact : ef.map { .index(ef: $0) } ?? .automatic
    }
}

/// The vectors an ingest request computed on the models' lanes before its write batch, served to
/// `VectorDatabase.ingest` as its embedder, so the writer thread never runs a model.
private final class PrecomputedSpaces: SpaceEmbedding, @unchecked Sendable {
    let spaces: [VectorSpace]
    var adapterName: String? { nil }
    private var vectors: [[UInt8]: [Embedding]] = [:]

    init(spaces: [VectorSpace], texts: [String], vectors: [[Embedding]?]) {
        self.spaces = spaces
        for (index, text) in texts.enumerated() {
            // A lexical space has no vectors: a placeholder the store never reads.
            self.vectors[Array(text.utf8)] = vectors.map { $0?[index] ?? Embedding(vector: [], tokenCount: 0, truncated: false) }
        }
    }

    func embed(_ texts: [String]) throws -> [[Embedding]] {
        let found = try texts.map { text in
            guard let embeddings = vectors[Array(text.utf8)] else {
                // Another writer removed a vector between this request's plan and its batch.
                throw VecDBError.conflict("a concurrent write changed the documents this request planned for; send it again")
            }
            return embeddings
        }
        return spaces.indices.map { space in found.map { $0[space] } }
    }
}
