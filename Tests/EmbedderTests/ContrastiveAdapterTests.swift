import BLAS
import Embedder
import TestSupport
import XCTest

/// The adapter's maths: the hand-written InfoNCE gradient against finite differences of an independent
/// double-precision loss, Adam against hand-computed steps, and training that learns, deterministically.
final class ContrastiveAdapterTests: XCTestCase {
    private func blas() throws -> BLAS { try BLAS.shared() }

    private func randomVectors(_ count: Int, _ dimensions: Int, _ generator: inout SplitMix64) -> [[Float]] {
        (0..<count).map { _ in (0..<dimensions).map { _ in generator.gaussian() } }
    }

    /// The loss written directly from its definition in Double, sharing no code with `InfoNCE`.
    private func referenceLoss(parameters: [Double], shape: AdapterShape, center: [Float], batch: ContrastiveBatch,
                               temperature: Double) -> Double {
        func map(_ x: [Float]) -> [Double] {
            let a = zip(x, center).map { Double($0) - Double($1) }
            func layer(_ offset: Int, rows: Int, columns: Int, _ input: [Double]) -> [Double] {
                (0..<rows).map { r in (0..<columns).reduce(0.0) { $0 + parameters[offset + r * columns + $1] * input[$1] } }
            }
            var y: [Double]
            if shape.hidden == 0 {
                y = layer(0, rows: shape.output, columns: shape.input, a)
            } else {
                let biasOffset = shape.hidden * shape.input
                let pre = layer(0, rows: shape.hidden, columns: shape.input, a)
                let h = pre.enumerated().map { max(0, $1 + parameters[biasOffset + $0]) }
                y = layer(biasOffset + shape.hidden, rows: shape.output, columns: shape.hidden, h)
            }
            let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return y.map { $0 / norm }
        }
        let q = batch.queries.map(map), d = batch.documents.map(map)
        let n = q.count, m = d.count
        func s(_ i: Int, _ j: Int) -> Double { zip(q[i], d[j]).reduce(0) { $0 + $1.0 * $1.1 } / temperature }
        func logSumExp(_ x: [Double]) -> Double { let top = x.max()!; return top + log(x.reduce(0) { $0 + exp($1 - top) }) }
        var loss = 0.0
        for i in 0..<n {
            let scores = (0..<m).filter { $0 == i || !batch.excluded[i * m + $0] }.map { s(i, $0) }
            loss += (logSumExp(scores) - s(i, i)) / Double(2 * n)
        }
        for j in 0..<n {
            let scores = (0..<n).filter { $0 == j || !batch.excluded[$0 * m + j] }.map { s($0, j) }
            loss += (logSumExp(scores) - s(j, j)) / Double(2 * n)
        }
        return loss
    }

    private func checkGradient(shape: AdapterShape) throws {
        var generator = SplitMix64(seed: 11)
        let center = (0..<shape.input).map { _ in generator.gaussian() * 0.1 }
        var parameters = [Float](repeating: 0, count: shape.parameterCount)
        for i in parameters.indices { parameters[i] = generator.gaussian() * 0.5 }
        let adapter = try ProjectionAdapter(shape: shape, center: center, parameters: parameters)
        // 4 queries, their 4 positives and 2 extra negatives; document 2 is also relevant to query 0, 5 to query 3, 0 to 1.
        var excluded = [Bool](repeating: false, count: 4 * 6)
        excluded[0 * 6 + 2] = true
        excluded[3 * 6 + 5] = true
        excluded[1 * 6 + 0] = true
        let batch = ContrastiveBatch(queries: randomVectors(4, shape.input, &generator),
                                     documents: randomVectors(6, shape.input, &generator), excluded: excluded)
        let temperature: Float = 0.5
        let (loss, gradient) = InfoNCE.lossAndGradient(adapter: adapter, batch: batch, temperature: temperature, blas: try blas())
        let doubles = parameters.map(Double.init)
        let reference = referenceLoss(parameters: doubles, shape: shape, center: center, batch: batch, temperature: Double(temperature))
        XCTAssertEqual(loss, reference, accuracy: 1e-5 * max(1, abs(reference)))
        let h = 1e-6
        var worst = 0.0
        for i in parameters.indices {
            var plus = doubles, minus = doubles
            plus[i] += h
            minus[i] -= h
            let numeric = (referenceLoss(parameters: plus, shape: shape, center: center, batch: batch, temperature: 0.5)
                - referenceLoss(parameters: minus, shape: shape, center: center, batch: batch, temperature: 0.5)) / (2 * h)
            worst = max(worst, abs(numeric - Double(gradient[i])))
            XCTAssertEqual(Double(gradient[i]), numeric, accuracy: 1e-4 + 1e-3 * abs(numeric), "parameter \(i)")
        }
        XCTAssertLessThan(worst, 1e-3)
        XCTAssertGreaterThan(gradient.map { abs($0) }.max()!, 1e-3, "a vanishing gradient would pass any comparison")
    }

    func testLinearGradientMatchesFiniteDifferences() throws {
        try checkGradient(shape: AdapterShape(input: 6, output: 4))
    }

    func testTwoLayerGradientMatchesFiniteDifferences() throws {
        try checkGradient(shape: AdapterShape(input: 6, hidden: 5, output: 4))
    }

