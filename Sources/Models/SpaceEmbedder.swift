import BLAS
import Embedder
import Foundation
import Lexical
import VecDB

/// How a model's text becomes vectors: which poolings and prompts, and at most how many tokens.
public struct EmbeddingOptions: Sendable, Equatable {
    /// Poolings to compute (Llama models: last, logits, mean); nil = the model's default.
    public var poolings: [String]?
    /// Prompt wrappings (Llama models: raw, chat, chat-gen); nil = the model's default.
    public var prompts: [String]?
    /// Token limit; nil = the model's default (256 for all-MiniLM-L6-v2, 512 for Llama models).
    public var maxTokens: Int?
    /// The lexical space's settings to change (`bm25` only); what is nil keeps the stored collection's value, or
    /// Anserini's default for a new collection.
    public var stemmer: Stemmer?
    public var stopwords: StopwordList?
    public var k1: Double?
    public var b: Double?
    /// The arithmetic of the model's linear layers; nil = the model reference's own (f32 unless named `MODEL@PRECISION`).
    public var precision: Precision?

    public init(poolings: [String]? = nil, prompts: [String]? = nil, maxTokens: Int? = nil,
                stemmer: Stemmer? = nil, stopwords: StopwordList? = nil, k1: Double? = nil, b: Double? = nil,
                precision: Precision? = nil) {
        self.precision = precision
        self.poolings = poolings
        self.prompts = prompts
        self.maxTokens = maxTokens
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.k1 = k1
        self.b = b
    }

    /// True when a lexical setting is given (which only `bm25` takes).
    var hasLexicalSettings: Bool { stemmer != nil || stopwords != nil || k1 != nil || b != nil }

    /// `base` with the settings given here.
    func lexicalSettings(base: LexicalSettings) -> LexicalSettings {
        LexicalSettings(stemmer: stemmer ?? base.stemmer, stopwords: stopwords ?? base.stopwords, k1: k1 ?? base.k1, b: b ?? base.b)
    }

    /// Llama defaults: the last token's final-norm state of the chat-templated text without the generation
    /// prompt — the seed article's setup, with the hidden state instead of the 49,152 logits.
    static let llamaDefaultPooling = Pooling.last
    static let llamaDefaultPrompt = Prompt.chat
    static let llamaDefaultMaxTokens = 512
}

/// A loaded model and the vector spaces it fills: all of them from one forward pass per batch. Made by
/// `ModelResolver`, which knows every form a model can be named in.
public final class SpaceEmbedder: SpaceEmbedding {
    public let reference: ModelReference
    public let spaces: [VectorSpace]
    /// The adapter this embedder applies, when it is an adapter's space.
    public let adapter: StoredAdapter?
    public var adapterName: String? { adapter?.name }
    private let compute: ([String]) throws -> [[Embedding]]
    private let tokenizeText: (String) throws -> TokenizedText

