/// Which stemmer reduces terms.
///
/// The raw values are stable: they are what an index records, so that a query is analysed the way its documents were.
public enum Stemmer: String, Codable, Sendable, CaseIterable {
    /// Terms stay as the tokeniser and case folding left them.
    case none
    /// The original Porter (1980) algorithm, exactly as Snowball's `porter` stemmer (PyStemmer's `"porter"`) runs it;
    /// see `PorterStemmer`.
    case porter
}
