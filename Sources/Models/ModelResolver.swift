import Embedder
import Foundation
import Lexical
import VecDB

/// Turns a model as a user names it into a loaded `SpaceEmbedder`: the one place that knows every form a name
/// takes, for every command and for the server.
///
/// A name is, in this order: an adapter trained in the database (`minilm+sci`); a catalogue name installed in the
/// model cache (`minilm`); a path to a sentence-transformers folder or a Llama `.gguf` file. A *spec* adds one
/// vector space's settings: `MODEL[:POOLING[:PROMPT]]` (`smollm2:logits:chat-gen`).
public struct ModelResolver: Sendable {
    /// What a name refers to, found without loading any weights.
    public enum Target: Sendable {
        case adapter(StoredAdapter, ProjectionAdapter)
        case model(ModelReference)

        /// The display name: the adapter's, or the model as given.
        public var name: String {
            switch self {
            case .adapter(let record, _): return record.name
            case .model(let reference): return reference.given
            }
        }
    }

    public var store: ModelStore

    public init(store: ModelStore) { self.store = store }

    /// What `name` names. Adapters are looked up in `snapshot` (none without a database); a catalogue model must be
    /// installed; a path is hashed.
    public func resolve(_ name: String, in snapshot: Snapshot?) throws -> Target {
        if let snapshot, let (record, weights) = try snapshot.adapter(named: name) { return .adapter(record, weights) }
        guard name != LexicalSpace.modelName else { throw ModelError.lexicalSpace(name: name) }
        return .model(try ModelReference(name, store: store))
    }

    /// Loads `target` with the vector spaces `options` ask for. `collection` names the default space's collection.
    /// `promptWhenUnset` is the prompt a Llama model uses when `options` names none (a tokenizer display wants the
    /// bare text, say). An adapter's space was fixed by its training: options are refused.
    public func embedder(for target: Target, options: EmbeddingOptions = EmbeddingOptions(), collection: String? = nil,
                         promptWhenUnset: String? = nil) throws -> SpaceEmbedder {
        switch target {
        case .adapter(let record, let weights):
            guard options == EmbeddingOptions(), collection == nil else { throw ModelError.fixedByTraining(adapter: record.name) }
            return try SpaceEmbedder(adapter: record, weights: weights, store: store)
        case .model(let reference):
            var options = options
            if options.prompts == nil, reference.kind == .gguf, let promptWhenUnset { options.prompts = [promptWhenUnset] }
            return try SpaceEmbedder(reference, options: options, collection: collection)
        }
    }

    /// `resolve` then `embedder(for:)`.
    public func embedder(_ name: String, options: EmbeddingOptions = EmbeddingOptions(), collection: String? = nil,
                         promptWhenUnset: String? = nil, in snapshot: Snapshot?) throws -> SpaceEmbedder {
        try embedder(for: resolve(name, in: snapshot), options: options, collection: collection, promptWhenUnset: promptWhenUnset)
    }

    /// What fills or ranks the space `name` names: the lexical space for `bm25` (its settings from `options`, else the
    /// stored collection's, else Anserini's), otherwise `embedder(_:…)`'s model or adapter.
    public func space(_ name: String, options: EmbeddingOptions = EmbeddingOptions(), collection: String? = nil,
                      promptWhenUnset: String? = nil, in snapshot: Snapshot?) throws -> SpaceEmbedding {
        guard name == LexicalSpace.modelName else {
            return try embedder(name, options: options, collection: collection, promptWhenUnset: promptWhenUnset, in: snapshot)
        }
        guard options.poolings == nil, options.prompts == nil, options.maxTokens == nil else {
            throw ModelError.unsupportedSetting(model: name, setting: .pooling,
                                                detail: "(and prompt, max-tokens) are not settings of a lexical space: it has no model")
        }
        let collection = collection ?? LexicalSpace.modelName
        let base = snapshot?.collection(named: collection)?.lexical ?? .anserini
        let settings = options.lexicalSettings(base: base)
        do {
            return LexicalSpace(settings: try settings.validated(), collection: collection)
        } catch {
            throw VecDBError.invalidArgument("\(name): \(error.description)")
        }
    }

    /// `space(_:…)` of a one-space spec: `bm25`, or what `embedder(spec:in:)` takes.
    public func space(spec: String, in snapshot: Snapshot?) throws -> SpaceEmbedding {
        spec == LexicalSpace.modelName ? try space(spec, in: snapshot) : try embedder(spec: spec, in: snapshot)
    }

    /// The embedder of a one-space spec, `MODEL[:POOLING[:PROMPT]]` or an adapter's name.
    public func embedder(spec: String, in snapshot: Snapshot?) throws -> SpaceEmbedder {
        if let snapshot, let (record, weights) = try snapshot.adapter(named: spec) {
            return try SpaceEmbedder(adapter: record, weights: weights, store: store)
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3, !parts[0].isEmpty else { throw ModelError.invalidSpec(spec) }
        guard parts[0] != LexicalSpace.modelName else { throw ModelError.lexicalSpace(name: spec) }
        let options = EmbeddingOptions(poolings: parts.count > 1 ? [parts[1]] : nil, prompts: parts.count > 2 ? [parts[2]] : nil)
        return try embedder(for: .model(try ModelReference(parts[0], store: store)), options: options)
    }
}
