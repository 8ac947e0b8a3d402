import Embedder
import Index
import Lexical

/// One vector space over the documents: which model made its vectors, and how; or, for a lexical collection (BM25),
/// how its terms are found and scored.
///
/// Stored as JSON under its name in the `collections` database. Two ingests may add to the same collection only
/// when they embed identically, so the model's weights hash and settings are part of it.
public struct VectorCollection: Codable, Sendable, Equatable {
    /// Number used in `vectors` keys.
    public var id: UInt32
    /// The name queries use (`--collection`), by default the model's name.
    public var name: String
    /// The model as given when the collection was made: a catalogue name or a path.
    public var model: String
    /// sha256 of the model's weights file (for another precision than f32, of its hex and "@PRECISION").
    public var weightsSHA256: String
    /// Vector length.
    public var dimensions: Int
    /// How token states become one vector, e.g. "mean".
    public var pooling: String
    /// How text is wrapped before tokenising, e.g. "raw".
    public var prompt: String
    /// Tokens read per text, special tokens included.
    public var maxTokens: Int
    /// Similarity of stored vectors: "cosine" (unit vectors, compared by dot product), "dot", "euclid"
    /// (`Index.Metric`), or "bm25" for a lexical collection.
    public var metric: String
    /// Documents with a vector in this collection.
    public var count: Int
    /// The HNSW index's parameters, or nil for a collection searched by exact scan only (e.g. 49,152-dimensional
    /// logits).
    public var index: HNSWParameters?
    /// A lexical collection's analyzer and BM25 settings; nil for a vector collection. A lexical collection's
    /// `vectors` entries hold each member document's length in terms; its postings are in `postings`.
    public var lexical: LexicalSettings?
    /// A lexical collection's total length in terms (BM25's average length is this over `count`).
    public var termCount: Int?
    /// The arithmetic of the model's linear layers when it was not f32 (bf16, int8); nil for f32, and for records
    /// written before precisions were recorded (which are all f32).
    public var precision: Precision? = nil

    public var isLexical: Bool { lexical != nil }

    /// How a vector collection compares vectors (cosine for a lexical one, which has none).
    public var vectorMetric: Metric { Metric(rawValue: metric) ?? .cosine }
}
