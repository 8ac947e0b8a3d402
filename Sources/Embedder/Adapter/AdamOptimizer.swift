import Foundation

/// Adam (Kingma & Ba, 2015) with bias correction: per parameter, steps scaled by running estimates of the gradient's
/// first and second moments.
public struct AdamOptimizer: Sendable {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    private var firstMoment: [Float]
    private var secondMoment: [Float]
    /// Updates taken so far.
    public private(set) var step = 0

    public init(parameterCount: Int, learningRate: Float) {
        self.learningRate = learningRate
        firstMoment = [Float](repeating: 0, count: parameterCount)
        secondMoment = [Float](repeating: 0, count: parameterCount)
    }

    /// Moves `parameters` one step against `gradient`.
    public mutating func update(_ parameters: inout [Float], gradient: [Float]) {
        precondition(parameters.count == firstMoment.count && gradient.count == firstMoment.count, "parameter count changed")
        step += 1
        let correction1 = 1 - pow(beta1, Float(step))
        let correction2 = 1 - pow(beta2, Float(step))
        for i in parameters.indices {
            let g = gradient[i]
            firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g
            secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g
            let mHat = firstMoment[i] / correction1
            let vHat = secondMoment[i] / correction2
            parameters[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
        }
    }
}
