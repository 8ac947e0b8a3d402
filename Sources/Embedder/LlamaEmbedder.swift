import Foundation

/// A Llama decoder (SmolLM2-Instruct GGUF) used as a text embedder: tokenizer, chat template, forward pass
/// and one pooling, with L2-normalised vectors.
///
/// `embedVariants` computes several poolings from one forward pass, and `embedChatVariants` gets both the
/// `chat` and `chatGen` variants from a single pass over the `chatGen` rendering, whose tokens start with
/// the `chat` rendering's.
public final class LlamaEmbedder: EmbeddingModel {
    public let model: LlamaModel
    public let tokenizer: BPETokenizer
    /// The recognised chat template; nil when the file has none or an unsupported one (then only `.raw`
    /// prompts work, and asking for a chat prompt throws the template error).
    public let template: ChatTemplate?
    private let templateError: Error?
    public let pooling: Pooling
    public let prompt: Prompt
    public let maxTokens: Int
    /// Texts per forward pass (they are right-padded to the longest of the pass).
    public let batchSize: Int

    public var dimensions: Int { pooling == .logits ? model.config.vocabSize : model.config.hidden }

    /// Loads the GGUF file at `ggufFile` (weights dequantised to f32, ~540 MB for SmolLM2-135M, then packed for
    /// `precision`).
    public init(ggufFile: URL, pooling: Pooling = .last, prompt: Prompt = .chat,
                maxTokens: Int = 512, batchSize: Int = 16, precision: Precision = .f32) throws {
        let gguf = try GGUFFile(url: ggufFile)
        model = try LlamaModel(gguf: gguf, precision: precision)
        tokenizer = try BPETokenizer(gguf: gguf)
        do {
            template = try ChatTemplate(gguf: gguf)
            templateError = nil
        } catch {
            template = nil
            templateError = error
        }
        guard maxTokens >= 16, maxTokens <= model.config.contextLength else {
            throw LlamaEmbedderError("maxTokens \(maxTokens) outside 16...\(model.config.contextLength)")
        }
        if prompt != .raw, let templateError { throw templateError }
        self.pooling = pooling
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.batchSize = max(1, batchSize)
    }

    public func tokenize(_ text: String) throws -> TokenizedText {
        try tokenize(text, prompt: prompt)
    }

    /// Token ids for `text` under `prompt`, cut to `maxTokens`. For chat prompts the user text is shortened
    /// (never the template), so the sequence still ends with the template's closing tokens.
    public func tokenize(_ text: String, prompt: Prompt) throws -> TokenizedText {
        let ids: [Int32]
        var truncated = false
        switch prompt {
        case .raw:
            let all = tokenizer.encode(text)
            truncated = all.count > maxTokens
            ids = Array(all.prefix(maxTokens))
        case .chat, .chatGen:
            guard let template else { throw templateError ?? LlamaEmbedderError("no chat template") }
            let gen = prompt == .chatGen
            var content = text
            var all = tokenizer.encode(template.render(user: content, addGenerationPrompt: gen))
            if all.count > maxTokens {
                truncated = true
                let contentIds = tokenizer.encode(text)
                var keep = max(0, contentIds.count - (all.count - maxTokens))
                while all.count > maxTokens {
                    content = try Self.validPrefix(tokenizer.decode(Array(contentIds.prefix(keep))))
                    all = tokenizer.encode(template.render(user: content, addGenerationPrompt: gen))
                    if keep == 0 { break }
                    keep = max(0, keep - max(1, all.count - maxTokens))
                }
                guard all.count <= maxTokens else {
                    throw LlamaEmbedderError("the chat template alone needs \(all.count) tokens, more than maxTokens \(maxTokens)")
                }
            }
            ids = all
        }
        guard !ids.isEmpty else { throw LlamaEmbedderError("text has no tokens") }
        return TokenizedText(ids: ids, tokens: try ids.map { try tokenizer.token(forId: $0) }, truncated: truncated)
    }

    /// The longest prefix of `bytes` that is valid UTF-8 (token boundaries can split a character).
    static func validPrefix(_ bytes: [UInt8]) -> String {
        var n = bytes.count
        while n > 0 {
            if let s = String(validating: bytes[0..<n], as: UTF8.self) { return s }
            n -= 1
        }
        return ""
    }

