import BLAS
import Foundation
import Kernels

/// A BERT encoder (Hugging Face `BertModel` layout), its linear layers at `precision` (`LinearWeights`: OpenBLAS or
/// vecdb's packed products); its token states are pooled by `Pooling`.
///
/// Sequences of a batch are packed back to back instead of padded to the longest one: every step except
/// attention treats tokens independently, so packing gives the same result as a padded batch with an
/// attention mask while computing nothing for padding. Attention then runs per (sequence, head) over that
/// sequence's own keys only — the mask, made structural.
///
/// Not thread-safe: scratch buffers are reused between calls (see `EmbeddingModel`).
public final class BertModel {
    /// The configuration, with `vocabSize` taken from the embedding table actually in the file.
    public private(set) var config: BertConfig
    /// The arithmetic of the linear layers.
    public let precision: Precision

    private struct Layer {
        /// Q, K and V weights stacked as one [3·hidden × hidden] matrix (PyTorch's [out × in] rows), so one
        /// sgemm produces all three projections.
        var qkvWeight: LinearWeights, qkvBias: FloatBuffer
        var outputWeight: LinearWeights, outputBias: FloatBuffer
        var attentionNormWeight: FloatBuffer, attentionNormBias: FloatBuffer
        var upWeight: LinearWeights, upBias: FloatBuffer
        var downWeight: LinearWeights, downBias: FloatBuffer
        var outputNormWeight: FloatBuffer, outputNormBias: FloatBuffer
    }

    private let blas: BLAS
    private let wordEmbeddings: FloatBuffer
    private let positionEmbeddings: FloatBuffer
    private let tokenTypeEmbedding: FloatBuffer  // row 0 only: single-segment input
    private let embeddingNormWeight: FloatBuffer, embeddingNormBias: FloatBuffer
    private let layers: [Layer]

    // Scratch, grown on demand and then reused: the hot loop allocates nothing.
    private var tokenCapacity = 0
    private var hidden = FloatBuffer(count: 0)      // [tokens × H]
    private var qkv = FloatBuffer(count: 0)         // [tokens × 3H]
    private var context = FloatBuffer(count: 0)     // [tokens × H]
    private var intermediate = FloatBuffer(count: 0) // [tokens × I]
    private var scratch = FloatBuffer(count: 0)     // attention scores and transposed keys, per worker
    private let activations = PackedMatrix.Activations()  // the linear layers' converted inputs (int8, bf16)
    /// Threads for the Swift-side kernels: the machine's cores, at most 2 (more buys little at these sizes
    /// and would compete with OpenBLAS's own threads).
    private let workers = max(1, min(2, ProcessInfo.processInfo.activeProcessorCount))