    func testAdamStepsMatchHandComputedValues() {
        // Values from the update rule of Kingma & Ba (2015), Algorithm 1, worked in Python with lr 0.1.
        var optimizer = AdamOptimizer(parameterCount: 2, learningRate: 0.1)
        var parameters: [Float] = [1, -2]
        optimizer.update(&parameters, gradient: [0.5, -0.1])
        XCTAssertEqual(parameters[0], 0.900000002, accuracy: 1e-6)
        XCTAssertEqual(parameters[1], -1.90000001, accuracy: 1e-6)
        optimizer.update(&parameters, gradient: [0.2, 0.3])
        XCTAssertEqual(parameters[0], 0.8101424839, accuracy: 1e-6)
        XCTAssertEqual(parameters[1], -1.9494189911, accuracy: 1e-6)
    }

    func testSquareLinearAdapterStartsAsTheCentredIdentity() throws {
        let adapter = try ProjectionAdapter.initial(shape: AdapterShape(input: 3, output: 3), center: [1, 0, 0], seed: 5)
        let out = adapter.apply([[4, 0, 0], [1, 2, 2]], blas: try blas())
        XCTAssertEqual(out[0], [1, 0, 0])
        XCTAssertEqual(out[1][0], 0, accuracy: 1e-7)
        XCTAssertEqual(out[1][1], 0.70710678, accuracy: 1e-6)
        XCTAssertEqual(out[1][2], 0.70710678, accuracy: 1e-6)
    }

    /// A query and its document share a 6-dimensional signal; 10 more dimensions carry strong independent noise that
    /// swamps the frozen cosine. One map for both sides (as the adapter is) can learn to drop those dimensions.
    private func noisySet(seed: UInt64) throws -> ContrastiveTrainingSet {
        var generator = SplitMix64(seed: seed)
        var queries: [[Float]] = [], documents: [[Float]] = []
        for _ in 0..<300 {
            let signal = (0..<6).map { _ in generator.gaussian() }
            documents.append(signal + (0..<10).map { _ in 3 * generator.gaussian() })
            queries.append(signal.map { $0 + 0.1 * generator.gaussian() } + (0..<10).map { _ in 3 * generator.gaussian() })
        }
        return try ContrastiveTrainingSet(queries: queries, documents: documents, relevant: (0..<300).map { [$0] })
    }

    func testTrainingLearnsAndKeepsTheBestValidationEpoch() throws {
        var options = ContrastiveTrainingOptions()
        options.epochs = 30
        options.batchSize = 32
        options.learningRate = 1e-2
        options.temperature = 0.1
        options.validationFraction = 0.2
        let result = try ContrastiveTrainer.train(try noisySet(seed: 3), options: options, blas: try blas())
        let before = result.history[0].validationMRR
        let best = result.history[result.bestEpoch].validationMRR
        XCTAssertLessThan(before, 0.5)
        XCTAssertGreaterThan(best, 0.9, "history: \(result.history.map(\.validationMRR))")
        XCTAssertEqual(best, result.history.map(\.validationMRR).max())
        XCTAssertEqual(result.validationQueries, 60)
        XCTAssertEqual(result.trainingPairs, 240)
    }

    func testSameSeedSameAdapterOtherSeedOtherAdapter() throws {
        var options = ContrastiveTrainingOptions()
        options.epochs = 3
        options.hardNegatives = 2
        options.hiddenDimensions = 8
        let set = try noisySet(seed: 4)
        let first = try ContrastiveTrainer.train(set, options: options, blas: try blas())
        let second = try ContrastiveTrainer.train(set, options: options, blas: try blas())
        XCTAssertEqual(first.adapter, second.adapter)
        XCTAssertEqual(first.history.map(\.loss), second.history.map(\.loss))
        options.seed = 2
        let other = try ContrastiveTrainer.train(set, options: options, blas: try blas())
        XCTAssertNotEqual(first.adapter.parameters, other.adapter.parameters)
    }

    func testHardNegativesAreTheBestScoringNonRelevantDocuments() throws {
        let set = try ContrastiveTrainingSet(
            queries: [[1, 0], [0, 1]],
            documents: [[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1], [0.1, 0.9]],
            relevant: [[0, 2], [3]])
        let mined = ContrastiveTrainer.mineHardNegatives(set, queries: [0, 1], count: 2, relevant: set.relevant.map(Set.init),
                                                         blas: try blas())
        XCTAssertEqual(mined[0], [1, 4])
        XCTAssertEqual(mined[1], [4, 2])
        // A ranking given with the set (the database's search) is used instead of an exact scan.
        let ranked = try ContrastiveTrainingSet(queries: set.queries, documents: set.documents, relevant: set.relevant,
                                                ranked: [[0, 4, 3, 1], [3, 0, 1]])
        let fromRanking = ContrastiveTrainer.mineHardNegatives(ranked, queries: [0, 1], count: 2,
                                                               relevant: set.relevant.map(Set.init), blas: try blas())
        XCTAssertEqual(fromRanking[0], [4, 3])
        XCTAssertEqual(fromRanking[1], [0, 1])
    }

    func testBadAdaptersAreRefused() {
        XCTAssertThrowsError(try ProjectionAdapter(shape: AdapterShape(input: 2, output: 2), center: [0], parameters: [1, 0, 0, 1]))
        XCTAssertThrowsError(try ProjectionAdapter(shape: AdapterShape(input: 2, output: 2), center: [0, 0], parameters: [1, 0, 0]))
        XCTAssertThrowsError(try ProjectionAdapter(shape: AdapterShape(input: 2, output: 2), center: [0, 0], parameters: [1, .nan, 0, 1]))
        XCTAssertThrowsError(try ContrastiveTrainingSet(queries: [[1, 0]], documents: [[1, 0]], relevant: [[1]]))
    }
}
