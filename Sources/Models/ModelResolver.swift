import Embedder
import Foundation
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

    /// The embedder of a one-space spec, `MODEL[:POOLING[:PROMPT]]` or an adapter's name.
    public func embedder(spec: String, in snapshot: Snapshot?) throws -> SpaceEmbedder {
        if let snapshot, let (record, weights) = try snapshot.adapter(named: spec) {
            return try SpaceEmbedder(adapter: record, weights: weights, store: store)
        }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 3, !parts[0].isEmpty else { throw ModelError.invalidSpec(spec) }
        let options = EmbeddingOptions(poolings: parts.count > 1 ? [parts[1]] : nil, prompts: parts.count > 2 ? [parts[2]] : nil)
        return try embedder(for: .model(try ModelReference(parts[0], store: store)), options: options)
    }
}
