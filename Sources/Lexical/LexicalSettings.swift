/// How a lexical space turns text into terms and scores them: stored with the space, so that every document of it
/// is analysed alike and a query analysed another way is refused.
public struct LexicalSettings: Codable, Sendable, Equatable, CustomStringConvertible {
    public var stemmer: Stemmer
    public var stopwords: StopwordList
    /// BM25's term-frequency saturation.
    public var k1: Double
    /// BM25's length normalisation: 0 ignores document length, 1 divides by it fully.
    public var b: Double

    public init(stemmer: Stemmer = .porter, stopwords: StopwordList = .english, k1: Double = 0.9, b: Double = 0.4) {
        self.stemmer = stemmer
        self.stopwords = stopwords
        self.k1 = k1
        self.b = b
    }

    /// Anserini's BEIR baseline (Porter stemmer, Lucene's English stopwords, k1 0.9, b 0.4): the published BM25
    /// figures of BEIR's "BM25 flat" runs use these.
    public static let anserini = LexicalSettings()

    public var analyzer: Analyzer { Analyzer(stemmer: stemmer, stopwords: stopwords) }

    public var description: String {
        "stemmer \(stemmer.rawValue), stopwords \(stopwords.rawValue), k1 \(k1), b \(b)"
    }

    /// Refuses settings BM25 is undefined for.
    public func validated() throws(LexicalError) -> LexicalSettings {
        guard k1.isFinite, k1 >= 0 else { throw .invalidSetting("k1 must be a finite number ≥ 0, not \(k1)") }
        guard b.isFinite, (0...1).contains(b) else { throw .invalidSetting("b must be between 0 and 1, not \(b)") }
        return self
    }
}

/// Settings a lexical space cannot use.
public enum LexicalError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(String)

    public var description: String {
        switch self {
        case .invalidSetting(let detail): return detail
        }
    }
}
