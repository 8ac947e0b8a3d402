import BLAS
import Foundation
import SeededRandom

/// What to learn from: frozen-model vectors of queries and documents, and which documents answer which query.
public struct ContrastiveTrainingSet: Sendable {
    public var queries: [[Float]]
    /// Every candidate document: the positives, and for validation and hard-negative mining the rest of the corpus.
    public var documents: [[Float]]
    /// For each query, the indices of its relevant documents.
    public var relevant: [[Int]]
    /// For each query, documents ranked best first by the frozen model (e.g. by the database's index), to draw hard
    /// negatives from; nil to rank all documents exactly when hard negatives are asked for.
    public var ranked: [[Int]]?

    public init(queries: [[Float]], documents: [[Float]], relevant: [[Int]], ranked: [[Int]]? = nil) throws {
        guard let dimensions = queries.first?.count, !documents.isEmpty else {
            throw EmbedderError("training needs at least one query and one document")
        }
        guard queries.allSatisfy({ $0.count == dimensions }), documents.allSatisfy({ $0.count == dimensions }) else {
            throw EmbedderError("training vectors differ in length")
        }
        guard relevant.count == queries.count,
              relevant.allSatisfy({ !$0.isEmpty && $0.allSatisfy { documents.indices.contains($0) } }) else {
            throw EmbedderError("every training query needs at least one relevant document among the documents")
        }
        self.queries = queries
        self.documents = documents
        guard ranked.map({ $0.count == queries.count && $0.allSatisfy { $0.allSatisfy(documents.indices.contains) } }) ?? true else {
            throw EmbedderError("a ranking per query, of document indices, is needed for hard negatives")
        }
        self.relevant = relevant
        self.ranked = ranked
    }

    public var dimensions: Int { queries[0].count }
}

/// Hyperparameters of `ContrastiveTrainer.train`.
public struct ContrastiveTrainingOptions: Codable, Sendable, Equatable {
    /// Adapted dimensions; nil keeps the input's.
    public var outputDimensions: Int?
    /// Hidden layer width; 0 for a linear adapter.
    public var hiddenDimensions = 0
    public var epochs = 40
    /// Pairs per batch: each pair's document is a negative for every other query of the batch.
    public var batchSize = 64
    /// τ in the InfoNCE softmax.
    public var temperature: Float = 0.05
    public var learningRate: Float = 1e-3
    public var seed: UInt64 = 1
    /// Share of the queries held out to choose the epoch (by validation MRR@10) and stop early.
    public var validationFraction = 0.1
    /// Epochs without a better validation MRR@10 before stopping.
    public var patience = 5
    /// Per query, this many of its highest-scoring non-relevant documents under the frozen model join its batch as
    /// extra negatives.
    public var hardNegatives = 0

    public init() {}
}

/// One epoch's numbers, reported as training goes and stored with the adapter.
public struct EpochReport: Codable, Sendable, Equatable {
    /// 0 is the starting point (the centred identity map for a square linear adapter), before any update.
    public var epoch: Int
    /// Mean training loss over the epoch's batches (0 for epoch 0).
    public var loss: Double
    /// MRR@10 of the held-out queries against all documents.
    public var validationMRR: Double
    public var seconds: Double
}

/// The outcome: the adapter of the best validation epoch and how training went.
public struct ContrastiveTrainingResult: Sendable {
    public var adapter: ProjectionAdapter
    public var history: [EpochReport]
    public var bestEpoch: Int
    public var trainingQueries: Int
    public var validationQueries: Int
    public var trainingPairs: Int
}

