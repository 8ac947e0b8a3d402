/// The token ids a model receives for one text, special tokens included, after truncation.
public struct TokenizedText: Sendable, Equatable {
    public var ids: [Int32]
    /// The vocabulary string of each id (for display; `ids` is what the model reads).
    public var tokens: [String]
    /// True when the text had more tokens than the model reads and was cut.
    public var truncated: Bool

    public init(ids: [Int32], tokens: [String], truncated: Bool) {
        self.ids = ids
        self.tokens = tokens
        self.truncated = truncated
    }
}

/// One text's embedding.
public struct Embedding: Sendable {
    /// Unit length (L2-normalised), so cosine similarity is a dot product.
    public var vector: [Float]
    /// Tokens the model read, special tokens included.
    public var tokenCount: Int
    /// True when the text was cut to the model's `maxTokens`.
    public var truncated: Bool

    public init(vector: [Float], tokenCount: Int, truncated: Bool) {
        self.vector = vector
        self.tokenCount = tokenCount
        self.truncated = truncated
    }
}

/// A text embedding model: tokenizer, forward pass and pooling behind one call.
///
/// Implementations are not thread-safe: they reuse scratch buffers between calls, and each call already
/// spreads its matrix products over OpenBLAS's threads.
public protocol EmbeddingModel: AnyObject {
    /// Length of every vector `embed` returns.
    var dimensions: Int { get }
    /// Most tokens the model reads per text, special tokens included; longer texts are truncated.
    var maxTokens: Int { get }
    /// The ids the model receives for `text`.
    func tokenize(_ text: String) throws -> TokenizedText
    /// Embeddings of `texts`, in input order.
    func embed(_ texts: [String]) throws -> [Embedding]
}
