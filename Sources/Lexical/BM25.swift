import Foundation

/// BM25 as Lucene defines it (`BM25Similarity` since Lucene 8, which Anserini's BEIR runs use): a term of a query
/// scores a document
///
///     idf · tf / (tf + k1 · (1 − b + b · dl / avgdl)),   idf = ln(1 + (N − df + 0.5) / (df + 0.5))
///
/// where tf is the term's count in the document, dl the document's length in terms, avgdl the mean length, N the
/// number of documents and df the number holding the term. Lucene dropped the classic (k1 + 1) factor, which
/// scales every score alike and changes no ranking. Lengths are exact (Lucene stores them in one lossy byte).
@frozen
public struct BM25: Sendable {
    public let k1: Double
    public let b: Double
    public let documentCount: Int
    public let averageLength: Double

    /// Scoring over `documentCount` documents of `totalLength` terms in all.
    public init(settings: LexicalSettings, documentCount: Int, totalLength: Int) {
        k1 = settings.k1
        b = settings.b
        self.documentCount = documentCount
        averageLength = documentCount > 0 ? Double(totalLength) / Double(documentCount) : 0
    }

    /// Never negative, unlike the classic Robertson–Spärck Jones idf, which goes below zero for terms in more than
    /// half the documents.
    public func idf(documentFrequency df: Int) -> Double {
        log(1 + (Double(documentCount - df) + 0.5) / (Double(df) + 0.5))
    }

    /// A posting's score per unit of term weight, tf / (tf + k1 · (1 − b + b · dl / avgdl)): what a posting list can
    /// store once per snapshot, so that a query multiplies instead of dividing. It grows with tf and falls with dl, so
    /// a list's largest frequency with its smallest length bounds every posting of it.
    @inlinable @inline(__always)
    public func impact(frequency tf: Int, length dl: Int) -> Double {
        let tf = Double(tf)
        // An empty collection has no mean length: with avgdl 0 every length is "average".
        let relativeLength = averageLength > 0 ? Double(dl) / averageLength : 1
        return tf / (tf + k1 * (1 - b + b * relativeLength))
    }

    /// One term's score in one document, for a term of weight `idf`.
    @inlinable @inline(__always)
    public func score(idf: Double, frequency tf: Int, length dl: Int) -> Double {
        idf * impact(frequency: tf, length: dl)
    }
}
