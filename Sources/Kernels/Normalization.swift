extension Kernels {
    /// `vector` scaled to unit length, and its Euclidean norm before scaling. The sum of squares and the scaling run in
    /// Double and each component is rounded to Float once, so a pooled sum of hundreds of token states (BERT's mean
    /// pooling hands over Double sums) loses nothing before the final rounding. A zero vector stays zero (norm 0);
    /// callers that must refuse it check the norm.
    ///
    /// Not a table kernel: it runs once per embedding, not per token.
    @inlinable
    public static func l2Normalized<Component: BinaryFloatingPoint>(_ vector: [Component]) -> (vector: [Float], norm: Double) {
        var squares: Double = 0
        for x in vector { squares += Double(x) * Double(x) }
        let norm = squares.squareRoot()
        let scale = norm > 0 ? 1 / norm : 0
        return (vector.map { Float(Double($0) * scale) }, norm)
    }
}
