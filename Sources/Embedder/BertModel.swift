import BLAS
import Foundation

/// A BERT encoder (Hugging Face `BertModel` layout) run on OpenBLAS, with masked mean pooling.
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

    private struct Layer {
        /// Q, K and V weights stacked as one [3·hidden × hidden] matrix (PyTorch's [out × in] rows), so one
        /// sgemm produces all three projections.
        var qkvWeight: FloatBuffer, qkvBias: FloatBuffer
        var outputWeight: FloatBuffer, outputBias: FloatBuffer
        var attentionNormWeight: FloatBuffer, attentionNormBias: FloatBuffer
        var upWeight: FloatBuffer, upBias: FloatBuffer
        var downWeight: FloatBuffer, downBias: FloatBuffer
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
    private var projected = FloatBuffer(count: 0)   // [tokens × H]
    private var intermediate = FloatBuffer(count: 0) // [tokens × I]
    private var scores = FloatBuffer(count: 0)      // [L × L] for one (sequence, head)

    /// Loads `config.json` and the weights (`model.safetensors`; names with or without a `bert.` prefix).
    public init(config: BertConfig, weights: URL) throws {
        self.config = config
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
                qkvWeight: FloatBuffer(qkvWeight), qkvBias: FloatBuffer(qkvBias),
                outputWeight: try buffer(p + "attention.output.dense.weight", [h, h]),
                outputBias: try buffer(p + "attention.output.dense.bias", [h]),
                attentionNormWeight: try buffer(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try buffer(p + "attention.output.LayerNorm.bias", [h]),
                upWeight: try buffer(p + "intermediate.dense.weight", [inter, h]),
                upBias: try buffer(p + "intermediate.dense.bias", [inter]),
                downWeight: try buffer(p + "output.dense.weight", [h, inter]),
                downBias: try buffer(p + "output.dense.bias", [h]),
                outputNormWeight: try buffer(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try buffer(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }

    /// Mean-pooled, L2-normalised embeddings of token-id sequences (special tokens included), one per sequence.
    /// Every sequence must be non-empty and at most `config.maxPositionEmbeddings` long.
    public func meanPooledEmbeddings(_ sequences: [[Int32]]) throws -> [[Float]] {
        if sequences.isEmpty { return [] }
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
        // Masked mean: only this sequence's rows exist in the packed layout, so the mean is over real tokens.
        var result: [[Float]] = []
        result.reserveCapacity(sequences.count)
        for (index, ids) in sequences.enumerated() {
            var pooled = [Double](repeating: 0, count: h)
            for t in offsets[index]..<offsets[index] + ids.count {
                let row = hidden.pointer + t * h
                for c in 0..<h { pooled[c] += Double(row[c]) }
            }
            let norm = pooled.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let scale = norm > 0 ? 1 / norm : 0
            result.append(pooled.map { Float($0 * scale) })
        }
        return result
    }

    private func reserve(tokens: Int, longest: Int) {
        let h = config.hiddenSize
        if tokens > tokenCapacity {
            // Grow with headroom so a slightly longer next batch does not reallocate again.
            let capacity = max(tokens, tokenCapacity + tokenCapacity / 2)
            hidden = FloatBuffer(count: capacity * h)
            qkv = FloatBuffer(count: capacity * 3 * h)
            context = FloatBuffer(count: capacity * h)
            projected = FloatBuffer(count: capacity * h)
            intermediate = FloatBuffer(count: capacity * config.intermediateSize)
            tokenCapacity = capacity
        }
        if longest * longest > scores.count {
            scores = FloatBuffer(count: longest * longest)
        }
    }

    /// word + position + token type 0, then LayerNorm.
    private func embed(_ sequences: [[Int32]], offsets: [Int]) {
        let h = config.hiddenSize
        for (index, ids) in sequences.enumerated() {
            for (position, id) in ids.enumerated() {
                let row = hidden.pointer + (offsets[index] + position) * h
                let word = wordEmbeddings.pointer + Int(id) * h
                let positional = positionEmbeddings.pointer + position * h
                for c in 0..<h { row[c] = word[c] + positional[c] + tokenTypeEmbedding.pointer[c] }
                Activations.layerNorm(row, adding: nil, bias: nil, gamma: embeddingNormWeight.pointer,
                                      beta: embeddingNormBias.pointer, count: h, epsilon: config.layerNormEps)
            }
        }
    }

    private func run(_ layer: Layer, sequences: [[Int32]], offsets: [Int], tokens: Int) {
        let h = config.hiddenSize, inter = config.intermediateSize, eps = config.layerNormEps
        // Q|K|V for all tokens at once: [tokens × 3H] = hidden · Wqkvᵀ.
        blas.sgemm(.none, .transposed, m: tokens, n: 3 * h, k: h, a: hidden.pointer, lda: h,
                   b: layer.qkvWeight.pointer, ldb: h, c: qkv.pointer, ldc: 3 * h)
        for t in 0..<tokens {
            Activations.addBias(qkv.pointer + t * 3 * h, bias: layer.qkvBias.pointer, count: 3 * h)
        }
        for (index, ids) in sequences.enumerated() {
            attention(sequenceStart: offsets[index], length: ids.count)
        }
        blas.sgemm(.none, .transposed, m: tokens, n: h, k: h, a: context.pointer, lda: h,
                   b: layer.outputWeight.pointer, ldb: h, c: projected.pointer, ldc: h)
        for t in 0..<tokens {
            Activations.layerNorm(hidden.pointer + t * h, adding: projected.pointer + t * h, bias: layer.outputBias.pointer,
                                  gamma: layer.attentionNormWeight.pointer, beta: layer.attentionNormBias.pointer,
                                  count: h, epsilon: eps)
        }
        blas.sgemm(.none, .transposed, m: tokens, n: inter, k: h, a: hidden.pointer, lda: h,
                   b: layer.upWeight.pointer, ldb: h, c: intermediate.pointer, ldc: inter)
        for t in 0..<tokens {
            Activations.biasGELU(intermediate.pointer + t * inter, bias: layer.upBias.pointer, count: inter)
        }
        blas.sgemm(.none, .transposed, m: tokens, n: h, k: inter, a: intermediate.pointer, lda: inter,
                   b: layer.downWeight.pointer, ldb: inter, c: projected.pointer, ldc: h)
        for t in 0..<tokens {
            Activations.layerNorm(hidden.pointer + t * h, adding: projected.pointer + t * h, bias: layer.downBias.pointer,
                                  gamma: layer.outputNormWeight.pointer, beta: layer.outputNormBias.pointer,
                                  count: h, epsilon: eps)
        }
    }

    /// Scaled dot-product attention of one sequence, every head, writing `context` rows.
    /// Hand loops rather than sgemm: with ~25 tokens and 32-wide heads each product is a few thousand
    /// multiply-adds, less than OpenBLAS's per-call overhead.
    private func attention(sequenceStart start: Int, length: Int) {
        let h = config.hiddenSize, heads = config.numAttentionHeads, d = h / heads
        let stride = 3 * h
        let scale = 1 / Float(d).squareRoot()
        let base = qkv.pointer + start * stride
        let out = context.pointer + start * h
        let p = scores.pointer
        for head in 0..<heads {
            let q = base + head * d, k = base + h + head * d, v = base + 2 * h + head * d
            for i in 0..<length {
                let qi = q + i * stride
                for j in 0..<length {
                    p[i * length + j] = Self.dot(qi, k + j * stride, count: d) * scale
                }
                Activations.softmax(p + i * length, count: length)
                Self.weightedSum(weights: p + i * length, rows: v, rowStride: stride, count: length, width: d,
                                 into: out + i * h + head * d)
            }
        }
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        typealias V = Activations.Vector
        let w = V.scalarCount
        var acc = V(repeating: 0)
        var c = 0
        while c + w <= count {
            acc = acc.addingProduct(UnsafeRawPointer(a + c).loadUnaligned(as: V.self), UnsafeRawPointer(b + c).loadUnaligned(as: V.self))
            c += w
        }
        var total = acc.sum()
        while c < count {
            total += a[c] * b[c]
            c += 1
        }
        return total
    }

    /// out[0..<width] = Σⱼ weights[j] · rows[j·rowStride ..< j·rowStride + width].
    @inline(__always)
    private static func weightedSum(weights: UnsafePointer<Float>, rows: UnsafePointer<Float>, rowStride: Int, count: Int,
                                    width: Int, into out: UnsafeMutablePointer<Float>) {
        typealias V = Activations.Vector
        let w = V.scalarCount
        if width == 2 * w {
            // The common head size (32): two accumulators held in registers across all keys.
            var a0 = V(repeating: 0), a1 = V(repeating: 0)
            for j in 0..<count {
                let weight = V(repeating: weights[j])
                let row = UnsafeRawPointer(rows + j * rowStride)
                a0 = a0.addingProduct(weight, row.loadUnaligned(as: V.self))
                a1 = a1.addingProduct(weight, row.loadUnaligned(fromByteOffset: w * 4, as: V.self))
            }
            UnsafeMutableRawPointer(out).storeBytes(of: a0, as: V.self)
            UnsafeMutableRawPointer(out).storeBytes(of: a1, toByteOffset: w * 4, as: V.self)
            return
        }
        for c in 0..<width { out[c] = 0 }
        for j in 0..<count {
            let weight = weights[j]
            let row = rows + j * rowStride
            for c in 0..<width { out[c] += weight * row[c] }
        }
    }
}
