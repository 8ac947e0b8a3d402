import Kernels

/// How one vector is taken from a model's per-token states. The raw values are what databases store for a vector
/// space ("mean", "last", "logits"); they are part of the format and must not change.
public enum Pooling: String, Sendable, Hashable, CaseIterable, Codable {
    /// The last token's state after the model's final norm (Llama: `hidden` dimensions).
    case last
    /// A language model's head applied to that state: next-token logits (Llama: `vocab` dimensions).
    case logits
    /// The average over every token the model read, special and template tokens included (BERT: sentence-transformers'
    /// masked mean, over real tokens only).
    case mean
}

/// What a model reads for a text. The raw values are what databases store ("raw", "chat", "chat-gen"); they are part
/// of the format and must not change.
public enum Prompt: String, Sendable, Hashable, CaseIterable, Codable {
    /// The text alone (BERT: `[CLS] text [SEP]`; Llama: no special tokens).
    case raw
    /// The chat template applied to one user message (default system message), no generation prompt.
    case chat
    /// As `chat`, followed by the generation prompt (`<|im_start|>assistant\n`).
    case chatGen = "chat-gen"
}

/// Where one sequence's per-token states lie in a model's output: `count` rows of `dim` floats, `rowStride` floats
/// apart. Valid only while the buffer it points into is (pool inside that buffer's `withUnsafeBufferPointer`).
public struct TokenRows {
    public var start: UnsafePointer<Float>
    public var count: Int
    public var rowStride: Int
    public var dim: Int

    public init(start: UnsafePointer<Float>, count: Int, rowStride: Int, dim: Int) {
        precondition(count >= 1, "pooling needs at least one token")
        (self.start, self.count, self.rowStride, self.dim) = (start, count, rowStride, dim)
    }

    /// The last row, copied out.
    var last: [Float] { Array(UnsafeBufferPointer(start: start + (count - 1) * rowStride, count: dim)) }

    /// Σ of the rows, in Double.
    var sum: [Double] {
        var sum = [Double](repeating: 0, count: dim)
        for t in 0..<count {
            let row = start + t * rowStride
            for c in 0..<dim { sum[c] += Double(row[c]) }
        }
        return sum
    }
}

/// The pooling step of both model families: each family only says where its states are (and, for logits, what its
/// head is), and every vector leaves here L2-normalised.
extension Pooling {
    /// One unit vector per sequence. `head` maps last-token states to logits, one product for the whole batch (a
    /// language model's LM head); only `.logits` needs it. The mean is taken as a Double sum, never divided by the
    /// token count: normalising removes that factor, and dividing would only add a rounding.
    public func vectors(of sequences: [TokenRows], head: (([[Float]]) -> [[Float]])? = nil) -> [[Float]] {
        switch self {
        case .mean:
            return sequences.map { Kernels.l2Normalized($0.sum).vector }
        case .last:
            return sequences.map { Kernels.l2Normalized($0.last).vector }
        case .logits:
            guard let head else { preconditionFailure("logits pooling needs the model's head") }
            return head(sequences.map(\.last)).map { Kernels.l2Normalized($0).vector }
        }
    }
}