/// Trains a `ProjectionAdapter` with symmetric InfoNCE and Adam on a held-out split, keeping the best epoch.
///
/// Deterministic for a given seed: every shuffle comes from SplitMix64 and nothing iterates a Set or Dictionary.
public enum ContrastiveTrainer {
    public static func train(_ set: ContrastiveTrainingSet, options: ContrastiveTrainingOptions, blas: BLAS,
                             progress: (EpochReport) -> Void = { _ in }) throws -> ContrastiveTrainingResult {
        guard options.batchSize >= 2 else { throw EmbedderError("--batch must be at least 2: InfoNCE needs in-batch negatives") }
        guard options.temperature > 0, options.learningRate > 0, options.epochs >= 1 else {
            throw EmbedderError("temperature, learning rate and epochs must be positive")
        }
        guard (0..<1).contains(options.validationFraction) else { throw EmbedderError("validation fraction must be in [0, 1)") }
        var generator = SplitMix64(seed: options.seed)

        var order = Array(set.queries.indices)
        order.shuffle(using: &generator)
        let validationCount = options.validationFraction > 0 && set.queries.count > 1
            ? min(max(1, Int((Double(set.queries.count) * options.validationFraction).rounded())), set.queries.count - 1) : 0
        let validation = Array(order.prefix(validationCount)).sorted()
        let training = Array(order.dropFirst(validationCount)).sorted()
        let relevantSets = set.relevant.map(Set.init)
        let pairs = training.flatMap { q in set.relevant[q].map { (query: q, document: $0) } }

        // μ from the training side only, so validation stays unseen.
        let trainingDocuments = Set(pairs.map(\.document)).sorted()
        var center = [Float](repeating: 0, count: set.dimensions)
        for vector in training.map({ set.queries[$0] }) + trainingDocuments.map({ set.documents[$0] }) {
            for i in center.indices { center[i] += vector[i] }
        }
        let count = Float(training.count + trainingDocuments.count)
        for i in center.indices { center[i] /= count }

        let shape = AdapterShape(input: set.dimensions, hidden: options.hiddenDimensions,
                                 output: options.outputDimensions ?? set.dimensions)
        var adapter = try ProjectionAdapter.initial(shape: shape, center: center, seed: generator.next())
        let hardNegatives = options.hardNegatives > 0
            ? mineHardNegatives(set, queries: training, count: options.hardNegatives, relevant: relevantSets, blas: blas) : [:]

        func validationMRR(_ adapter: ProjectionAdapter) -> Double {
            guard !validation.isEmpty else { return 0 }
            let queries = adapter.forward(Matrix(stacking: validation.map { set.queries[$0] }, columns: shape.input), blas: blas)
            let documents = adapter.forward(Matrix(stacking: set.documents, columns: shape.input), blas: blas)
            let scores = Matrix.product(queries.normalized, documents.normalized, transposeB: true, blas: blas)
            var total = 0.0
            for (row, q) in validation.enumerated() {
                let ranked = topIndices(scores.row(row), count: 10)
                if let rank = ranked.firstIndex(where: { relevantSets[q].contains($0) }) { total += 1 / Double(rank + 1) }
            }
            return total / Double(validation.count)
        }

        var history = [EpochReport(epoch: 0, loss: 0, validationMRR: validationMRR(adapter), seconds: 0)]
        progress(history[0])
        var best = (epoch: 0, mrr: history[0].validationMRR, adapter: adapter)
        var optimizer = AdamOptimizer(parameterCount: shape.parameterCount, learningRate: options.learningRate)
        var shuffled = pairs
        for epoch in 1...options.epochs {
            let started = Date()
            shuffled.shuffle(using: &generator)
            var lossSum = 0.0
            var batches = 0
            for start in stride(from: 0, to: shuffled.count, by: options.batchSize) {
                let members = shuffled[start..<min(start + options.batchSize, shuffled.count)]
                guard members.count >= 2 else { continue }
                var documentIndices = members.map(\.document)
                for member in members { documentIndices += hardNegatives[member.query] ?? [] }
                var excluded = [Bool](repeating: false, count: members.count * documentIndices.count)
                for (i, member) in members.enumerated() {
                    for (j, document) in documentIndices.enumerated() where j != i && relevantSets[member.query].contains(document) {
                        excluded[i * documentIndices.count + j] = true
                    }
                }
                let batch = ContrastiveBatch(queries: members.map { set.queries[$0.query] },
                                             documents: documentIndices.map { set.documents[$0] }, excluded: excluded)
                let (loss, gradient) = InfoNCE.lossAndGradient(adapter: adapter, batch: batch,
                                                               temperature: options.temperature, blas: blas)
                optimizer.update(&adapter.parameters, gradient: gradient)
                lossSum += loss
                batches += 1
            }
            guard adapter.parameters.allSatisfy(\.isFinite) else {
                throw EmbedderError("training diverged at epoch \(epoch) (non-finite weights); lower --lr")
            }
            let report = EpochReport(epoch: epoch, loss: batches > 0 ? lossSum / Double(batches) : 0,
                                     validationMRR: validationMRR(adapter), seconds: Date().timeIntervalSince(started))
            history.append(report)
            progress(report)
            if validation.isEmpty || report.validationMRR > best.mrr {
                best = (epoch, report.validationMRR, adapter)
            } else if epoch - best.epoch >= options.patience {
                break
            }
        }
        return ContrastiveTrainingResult(
            adapter: best.adapter, history: history, bestEpoch: best.epoch, trainingQueries: training.count,
            validationQueries: validation.count, trainingPairs: pairs.count)
    }

    /// Per training query, its `count` best-ranked non-relevant documents under the frozen vectors: from
    /// `set.ranked` when given, else by exact search.
    public static func mineHardNegatives(_ set: ContrastiveTrainingSet, queries: [Int], count: Int, relevant: [Set<Int>],
                                         blas: BLAS) -> [Int: [Int]] {
        if let ranked = set.ranked {
            return Dictionary(uniqueKeysWithValues: queries.map { q in (q, Array(ranked[q].filter { !relevant[q].contains($0) }.prefix(count))) })
        }
        let documents = Matrix(stacking: set.documents, columns: set.dimensions)
        var mined: [Int: [Int]] = [:]
        for start in stride(from: 0, to: queries.count, by: 256) {
            let block = Array(queries[start..<min(start + 256, queries.count)])
            let scores = Matrix.product(Matrix(stacking: block.map { set.queries[$0] }, columns: set.dimensions),
                                        documents, transposeB: true, blas: blas)
            for (row, q) in block.enumerated() {
                let ranked = topIndices(scores.row(row), count: count + relevant[q].count)
                mined[q] = Array(ranked.filter { !relevant[q].contains($0) }.prefix(count))
            }
        }
        return mined
    }

    /// Indices of the `count` largest values, largest first; ties go to the lower index.
    static func topIndices(_ values: ArraySlice<Float>, count: Int) -> [Int] {
        let base = values.startIndex
        return values.indices.sorted { a, b in values[a] != values[b] ? values[a] > values[b] : a < b }
            .prefix(count).map { $0 - base }
    }
}
