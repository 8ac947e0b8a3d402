/// A position in one term's postings, in ascending document order, as `MaxScore` walks them. The storage layer
/// provides the implementation (postings in LMDB blocks); tests provide in-memory ones.
public protocol PostingCursor: AnyObject {
    /// The current posting's document, or `endOfPostings` once past the last one.
    var document: UInt64 { get }
    /// The current posting's score per unit of term weight (`BM25.impact`: from the term's count in the document and
    /// the document's length).
    var impact: Double { get }
    /// Moves to the next posting.
    func next() throws
    /// Moves to the first posting whose document is at least `target` (no move when already there); may skip
    /// whole blocks without reading them.
    func advance(to target: UInt64) throws
    /// Calls `body` with every posting from the current one up to (not including) document `end`, and stops at the
    /// first posting at or past `end`: the inner loop of a scorer, which an implementation runs over its decoded
    /// block directly.
    func forEach(below end: UInt64, _ body: (_ document: UInt64, _ impact: Double) -> Void) throws
}

extension PostingCursor {
    public func forEach(below end: UInt64, _ body: (_ document: UInt64, _ impact: Double) -> Void) throws {
        while document < end {
            body(document, impact)
            try next()
        }
    }
}

/// The document a `PostingCursor` reports once past its last posting.
public let endOfPostings = UInt64.max

/// One query term ready to be matched: its cursor, its weight and a bound on what it can add to any score.
@frozen
public struct QueryTerm<Cursor: PostingCursor> {
    public let cursor: Cursor
    /// ln(1 + (N − df + 0.5)/(df + 0.5)) times the term's count in the query (a repeated query term counts as often
    /// as it is written, as Lucene's boolean query of its clauses does).
    public let weight: Double
    /// At least the term's score (weight × impact) in every document it occurs in.
    public let upperBound: Double

    @inlinable
    public init(cursor: Cursor, weight: Double, upperBound: Double) {
        self.cursor = cursor
        self.weight = weight
        self.upperBound = upperBound
    }
}