    /// Loads `reference` and plans the spaces `options` ask for. Collection names: `collection` (default: the
    /// model's name) for the model's default space; `NAME:POOLING:PROMPT` (and `:MAXTOKENS` when not the
    /// default) for the others, so each variant has a collection of its own.
    public init(_ reference: ModelReference, options: EmbeddingOptions = EmbeddingOptions(), collection: String? = nil) throws {
        guard !options.hasLexicalSettings else {
            throw ModelError.unsupportedSetting(model: reference.given, setting: .lexical, detail: "are settings of the lexical space bm25")
        }
        var reference = reference
        if let precision = options.precision, precision != reference.precision {
            guard reference.precision == .f32 else {
                throw ModelError.unsupportedSetting(model: reference.given, setting: .precision,
                                                    detail: "is \(reference.precision.rawValue) by its name; asked for \(precision.rawValue)")
            }
            reference = reference.at(precision)
        }
        self.reference = reference
        adapter = nil
        let precision = reference.precision
        let base = collection ?? reference.collectionName
        switch reference.kind {
        case .sentenceTransformer:
            guard options.poolings?.allSatisfy({ $0 == "mean" }) ?? true else {
                throw ModelError.unsupportedSetting(model: reference.given, setting: .pooling, detail: "takes mean only")
            }
            guard options.prompts?.allSatisfy({ $0 == "raw" }) ?? true else {
                throw ModelError.unsupportedSetting(model: reference.given, setting: .prompt, detail: "takes raw only")
            }
            let model = try SentenceTransformer(folder: reference.location, precision: precision)
            if let maxTokens = options.maxTokens, maxTokens != model.maxTokens {
                throw ModelError.unsupportedSetting(model: reference.given, setting: .maxTokens,
                                                    detail: "is \(model.maxTokens) as configured by the model's folder")
            }
            spaces = [VectorSpace(collection: base, model: reference.given, weightsSHA256: reference.weightsSHA256,
                                  pooling: "mean", prompt: "raw", maxTokens: model.maxTokens, dimensions: model.dimensions,
                                  precision: precision)]
            compute = { [try model.embed($0)] }
            tokenizeText = { try model.tokenize($0) }
        case .gguf:
            let poolings = try (options.poolings ?? [EmbeddingOptions.llamaDefaultPooling.rawValue]).map { name in
                guard let p = Pooling(rawValue: name) else {
                    throw ModelError.unsupportedSetting(model: reference.given, setting: .pooling,
                                                        detail: "'\(name)' is unknown: use last, logits or mean")
                }
                return p
            }
            let prompts = try (options.prompts ?? [EmbeddingOptions.llamaDefaultPrompt.rawValue]).map { name in
                guard let p = Prompt(rawValue: name) else {
                    throw ModelError.unsupportedSetting(model: reference.given, setting: .prompt,
                                                        detail: "'\(name)' is unknown: use raw, chat or chat-gen")
                }
                return p
            }
            let maxTokens = options.maxTokens ?? EmbeddingOptions.llamaDefaultMaxTokens
            let model = try LlamaEmbedder(ggufFile: reference.location, prompt: prompts.contains(.raw) && prompts.count == 1 ? .raw : .chat,
                                          maxTokens: maxTokens, precision: precision)
            var planned: [VectorSpace] = []
            for prompt in prompts {
                for pooling in poolings {
                    let isDefault = pooling == EmbeddingOptions.llamaDefaultPooling && prompt == EmbeddingOptions.llamaDefaultPrompt
                        && maxTokens == EmbeddingOptions.llamaDefaultMaxTokens
                    var name = base
                    if !isDefault {
                        name += ":\(pooling.rawValue):\(prompt.rawValue)"
                        if maxTokens != EmbeddingOptions.llamaDefaultMaxTokens { name += ":\(maxTokens)" }
                    }
                    planned.append(VectorSpace(
                        collection: name, model: reference.given, weightsSHA256: reference.weightsSHA256,
                        pooling: pooling.rawValue, prompt: prompt.rawValue,
                        maxTokens: maxTokens,
                        dimensions: pooling == .logits ? model.model.config.vocabSize : model.model.config.hidden,
                        precision: precision))
                }
            }
            spaces = planned
            compute = { texts in
                // chat is a token prefix of chat-gen: one causal pass gives both.
                var byPrompt: [Prompt: [Pooling: [Embedding]]] = [:]
                if prompts.contains(.chat) && prompts.contains(.chatGen) {
                    byPrompt = try model.embedChatVariants(texts, poolings: poolings)
                }
                for prompt in prompts where byPrompt[prompt] == nil {
                    byPrompt[prompt] = try model.embedVariants(texts, poolings: poolings, prompt: prompt)
                }
                return prompts.flatMap { prompt in poolings.map { byPrompt[prompt]![$0]! } }
            }
            tokenizeText = { try model.tokenize($0, prompt: prompts[0]) }
        }
    }

    /// An adapter's space: the base model embeds as it did for the adapter's base collection, then the adapter maps
    /// each vector. The base model must be the one the adapter was trained on (same weights hash).
    public init(adapter record: StoredAdapter, weights: ProjectionAdapter, store: ModelStore) throws {
        let baseReference = try ModelReference(record.base.model, store: store)
        guard baseReference.weightsSHA256 == record.base.weightsSHA256 else {
            throw ModelError.baseModelChanged(adapter: record.name, model: record.base.model,
                                              trained: record.base.weightsSHA256, now: baseReference.weightsSHA256)
        }
        let base = try SpaceEmbedder(baseReference, options: EmbeddingOptions(
            poolings: [record.base.pooling], prompts: [record.base.prompt], maxTokens: record.base.maxTokens))
        var reference = baseReference
        reference.given = record.name
        reference.collectionName = record.name
        reference.weightsSHA256 = StoredAdapter.weightsSHA256(base: record.base, adapter: weights)
        self.reference = reference
        adapter = record
        spaces = [VectorSpace(collection: record.name, model: record.name, weightsSHA256: reference.weightsSHA256,
                              pooling: record.base.pooling, prompt: record.base.prompt,
                              maxTokens: record.base.maxTokens, dimensions: record.shape.output)]
        let blas = try BLAS.shared()
        compute = { texts in
            let frozen = try base.embed(texts)[0]
            let adapted = weights.apply(frozen.map(\.vector), blas: blas)
            return [zip(frozen, adapted).map { Embedding(vector: $1, tokenCount: $0.tokenCount, truncated: $0.truncated) }]
        }
        tokenizeText = { try base.tokenize($0) }
    }

    /// Vectors of `texts` in every space: `result[space][text]`.
    public func embed(_ texts: [String]) throws -> [[Embedding]] {
        guard !texts.isEmpty else { return spaces.map { _ in [] } }
        return try compute(texts)
    }

    /// The ids the model receives for `text` in the first space (template included for chat prompts).
    public func tokenize(_ text: String) throws -> TokenizedText { try tokenizeText(text) }

}
