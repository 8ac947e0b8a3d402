import BLAS
import Foundation
import Kernels
import SeededRandom

/// A learned map on a frozen model's embeddings: z = normalise(W·(x − μ)), or with a hidden layer
/// z = normalise(W2·relu(W1·(x − μ) + b1)).
///
/// μ, the mean of the training vectors, is subtracted first because a base LLM's pooled states share one large
/// common direction (every pair scores ~0.9 cosine); without it the map would spend its capacity removing it.
public struct ProjectionAdapter: Sendable, Equatable {
    public let shape: AdapterShape
    /// μ: subtracted from every input vector.
    public let center: [Float]
    /// All weights, laid out as `AdapterShape` describes.
    public var parameters: [Float]

    public init(shape: AdapterShape, center: [Float], parameters: [Float]) throws {
        guard shape.input > 0, shape.output > 0, shape.hidden >= 0 else {
            throw EmbedderError("adapter shape \(shape.input)→\(shape.hidden)→\(shape.output) has an empty layer")
        }
        guard center.count == shape.input else {
            throw EmbedderError("adapter centre has \(center.count) values for \(shape.input) inputs")
        }
        guard parameters.count == shape.parameterCount else {
            throw EmbedderError("adapter has \(parameters.count) parameters; its shape needs \(shape.parameterCount)")
        }
        guard parameters.allSatisfy(\.isFinite), center.allSatisfy(\.isFinite) else {
            throw EmbedderError("adapter parameters are not all finite")
        }
        self.shape = shape
        self.center = center
        self.parameters = parameters
    }

    /// The starting point of training. A square linear adapter starts as the identity, so training begins from the
    /// (centred) base model rather than from noise; other layers start from seeded Gaussians scaled to keep vector
    /// lengths (He initialisation before the ReLU).
    public static func initial(shape: AdapterShape, center: [Float], seed: UInt64) throws -> ProjectionAdapter {
        var generator = SplitMix64(seed: seed)
        var parameters = [Float](repeating: 0, count: shape.parameterCount)
        if shape.isLinear && shape.input == shape.output {
            for i in 0..<shape.input { parameters[i * shape.input + i] = 1 }
        } else {
            let firstScale = shape.isLinear ? (1 / Float(shape.input)).squareRoot() : (2 / Float(shape.input)).squareRoot()
            for i in shape.w1Range { parameters[i] = generator.gaussian() * firstScale }
            let secondScale = (1 / Float(max(shape.hidden, 1))).squareRoot()
            for i in shape.w2Range { parameters[i] = generator.gaussian() * secondScale }
        }
        return try ProjectionAdapter(shape: shape, center: center, parameters: parameters)
    }

    /// Adapted, unit-length vectors of `vectors` (each of `shape.input` values).
    public func apply(_ vectors: [[Float]], blas: BLAS) -> [[Float]] {
        guard !vectors.isEmpty else { return [] }
        return forward(Matrix(stacking: vectors, columns: shape.input), blas: blas).normalized.rowArrays
    }

    /// The intermediate values of one forward pass, kept for the backward pass.
    struct Forward {
        /// x − μ.
        var centered: Matrix
        /// W1·(x − μ) + b1 before the ReLU (two layers only).
        var preActivation: Matrix?
        /// relu(preActivation) (two layers only).
        var hidden: Matrix?
        /// Before normalisation.
        var output: Matrix
        /// |output| per row.
        var norms: [Float]
        var normalized: Matrix
    }

    func forward(_ x: Matrix, blas: BLAS) -> Forward {
        var centered = x
        for r in 0..<x.rows {
            for c in 0..<x.columns { centered.values[r * x.columns + c] -= center[c] }
        }
        let w1 = Matrix(rows: shape.firstRows, columns: shape.input, values: Array(parameters[shape.w1Range]))
        var first = Matrix.product(centered, w1, transposeB: true, blas: blas)
        var preActivation: Matrix?
        var hidden: Matrix?
        let output: Matrix
        if shape.isLinear {
            output = first
        } else {
            let bias = parameters[shape.b1Range]
            for r in 0..<first.rows {
                for (c, b) in bias.enumerated() { first.values[r * shape.hidden + c] += b }
            }
            preActivation = first
            var activated = first
            for i in activated.values.indices where activated.values[i] < 0 { activated.values[i] = 0 }
            hidden = activated
            let w2 = Matrix(rows: shape.output, columns: shape.hidden, values: Array(parameters[shape.w2Range]))
            output = Matrix.product(activated, w2, transposeB: true, blas: blas)
        }
        var norms = [Float](repeating: 0, count: output.rows)
        var normalized = output
        for r in 0..<output.rows {
            let (unit, norm) = Kernels.l2Normalized(Array(output.row(r)))
            // A zero output (possible after a ReLU) stays zero; the floor keeps the backward pass's division finite.
            norms[r] = max(Float(norm), 1e-12)
            normalized.values.replaceSubrange(r * output.columns..<(r + 1) * output.columns, with: unit)
        }
        return Forward(centered: centered, preActivation: preActivation, hidden: hidden, output: output, norms: norms,
                       normalized: normalized)
    }

    /// Gradient of a loss with respect to the parameters, given its gradient `dNormalized` with respect to the
    /// normalised outputs of `forward`.
    func backward(_ forward: Forward, dNormalized: Matrix, blas: BLAS) -> [Float] {
        // Through z = y / |y|: dL/dy = (dL/dz − z (z · dL/dz)) / |y|.
        var dOutput = dNormalized
        let columns = forward.output.columns
        for r in 0..<dOutput.rows {
            var dot: Float = 0
            for c in 0..<columns { dot += forward.normalized.values[r * columns + c] * dNormalized.values[r * columns + c] }
            for c in 0..<columns {
                let i = r * columns + c
                dOutput.values[i] = (dNormalized.values[i] - forward.normalized.values[i] * dot) / forward.norms[r]
            }
        }
        var gradient = [Float](repeating: 0, count: shape.parameterCount)
        if shape.isLinear {
            let dW = Matrix.product(dOutput, forward.centered, transposeA: true, blas: blas)
            gradient.replaceSubrange(shape.w1Range, with: dW.values)
            return gradient
        }
        let hidden = forward.hidden!, preActivation = forward.preActivation!
        let dW2 = Matrix.product(dOutput, hidden, transposeA: true, blas: blas)
        let w2 = Matrix(rows: shape.output, columns: shape.hidden, values: Array(parameters[shape.w2Range]))
        var dPre = Matrix.product(dOutput, w2, blas: blas)
        for i in dPre.values.indices where preActivation.values[i] <= 0 { dPre.values[i] = 0 }
        let dW1 = Matrix.product(dPre, forward.centered, transposeA: true, blas: blas)
        var dB1 = [Float](repeating: 0, count: shape.hidden)
        for r in 0..<dPre.rows {
            for c in 0..<shape.hidden { dB1[c] += dPre.values[r * shape.hidden + c] }
        }
        gradient.replaceSubrange(shape.w1Range, with: dW1.values)
        gradient.replaceSubrange(shape.b1Range, with: dB1)
        gradient.replaceSubrange(shape.w2Range, with: dW2.values)
        return gradient
    }
}
