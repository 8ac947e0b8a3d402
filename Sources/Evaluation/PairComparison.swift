/// How well similarity separates matching from non-matching (question, answer) pairs, where question i is
/// answered by answer i: the seed article's experiment, measured.
public struct PairComparison: Sendable, Equatable {
    /// `similarities[i][j]`: cosine similarity of question i and answer j.
    public var similarities: [[Double]]
    /// Mean similarity of question i with answer i.
    public var meanMatching: Double
    /// Mean similarity of question i with answer j ≠ i (nil with a single pair).
    public var meanNonMatching: Double?
    /// `meanMatching − meanNonMatching`: near 0 when the model cannot tell relevant from irrelevant.
    public var gap: Double?
    /// Share of questions whose most similar answer is their own (a tie with another answer counts as a miss).
    public var top1Accuracy: Double
    /// Mean of 1 / rank of each question's own answer among all answers (rank = 1 + answers scoring strictly
    /// higher, so a tie does not push the own answer down).
    public var meanReciprocalRank: Double

    /// Summarises a square similarity matrix (questions × answers).
    public init(similarities: [[Double]]) {
        precondition(!similarities.isEmpty && similarities.allSatisfy { $0.count == similarities.count },
                     "a square, non-empty matrix is expected")
        self.similarities = similarities
        let n = similarities.count
        var matching = 0.0, nonMatching = 0.0, hits = 0, reciprocal = 0.0
        for i in 0..<n {
            let own = similarities[i][i]
            matching += own
            var higher = 0, tied = 0
            for j in 0..<n where j != i {
                nonMatching += similarities[i][j]
                if similarities[i][j] > own { higher += 1 } else if similarities[i][j] == own { tied += 1 }
            }
            if higher == 0 && tied == 0 { hits += 1 }
            reciprocal += 1 / Double(higher + 1)
        }
        let matchingMean = matching / Double(n)
        let nonMatchingMean = n > 1 ? nonMatching / Double(n * (n - 1)) : nil
        meanMatching = matchingMean
        meanNonMatching = nonMatchingMean
        gap = nonMatchingMean.map { matchingMean - $0 }
        top1Accuracy = Double(hits) / Double(n)
        meanReciprocalRank = reciprocal / Double(n)
    }

    /// Compares unit-length embeddings (cosine = dot product) of the questions and their answers.
    public init(questions: [[Float]], answers: [[Float]]) {
        precondition(questions.count == answers.count, "one answer per question is expected")
        self.init(similarities: questions.map { q in
            answers.map { a in Double(zip(q, a).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
        })
    }
}
