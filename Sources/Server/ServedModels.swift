import Embedder
import Foundation
import Models
import NIOConcurrencyHelpers
import VecDB

/// One space the server fills and ranks: a loaded model's vector space, or a lexical space (`bm25`, no model), with
/// the lane its forward passes run on.
final class ServedModel: @unchecked Sendable {
    /// The name requests use: the collection's (`minilm`, `smollm2:logits:chat`, `bm25`).
    var name: String { space.collection }
    /// The spec it was loaded from (`--models`), shown in errors and `GET /v1/models`.
    let spec: String
    /// Confined to `lane`: `SpaceEmbedding`s keep scratch state between calls. Only `spaces` is read elsewhere.
    private let embedding: SpaceEmbedding
    let space: VectorSpace
    private let lane: Lane?

    init(spec: String, embedding: SpaceEmbedding) {
        self.spec = spec
        self.embedding = embedding
        space = embedding.spaces[0]
        lane = space.lexical == nil ? Lane(threads: 1) : nil
    }

    var isLexical: Bool { space.lexical != nil }

    /// Requests waiting for the model: their texts and who to answer.
    private typealias Waiting = (texts: [String], answer: CheckedContinuation<[Embedding], Error>)
    private let waiting = NIOLockedValueBox<[Waiting]>([])

    /// Texts per forward pass when several requests wait (a larger request still goes through whole).
    static let batchTexts = 32

    /// The vectors of `texts` in this space, computed on the model's lane, in one forward pass with the texts of the
    /// other requests waiting at the time (a batch pass costs less per text than one pass each).
    func embed(_ texts: [String]) async throws -> [Embedding] {
        guard let lane else {
            throw APIError(.badRequest, "lexical_space", "'\(name)' is a lexical (BM25) space: it has terms, not vectors")
        }
        return try await withCheckedThrowingContinuation { answer in
            let first = waiting.withLockedValue { waiting in
                waiting.append((texts, answer))
                return waiting.count == 1
            }
            // One drain per burst: a request that finds others waiting rides on the drain already queued.
            if first { lane.submit { [self] in drain() } }
        }
    }

    /// On the lane: takes the waiting requests, up to `batchTexts` texts (at least one request) a pass, until none wait.
    private func drain() {
        while true {
            let batch: [Waiting] = waiting.withLockedValue { waiting in
                var count = 0
                var taken = 0
                while taken < waiting.count, taken == 0 || count + waiting[taken].texts.count <= ServedModel.batchTexts {
                    count += waiting[taken].texts.count
                    taken += 1
                }
                defer { waiting.removeFirst(taken) }
                return Array(waiting.prefix(taken))
            }
            if batch.isEmpty { return }
            do {
                var vectors = try embedding.embed(batch.flatMap(\.texts))[0][...]
                for request in batch {
                    request.answer.resume(returning: Array(vectors.prefix(request.texts.count)))
                    vectors = vectors.dropFirst(request.texts.count)
                }
            } catch {
                for request in batch { request.answer.resume(throwing: error) }
            }
        }
    }

    func shutdown() async { await lane?.shutdown() }
}

/// The models a server loaded at start, found by the names requests give.
public final class ServedModels: Sendable {
    let all: [ServedModel]
    /// Specs of the database's collections that could not be loaded at start, with the reason (shown at start and in
    /// `GET /v1/models`): their vectors can still be searched with a `vector` query.
    public let skipped: [(spec: String, reason: String)]

    init(all: [ServedModel], skipped: [(spec: String, reason: String)]) {
        self.all = all
        self.skipped = skipped
    }

    /// The names requests may use, in load order.
    public var names: [String] { all.map(\.name) }

    /// The served space `name` names (its collection, or the spec it was loaded from); 404 listing the served ones.
    func named(_ name: String) throws -> ServedModel {
        if let model = all.first(where: { $0.name == name || $0.spec == name }) { return model }
        throw APIError(.notFound, "model_not_found",
                       "model '\(name)' is not served (this server has: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
    }

    /// The model a request without `model` uses: the first served vector space.
    func defaultVectorModel() throws -> ServedModel {
        guard let model = all.first(where: { !$0.isLexical }) else {
            throw APIError(.badRequest, "no_model", "this server serves no embedding model; name one with --models at start")
        }
        return model
    }

    /// Loads `specs` (each `MODEL[:POOLING[:PROMPT]]`, an adapter, or `bm25`), every one checked against the
    /// database's collection of the same space. Without specs: one per collection of the database, loaded as it was
    /// built (a collection whose model is not installed is skipped, with its reason); for an empty database, the
    /// default model.
    public static func load(specs: [String]?, database: VectorDatabase?, resolver: ModelResolver) throws -> ServedModels {
        guard let database else { return try load(specs: specs, snapshot: nil, resolver: resolver) }
        return try database.read { try load(specs: specs, snapshot: $0, resolver: resolver) }
    }

    /// `load` in `snapshot`, or without a database (then there are no collections to check or build from).
    private static func load(specs: [String]?, snapshot: Snapshot?, resolver: ModelResolver) throws -> ServedModels {
        if let specs {
            var models: [ServedModel] = []
            for spec in specs {
                let space = try resolver.space(spec: spec, in: snapshot)
                _ = try snapshot?.compatibleCollection(for: space.spaces[0])
                guard !models.contains(where: { $0.name == space.spaces[0].collection }) else {
                    throw ServerConfigurationError("--models names the space '\(space.spaces[0].collection)' twice")
                }
                models.append(ServedModel(spec: spec, embedding: space))
            }
            return ServedModels(all: models, skipped: [])
        }
        guard let snapshot, !snapshot.collections.isEmpty else {
            let spec = ModelCatalog.defaultModelName
            return ServedModels(all: [ServedModel(spec: spec, embedding: try resolver.space(spec: spec, in: snapshot))], skipped: [])
        }
        var models: [ServedModel] = []
        var skipped: [(String, String)] = []
        for collection in snapshot.collections {
            do {
                let space = try loadAsBuilt(collection, resolver: resolver, in: snapshot)
                models.append(ServedModel(spec: collection.name, embedding: space))
            } catch {
                skipped.append((collection.name, "\(error)"))
            }
        }
        return ServedModels(all: models, skipped: skipped)
    }

    /// The space that fills `collection` as it was built: the lexical space with its stored settings, its adapter, or
    /// its model with its pooling, prompt and token limit (a collection named by `--collection` at ingest is not
    /// found this way: the server must be told with `--models`).
    private static func loadAsBuilt(_ collection: VectorCollection, resolver: ModelResolver, in snapshot: Snapshot) throws -> SpaceEmbedding {
        let space: SpaceEmbedding
        if collection.isLexical {
            space = try resolver.space(LexicalSpace.modelName, collection: collection.name, in: snapshot)
        } else if try snapshot.adapter(named: collection.name) != nil {
            space = try resolver.space(spec: collection.name, in: snapshot)
        } else {
            let options = EmbeddingOptions(poolings: [collection.pooling], prompts: [collection.prompt], maxTokens: collection.maxTokens)
            space = try resolver.space(collection.model, options: options, in: snapshot)
        }
        guard space.spaces[0].collection == collection.name else {
            throw ServerConfigurationError("its model \(collection.model) names its space '\(space.spaces[0].collection)'; "
                + "serve it with --models")
        }
        _ = try snapshot.compatibleCollection(for: space.spaces[0])
        return space
    }

    func shutdown() async {
        for model in all { await model.shutdown() }
    }
}