    /// Loads `config.json` and the weights (`model.safetensors`; names with or without a `bert.` prefix); the linear
    /// layers' matrices are converted to `precision` once, here.
    public init(config: BertConfig, weights: URL, precision: Precision = .f32) throws {
        self.config = config
        self.precision = precision
        blas = try BLAS.shared()
        let file = try SafetensorsFile(url: weights)
        let prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        let h = config.hiddenSize, inter = config.intermediateSize
        func load(_ name: String, _ shape: [Int]) throws -> [Float] {
            let full = prefix + name
            guard let info = file.tensors[full] else {
                throw EmbedderError.file(weights.path, "missing tensor '\(full)'")
            }
            guard info.shape == shape else {
                throw EmbedderError.file(weights.path, "tensor '\(full)' has shape \(info.shape), config.json implies \(shape)")
            }
            return try file.floats(full)
        }
        func buffer(_ name: String, _ shape: [Int]) throws -> FloatBuffer { FloatBuffer(try load(name, shape)) }
        func matrix(_ name: String, _ shape: [Int]) throws -> LinearWeights {
            LinearWeights(try load(name, shape), outputs: shape[0], inputs: shape[1], precision: precision)
        }

        guard let wordShape = file.tensors[prefix + "embeddings.word_embeddings.weight"]?.shape, wordShape.count == 2,
              wordShape[1] == h else {
            throw EmbedderError.file(weights.path, "tensor '\(prefix)embeddings.word_embeddings.weight' missing or not [vocab, \(h)]")
        }
        wordEmbeddings = try buffer("embeddings.word_embeddings.weight", [wordShape[0], h])
        self.config.vocabSize = wordShape[0]
        positionEmbeddings = try buffer("embeddings.position_embeddings.weight", [config.maxPositionEmbeddings, h])
        let types = file.tensors[prefix + "embeddings.token_type_embeddings.weight"]?.shape.first ?? 0
        guard types >= 1 else {
            throw EmbedderError.file(weights.path, "tensor '\(prefix)embeddings.token_type_embeddings.weight' missing or empty")
        }
        tokenTypeEmbedding = FloatBuffer(Array(try load("embeddings.token_type_embeddings.weight", [types, h]).prefix(h)))
        embeddingNormWeight = try buffer("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try buffer("embeddings.LayerNorm.bias", [h])

        var layers: [Layer] = []
        for n in 0..<config.numHiddenLayers {
            let p = "encoder.layer.\(n)."
            let qkvWeight = try load(p + "attention.self.query.weight", [h, h]) + load(p + "attention.self.key.weight", [h, h])
                + load(p + "attention.self.value.weight", [h, h])
            let qkvBias = try load(p + "attention.self.query.bias", [h]) + load(p + "attention.self.key.bias", [h])
                + load(p + "attention.self.value.bias", [h])
            layers.append(Layer(
                qkvWeight: LinearWeights(qkvWeight, outputs: 3 * h, inputs: h, precision: precision),
                qkvBias: FloatBuffer(qkvBias),
                outputWeight: try matrix(p + "attention.output.dense.weight", [h, h]),
                outputBias: try buffer(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try buffer(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try buffer(p + "attention.output.LayerNorm.bias", [h]),
                upWeight: try matrix(p + "intermediate.dense.weight", [inter, h]),
                upBias: try buffer(p + "intermediate.dense.bias", [inter]),
                downWeight: try matrix(p + "output.dense.weight", [h, inter]),
                downBias: try buffer(p + "output.dense.bias", [h]),
                outputNormWeight: try buffer(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try buffer(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }

    /// One L2-normalised embedding per token-id sequence (special tokens included), pooled over that sequence's own
    /// tokens (sentence-transformers' masked mean for `.mean`). Every sequence must be non-empty and at most
    /// `config.maxPositionEmbeddings` long. BERT has no language-model head, so `.logits` is refused.
    public func embeddings(_ sequences: [[Int32]], pooling: Pooling = .mean) throws -> [[Float]] {
        if sequences.isEmpty { return [] }
        guard pooling != .logits else { throw EmbedderError("a BERT encoder has no language-model head to pool logits from") }
        let h = config.hiddenSize
        var offsets: [Int] = []
        var total = 0
        var longest = 0
        for (index, ids) in sequences.enumerated() {
            guard !ids.isEmpty, ids.count <= config.maxPositionEmbeddings else {
                throw EmbedderError("sequence \(index) has \(ids.count) tokens; the model reads 1...\(config.maxPositionEmbeddings)")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw EmbedderError("sequence \(index) has token id \(bad), outside the vocabulary of \(config.vocabSize)")
            }
            offsets.append(total)
            total += ids.count
            longest = max(longest, ids.count)
        }
        reserve(tokens: total, longest: longest)
        embed(sequences, offsets: offsets)
        for layer in layers {
            run(layer, sequences: sequences, offsets: offsets, tokens: total)
        }
        // Only a sequence's own rows exist in the packed layout, so pooling over them is the attention mask applied.
        let rows = zip(offsets, sequences).map { offset, ids in
            TokenRows(start: hidden.pointer + offset * h, count: ids.count, rowStride: h, dim: h)
        }
        return pooling.vectors(of: rows)
    }

    private func reserve(tokens: Int, longest: Int) {
        let h = config.hiddenSize
        if tokens > tokenCapacity {
            // Grow with headroom so a slightly longer next batch does not reallocate again.
            let capacity = max(tokens, tokenCapacity + tokenCapacity / 2)
            hidden = FloatBuffer(count: capacity * h)
            qkv = FloatBuffer(count: capacity * 3 * h)
            context = FloatBuffer(count: capacity * h)
            intermediate = FloatBuffer(count: capacity * config.intermediateSize)
            tokenCapacity = capacity
        }
        let perWorker = attentionScratchSize(longest: longest)
        if perWorker * workers > scratch.count {
            scratch = FloatBuffer(count: perWorker * workers)
        }
    }

    /// Per worker: the [L × L₁₆] score matrix and the [d × L₁₆] transposed keys of one head, L₁₆ = L rounded up to 16.
    private func attentionScratchSize(longest: Int) -> Int {
        let padded = (longest + 15) / 16 * 16
        return padded * (longest + config.hiddenSize / config.numAttentionHeads)
    }

    /// Runs `body(worker, range)` on `workers` threads over `0..<count`, split into contiguous ranges.
    /// The Swift-side kernels (attention, GELU, LayerNorm) would otherwise run on one core while OpenBLAS's
    /// other thread spins idle between products.
    private func parallel(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        if workers == 1 || count < 2 {
            body(0, 0..<count)
            return
        }
        let workers = workers
        withoutActuallyEscaping(body) { body in
            // The workers touch disjoint rows of the scratch buffers; `concurrentPerform` returns only when
            // all are done, so nothing outlives this call. That is what the unchecked box asserts.
            let task = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let lower = count * worker / workers, upper = count * (worker + 1) / workers
                if lower < upper { task.value(worker, lower..<upper) }
            }
        }
    }

    /// word + position + token type 0, then LayerNorm.
    private func embed(_ sequences: [[Int32]], offsets: [Int]) {
        let h = config.hiddenSize, kernels = Kernels.active
        for (index, ids) in sequences.enumerated() {
            for (position, id) in ids.enumerated() {
                let row = hidden.pointer + (offsets[index] + position) * h
                let word = wordEmbeddings.pointer + Int(id) * h
                let positional = positionEmbeddings.pointer + position * h
                for c in 0..<h { row[c] = word[c] + positional[c] + tokenTypeEmbedding.pointer[c] }
                kernels.layerNorm(row, adding: nil, bias: nil, gamma: embeddingNormWeight.pointer,
                                  beta: embeddingNormBias.pointer, count: h, epsilon: config.layerNormEps)
            }
        }
    }

    private func run(_ layer: Layer, sequences: [[Int32]], offsets: [Int], tokens: Int) {
        let h = config.hiddenSize, inter = config.intermediateSize, eps = config.layerNormEps
        let kernels = Kernels.active
        let hidden = hidden.pointer, qkv = qkv.pointer, context = context.pointer, intermediate = intermediate.pointer
        // Q|K|V for all tokens at once: [tokens × 3H] = bias + hidden · Wqkvᵀ. C starts as the bias rows and
        // sgemm adds with beta = 1: no separate bias pass, and OpenBLAS skips zeroing C.
        for t in 0..<tokens { (qkv + t * 3 * h).update(from: layer.qkvBias.pointer, count: 3 * h) }
        linear(layer.qkvWeight, hidden, rows: tokens, into: qkv)
        let perWorker = attentionScratchSize(longest: sequences.map(\.count).max() ?? 1)
        parallel(sequences.count) { worker, range in
            for index in range {
                attention(sequenceStart: offsets[index], length: sequences[index].count,
                          scratch: scratch.pointer + worker * perWorker)
            }
        }
        // hidden += context · Woᵀ (the residual is already in C), then LayerNorm(hidden + bias).
        linear(layer.outputWeight, context, rows: tokens, into: hidden)
        parallel(tokens) { _, range in
            for t in range {
                kernels.layerNorm(hidden + t * h, adding: nil, bias: layer.outputBias.pointer,
                                  gamma: layer.attentionNormWeight.pointer, beta: layer.attentionNormBias.pointer,
                                  count: h, epsilon: eps)
                (intermediate + t * inter).update(from: layer.upBias.pointer, count: inter)
            }
        }
        linear(layer.upWeight, hidden, rows: tokens, into: intermediate)
        parallel(tokens) { _, range in
            kernels.gelu(intermediate + range.lowerBound * inter, count: range.count * inter)
        }
        linear(layer.downWeight, intermediate, rows: tokens, into: hidden)
        parallel(tokens) { _, range in
            for t in range {
                kernels.layerNorm(hidden + t * h, adding: nil, bias: layer.downBias.pointer,
                                  gamma: layer.outputNormWeight.pointer, beta: layer.outputNormBias.pointer,
                                  count: h, epsilon: eps)
            }
        }
    }

    /// y += x · Wᵀ: y already holds the bias or the residual (sgemm's beta = 1 for float32).
    private func linear(_ weights: LinearWeights, _ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        weights.apply(x, rows: rows, into: y, accumulate: true, blas: blas, scratch: activations, workers: workers)
    }

    /// Scaled dot-product attention of one sequence, every head, writing `context` rows.
    ///
    /// Kernel calls rather than sgemm: with ~25 tokens and 32-wide heads each product is a few thousand
    /// multiply-adds, less than OpenBLAS's per-call overhead. Keys are first transposed to [d × L₁₆] so that
    /// a query's scores come out 16 keys per vector (one FMA per query element) instead of one horizontal
    /// sum per key.
    private func attention(sequenceStart start: Int, length: Int, scratch: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize, heads = config.numAttentionHeads, d = h / heads
        let stride = 3 * h
        let padded = (length + 15) / 16 * 16
        let scale = 1 / Float(d).squareRoot()
        let kernels = Kernels.active
        let base = qkv.pointer + start * stride
        let out = context.pointer + start * h
        let scores = scratch, keys = scratch + length * padded
        for head in 0..<heads {
            let q = base + head * d, k = base + h + head * d, v = base + 2 * h + head * d
            for c in 0..<d {
                let column = keys + c * padded
                for j in 0..<length { column[j] = k[j * stride + c] }
                for j in length..<padded { column[j] = 0 }
            }
            // Every query's scores, softmax, then every query's weighted sum: the kernels take four queries per pass over
            // the keys and values.
            kernels.attentionScores(query: q, queryStride: stride, queries: length, keysTransposed: keys, dim: d,
                                    padded: padded, scale: scale, into: scores, scoresStride: padded)
            for i in 0..<length { kernels.softmax(scores + i * padded, count: length) }
            kernels.weightedSum(weights: scores, weightsStride: padded, queries: length, count: length, rows: v,
                                rowStride: stride, dim: d, into: out + head * d, outStride: h)
        }
    }
}