    public func embed(_ texts: [String]) throws -> [Embedding] {
        try embedVariants(texts, poolings: [pooling], prompt: prompt)[pooling]!
    }

    /// Several poolings of one forward pass per batch, each L2-normalised.
    public func embedVariants(_ texts: [String], poolings: [Pooling], prompt: Prompt) throws -> [Pooling: [Embedding]] {
        let tokenized = try texts.map { try tokenize($0, prompt: prompt) }
        var out: [Pooling: [Embedding]] = [:]
        for p in poolings { out[p] = [] }
        try forEachBatch(tokenized) { batch, states in
            for p in poolings {
                out[p]! += pool(p, states: states, batch: batch, offsetFromEnd: 0)
            }
        }
        return out
    }

    /// Both chat variants from ONE pass over the `chatGen` rendering: the `chat` rendering is its prefix
    /// without the generation prompt's tokens, and attention is causal, so its last token's state (and mean)
    /// sit in the same pass. Falls back to a separate `chat` pass for a text whose `chat` rendering is not a
    /// token prefix of its `chatGen` rendering (for example when truncation cut them differently).
    public func embedChatVariants(_ texts: [String], poolings: [Pooling]) throws -> [Prompt: [Pooling: [Embedding]]] {
        let gen = try texts.map { try tokenize($0, prompt: .chatGen) }
        let chat = try texts.map { try tokenize($0, prompt: .chat) }
        var result: [Prompt: [Pooling: [Embedding]]] = [.chat: [:], .chatGen: [:]]
        for p in poolings { result[.chat]![p] = []; result[.chatGen]![p] = [] }
        var fallback: [Int] = []
        var index = 0
        try forEachBatch(gen) { batch, states in
            for p in poolings { result[.chatGen]![p]! += pool(p, states: states, batch: batch, offsetFromEnd: 0) }
            for (i, g) in batch.enumerated() {
                let c = chat[index + i]
                let isPrefix = c.ids.count < g.ids.count && Array(g.ids.prefix(c.ids.count)) == c.ids
                for p in poolings {
                    let e = isPrefix ? pool(p, states: states, batch: [g], offsetFromEnd: g.ids.count - c.ids.count, only: i)[0]
                        : Embedding(vector: [], tokenCount: 0, truncated: false)
                    result[.chat]![p]!.append(e)
                }
                if !isPrefix { fallback.append(index + i) }
            }
            index += batch.count
        }
        if !fallback.isEmpty {
            let redo = try embedVariants(fallback.map { texts[$0] }, poolings: poolings, prompt: .chat)
            for p in poolings {
                for (k, i) in fallback.enumerated() { result[.chat]![p]![i] = redo[p]![k] }
            }
        }
        return result
    }

    /// Runs the model over `items` in batches of `batchSize`, in input order.
    private func forEachBatch(_ items: [TokenizedText], _ body: ([TokenizedText], LlamaModel.HiddenStates) throws -> Void) throws {
        var start = 0
        while start < items.count {
            let batch = Array(items[start..<min(items.count, start + batchSize)])
            let states = try model.forward(batch.map(\.ids))
            try body(batch, states)
            start += batch.count
        }
    }

    /// Pools each sequence (or only sequence `only`) of a pass as if it ended `offsetFromEnd` tokens early.
    private func pool(_ p: Pooling, states: LlamaModel.HiddenStates, batch: [TokenizedText], offsetFromEnd: Int,
                      only: Int? = nil) -> [Embedding] {
        let indices = only.map { [$0] } ?? Array(0..<states.lengths.count)
        let vectors = states.pooled(p, sequences: indices, upTo: indices.map { states.lengths[$0] - offsetFromEnd },
                                    head: model.logits)
        return zip(vectors, batch).map { v, t in
            Embedding(vector: v, tokenCount: t.ids.count - offsetFromEnd, truncated: t.truncated)
        }
    }
}

public struct LlamaEmbedderError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
    public var description: String { "Llama embedder: \(reason)" }
}
