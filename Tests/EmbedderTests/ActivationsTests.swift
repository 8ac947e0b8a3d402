import Embedder
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ActivationsTests: XCTestCase {
    func testVectorisedErfWithin1e6OfGlibc() {
        let xs = (0...1_200_000).map { -6 + Float($0) * 1e-5 } + [0, -0, 1e-30, -1e-30, 20, -20, 1e10, -1e10]
        let ours = Activations.erf(xs)
        var worst: Double = 0, worstAt: Float = 0
        for (x, y) in zip(xs, ours) {
            let error = abs(Double(y) - Glibc.erf(Double(x)))
            if error > worst { (worst, worstAt) = (error, x) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-6, "max |erf error| \(worst) at x = \(worstAt)")
        XCTAssertEqual(Activations.erf([Float.infinity, -Float.infinity]), [1, -1])
    }

    func testVectorisedExpWithin1e6RelativeOfGlibc() {
        let xs = (0...1_000_000).map { -80 + Float($0) * 1.68e-4 } + [0, -0, 1, -1, 88, -87]
        let ours = Activations.exp(xs)
        var worst: Double = 0, worstAt: Float = 0
        for (x, y) in zip(xs, ours) {
            let exact = Glibc.exp(Double(x))
            let error = abs(Double(y) - exact) / exact
            if error > worst { (worst, worstAt) = (error, x) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-6, "max relative exp error \(worst) at x = \(worstAt)")
        XCTAssertEqual(Activations.exp([0])[0], 1)
        // Far below the range the result is (almost) zero, never garbage from exponent wrap-around.
        XCTAssertLessThan(Activations.exp([-1000])[0], 1e-37)
        XCTAssertGreaterThanOrEqual(Activations.exp([-1000])[0], 0)
    }

    func testGELUMatchesErfDefinition() {
        var row: [Float] = (0..<37).map { Float($0 - 18) * 0.37 + 0.25 }  // 37: exercises the scalar tail too
        let inputs = row.map(Double.init)
        row.withUnsafeMutableBufferPointer { Activations.gelu($0.baseAddress!, count: $0.count) }
        for (v, g) in zip(inputs, row) {
            XCTAssertEqual(Double(g), 0.5 * v * (1 + Glibc.erf(v / 2.0.squareRoot())), accuracy: 2e-6)
        }
    }

    func testLayerNormAndSoftmax() {
        let n = 45
        var row: [Float] = (0..<n).map { sin(Float($0)) * 3 + 1 }
        let residual: [Float] = (0..<n).map { cos(Float($0)) }
        let gamma: [Float] = (0..<n).map { 1 + Float($0) / 100 }
        let beta: [Float] = (0..<n).map { Float($0) / 50 }
        let summed = zip(row, residual).map { Double($0 + $1) }
        let mean = summed.reduce(0, +) / Double(n)
        let variance = summed.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        row.withUnsafeMutableBufferPointer { r in
            Activations.layerNorm(r.baseAddress!, adding: residual, bias: nil, gamma: gamma, beta: beta, count: n, epsilon: 1e-12)
        }
        for i in 0..<n {
            let expected = (summed[i] - mean) / variance.squareRoot() * Double(gamma[i]) + Double(beta[i])
            XCTAssertEqual(Double(row[i]), expected, accuracy: 1e-5)
        }

        var scores: [Float] = (0..<21).map { Float($0) * 7 - 50 }
        let exact = scores.map { Glibc.exp(Double($0) - 90) }
        let total = exact.reduce(0, +)
        scores.withUnsafeMutableBufferPointer { Activations.softmax($0.baseAddress!, count: $0.count) }
        for (p, e) in zip(scores, exact) { XCTAssertEqual(Double(p), e / total, accuracy: 1e-6) }
    }
}
