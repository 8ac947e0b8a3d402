import Kernels

/// Top-k retrieval over term postings by MaxScore (Turtle & Flood, "Query evaluation: strategies and
/// optimizations", IP&M 1995) in windows of document ids, the way Lucene 9.9+ scores disjunctions
/// (`MaxScoreBulkScorer`): a dynamic-pruning algorithm whose cost follows the postings that can still reach the top
/// k, not all postings of the query's terms.
///
/// Terms are ordered by their score bound. Once k documents are held, the longest prefix of that order whose
/// bounds sum below the k-th score is *non-essential*: a document holding only those terms cannot enter the top k,
/// so those postings are never read in sequence. Per window of `windowSize` ids, the *essential* terms' postings are
/// summed into a dense array (term at a time, the cheap inner loop); then each document found there, in id order,
/// takes the non-essential terms' scores, from the largest bound down, by skipping their cursors to it, and stops
/// as soon as even the remaining bounds cannot lift it to the k-th score. The next window starts at the next
/// document of an essential term, so windows with none are skipped whole.
///
/// The result is exactly the exhaustive top k: a document is dropped only when its bound, padded against rounding,
/// is below the k-th score, ties go to the lower document id, and ranking is on scores rounded to `Float`, so
/// that the order in which a document's term scores were summed cannot reorder equal documents.
public enum MaxScore {
    /// Documents per window: the dense accumulator (32 KiB of doubles) stays in L1/L2.
    public static let windowSize: UInt64 = 4096

    /// Bounds are padded by this relative margin before a document is dropped: more than a float's half ulp, so a
    /// document whose rounded score would tie the k-th is still scored.
    @usableFromInline static let slack = 1 + 1e-6

    /// The `k` highest-scoring documents accepted by `accept`, best first; a term's score in a document is its weight
    /// times the posting's impact, which `QueryTerm.upperBound` must bound.
    ///
    /// `floor`, when given, must be at most the k-th best score: pruning then starts at once instead of after k
    /// documents are held. Scores add up non-negative term scores, so the k-th largest score of any single term
    /// is such a floor (without a filter: a filter may reject those documents).
    @inlinable
    public static func topK<Cursor: PostingCursor>(
        _ terms: [QueryTerm<Cursor>], k: Int, floor: Double = -.infinity, accept: ((UInt64) -> Bool)? = nil
    ) throws -> [(document: UInt64, score: Float)] {
        guard k > 0, !terms.isEmpty else { return [] }
        var best = TopK<Float>(k: k)
        // Ascending bound: the non-essential terms are always a prefix.
        let sorted = terms.sorted { $0.upperBound < $1.upperBound }
        let cursors = sorted.map(\.cursor), weights = sorted.map(\.weight)
        var prefixBound = [Double](repeating: 0, count: sorted.count + 1)
        for (position, term) in sorted.enumerated() { prefixBound[position + 1] = prefixBound[position] + term.upperBound }
        var scoreStorage = [Double](repeating: 0, count: Int(windowSize))
        var touchedStorage = [UInt64](repeating: 0, count: Int(windowSize) / 64)

        var windowStart = cursors.map(\.document).min()!
        try scoreStorage.withUnsafeMutableBufferPointer { scores in
            try touchedStorage.withUnsafeMutableBufferPointer { touched in
                while windowStart != endOfPostings {
                    let threshold = best.isFull ? max(floor, Double(best.minimum)) : floor
                    // Non-essential: sorted[0..<essentialStart], their bounds summing below the threshold.
                    var essentialStart = 0
                    while essentialStart < sorted.count && prefixBound[essentialStart + 1] * slack < threshold { essentialStart += 1 }
                    if essentialStart == sorted.count { break }  // no document left can reach the top k
                    let windowEnd = windowStart &+ windowSize < windowStart ? endOfPostings : windowStart + windowSize

                    // Essential terms, term at a time, into the window's accumulator.
                    for position in essentialStart..<sorted.count {
                        let cursor = cursors[position], weight = weights[position]
                        try cursor.advance(to: windowStart)
                        try cursor.forEach(below: windowEnd) { document, impact in
                            let slot = Int(truncatingIfNeeded: document &- windowStart)
                            touched[slot >> 6] |= 1 << UInt64(slot & 63)
                            scores[slot] += weight * impact
                        }
                    }

                    // Each document found, in id order: the non-essential terms' scores while they can still matter.
                    for word in 0..<touched.count where touched[word] != 0 {
                        var bits = touched[word]
                        touched[word] = 0
                        while bits != 0 {
                            let slot = word << 6 | bits.trailingZeroBitCount
                            bits &= bits - 1
                            var score = scores[slot]
                            scores[slot] = 0
                            let document = windowStart + UInt64(slot)
                            if let accept, !accept(document) { continue }
                            let kth = best.isFull ? max(floor, Double(best.minimum)) : floor
                            var position = essentialStart
                            var competitive = (score + prefixBound[position]) * slack >= kth
                            while competitive && position > 0 {
                                position -= 1
                                let cursor = cursors[position]
                                try cursor.advance(to: document)
                                if cursor.document == document { score += weights[position] * cursor.impact }
                                competitive = (score + prefixBound[position]) * slack >= kth
                            }
                            if competitive { best.offer(id: document, score: Float(score)) }
                        }
                    }

                    // The next window opens at the next document of an essential term.
                    var next = endOfPostings
                    for position in essentialStart..<sorted.count { next = min(next, cursors[position].document) }
                    windowStart = next
                }
            }
        }
        return best.sorted().map { (document: $0.id, score: $0.score) }
    }

    /// Scores every posting of every term: what `topK` must equal, for tests and for `--exact`.
    public static func exhaustiveTopK<Cursor: PostingCursor>(
        _ terms: [QueryTerm<Cursor>], k: Int, accept: ((UInt64) -> Bool)? = nil
    ) throws -> [(document: UInt64, score: Float)] {
        var totals: [UInt64: Double] = [:]
        for term in terms {
            while term.cursor.document != endOfPostings {
                totals[term.cursor.document, default: 0] += term.weight * term.cursor.impact
                try term.cursor.next()
            }
        }
        var best = TopK<Float>(k: k)
        for (document, score) in totals where accept?(document) ?? true { best.offer(id: document, score: Float(score)) }
        return best.sorted().map { (document: $0.id, score: $0.score) }
    }
}
