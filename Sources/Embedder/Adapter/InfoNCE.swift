import BLAS
import Foundation
import Kernels

/// One batch of symmetric InfoNCE: query i is answered by document i (i < queries.count); documents past that are
/// extra negatives (mined hard negatives) for the query → document direction only.
public struct ContrastiveBatch: Sendable {
    public var queries: [[Float]]
    public var documents: [[Float]]
    /// `excluded[i * documents.count + j]`: document j is relevant to query i (i ≠ j) and must not be treated as
    /// its negative in either direction — SciFact has claims with several relevant abstracts, and they meet in a batch.
    public var excluded: [Bool]

    public init(queries: [[Float]], documents: [[Float]], excluded: [Bool]) {
        precondition(documents.count >= queries.count && excluded.count == queries.count * documents.count,
                     "a batch needs a positive per query and a mask entry per query-document pair")
        self.queries = queries
        self.documents = documents
        self.excluded = excluded
    }
}

/// Symmetric InfoNCE over in-batch negatives (as in CLIP and the E5/GTE recipes): with s_ij = cos(q_i, d_j) / τ,
///   L = ½ · mean_i[−log softmax_j(s_i·)_i] + ½ · mean_j[−log softmax_i(s_·j)_j],
/// the first over every document of the batch, the second over the queries for each positive document, excluded
/// pairs left out of both softmaxes. The gradient is written by hand and checked against finite differences.
public enum InfoNCE {
    /// The loss and its gradient with respect to `adapter.parameters`.
    public static func lossAndGradient(adapter: ProjectionAdapter, batch: ContrastiveBatch, temperature: Float,
                                       blas: BLAS) -> (loss: Double, gradient: [Float]) {
        let n = batch.queries.count, m = batch.documents.count
        let queryPass = adapter.forward(Matrix(stacking: batch.queries, columns: adapter.shape.input), blas: blas)
        let documentPass = adapter.forward(Matrix(stacking: batch.documents, columns: adapter.shape.input), blas: blas)
        var scores = Matrix.product(queryPass.normalized, documentPass.normalized, transposeB: true, blas: blas)
        for i in scores.values.indices { scores.values[i] /= temperature }

        // dL/ds accumulated from both directions.
        var dScores = Matrix(rows: n, columns: m)
        var loss = 0.0
        let rowWeight = 1 / (2 * Float(n))
        for i in 0..<n {
            let allowed = (0..<m).filter { $0 == i || !batch.excluded[i * m + $0] }
            let (logZ, probabilities) = softmax(allowed.map { scores[i, $0] })
            loss += Double(logZ - scores[i, i]) / Double(2 * n)
            for (p, j) in zip(probabilities, allowed) { dScores[i, j] += rowWeight * p }
            dScores[i, i] -= rowWeight
        }
        for j in 0..<n {
            let allowed = (0..<n).filter { $0 == j || !batch.excluded[$0 * m + j] }
            let (logZ, probabilities) = softmax(allowed.map { scores[$0, j] })
            loss += Double(logZ - scores[j, j]) / Double(2 * n)
            for (p, i) in zip(probabilities, allowed) { dScores[i, j] += rowWeight * p }
            dScores[j, j] -= rowWeight
        }
        for i in dScores.values.indices { dScores.values[i] /= temperature }

        let dQueries = Matrix.product(dScores, documentPass.normalized, blas: blas)
        let dDocuments = Matrix.product(dScores, queryPass.normalized, transposeA: true, blas: blas)
        var gradient = adapter.backward(queryPass, dNormalized: dQueries, blas: blas)
        let documentGradient = adapter.backward(documentPass, dNormalized: dDocuments, blas: blas)
        for i in gradient.indices { gradient[i] += documentGradient[i] }
        return (loss, gradient)
    }

    /// log Σ exp(x) and the softmax of `x`.
    private static func softmax(_ x: [Float]) -> (logSum: Float, probabilities: [Float]) {
        var probabilities = x
        let logSum = Kernels.active.softmax(&probabilities)
        return (logSum, probabilities)
    }
}
