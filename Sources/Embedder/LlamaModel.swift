import BLAS
import Foundation

/// A Llama-architecture decoder (SmolLM2) run in f32 on OpenBLAS, for embeddings rather than generation.
///
/// All weights are dequantised once at load into f32 row-major matrices (`[out, in]`), so each projection is a
/// single sgemm over all tokens of a batch; SmolLM2-135M takes about 540 MB this way. The forward pass keeps
/// the GGUF weight layout: llama.cpp's converter permutes the Q and K rows so that RoPE rotates ADJACENT pairs
/// (2i, 2i+1) of each head, which is what `applyRoPE` does.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig

    struct Layer: Sendable {
        var attnNorm: [Float]
        /// Q, K and V stacked: `[(heads + 2·kvHeads)·headDim, hidden]`, one sgemm for all three.
        var wqkv: [Float]
        var wo: [Float]
        var ffnNorm: [Float]
        /// Gate and up stacked: `[2·ffn, hidden]`.
        var wGateUp: [Float]
        var wDown: [Float]
    }

    let layers: [Layer]
    /// `[vocab, hidden]`: the input embedding and, tied, the LM head (SmolLM2 has no `output.weight`).
    let tokenEmbedding: [Float]
    let outputNorm: [Float]
    /// Separate LM head when the file has `output.weight`; nil when tied to the embedding.
    let outputHead: [Float]?
    private let blas: BLAS

    /// Loads and dequantises every weight of a `llama` GGUF file.
    public convenience init(ggufFile url: URL) throws {
        try self.init(gguf: GGUFFile(url: url))
    }

    public init(gguf: GGUFFile) throws {
        let c = try LlamaConfig(gguf: gguf)
        config = c
        blas = try BLAS.shared()
        func load(_ name: String, rows: Int, cols: Int) throws -> [Float] {
            let t = try gguf.requireTensor(name)
            guard t.rowLength == cols, t.rowCount == rows else {
                throw GGUFError(file: gguf.name, field: "tensor '\(name)'",
                                reason: "shape \(t.dims), expected [\(cols), \(rows)]")
            }
            return try gguf.dequantize(t)
        }
        let qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        var layers: [Layer] = []
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            let q = try load(p + "attn_q.weight", rows: qDim, cols: c.hidden)
            let k = try load(p + "attn_k.weight", rows: kvDim, cols: c.hidden)
            let v = try load(p + "attn_v.weight", rows: kvDim, cols: c.hidden)
            let gate = try load(p + "ffn_gate.weight", rows: c.ffn, cols: c.hidden)
            let up = try load(p + "ffn_up.weight", rows: c.ffn, cols: c.hidden)
            layers.append(Layer(
                attnNorm: try load(p + "attn_norm.weight", rows: 1, cols: c.hidden),
                wqkv: q + k + v,
                wo: try load(p + "attn_output.weight", rows: c.hidden, cols: qDim),
                ffnNorm: try load(p + "ffn_norm.weight", rows: 1, cols: c.hidden),
                wGateUp: gate + up,
                wDown: try load(p + "ffn_down.weight", rows: c.hidden, cols: c.ffn)))
        }
        self.layers = layers
        tokenEmbedding = try load("token_embd.weight", rows: c.vocabSize, cols: c.hidden)
        outputNorm = try load("output_norm.weight", rows: 1, cols: c.hidden)
        outputHead = gguf.tensor(named: "output.weight") == nil ? nil
            : try load("output.weight", rows: c.vocabSize, cols: c.hidden)
    }

    /// Final-norm hidden states of a right-padded batch.
    public struct HiddenStates: Sendable {
        /// `[batch, paddedLength, hidden]`; rows past a sequence's length are padding and hold no meaning.
        public let values: [Float]
        public let lengths: [Int]
        public let paddedLength: Int
        public let hidden: Int

        /// The state of sequence `b` at `position` (< its length).
        public func state(sequence b: Int, position: Int) -> [Float] {
            precondition(position >= 0 && position < lengths[b])
            let start = (b * paddedLength + position) * hidden
            return Array(values[start..<(start + hidden)])
        }

        /// The state at each sequence's own last real token.
        public func lastToken(sequence b: Int) -> [Float] { state(sequence: b, position: lengths[b] - 1) }

        /// The average over every real token of sequence `b`.
        public func mean(sequence b: Int) -> [Float] { mean(sequence: b, upTo: lengths[b]) }

        /// The average over the first `count` real tokens of sequence `b` (a prefix of it, under causal
        /// attention, is exactly what a pass over that prefix alone would give).
        public func mean(sequence b: Int, upTo count: Int) -> [Float] {
            precondition(count >= 1 && count <= lengths[b])
            var out = [Float](repeating: 0, count: hidden)
            values.withUnsafeBufferPointer { v in
                for t in 0..<count {
                    let row = (b * paddedLength + t) * hidden
                    for d in 0..<hidden { out[d] += v[row + d] }
                }
            }
            let inv = 1 / Float(count)
            return out.map { $0 * inv }
        }
    }

    /// Runs the decoder over a batch of token sequences (each non-empty, ≤ the context length), right-padded
    /// to the longest; attention is causal and never sees padding. Returns the states after the final RMSNorm.
    public func forward(_ batch: [[Int32]]) throws -> HiddenStates {
        let c = config
        guard !batch.isEmpty else { return HiddenStates(values: [], lengths: [], paddedLength: 0, hidden: c.hidden) }
        for (i, s) in batch.enumerated() {
            guard !s.isEmpty, s.count <= c.contextLength else {
                throw LlamaError.badSequence("sequence \(i) has \(s.count) tokens (1...\(c.contextLength) allowed)")
            }
            if let bad = s.first(where: { $0 < 0 || Int($0) >= c.vocabSize }) {
                throw LlamaError.badSequence("sequence \(i) has token id \(bad) outside 0..<\(c.vocabSize)")
            }
        }
        let lengths = batch.map(\.count)
        let T = lengths.max()!, B = batch.count, N = B * T
        let H = c.hidden, qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        let qkvDim = qDim + 2 * kvDim

        var x = [Float](repeating: 0, count: N * H)         // residual stream
        var xn = [Float](repeating: 0, count: N * H)        // normalised input of a sub-layer
        var qkv = [Float](repeating: 0, count: N * qkvDim)
        var attn = [Float](repeating: 0, count: N * qDim)
        var gateUp = [Float](repeating: 0, count: N * 2 * c.ffn)
        var act = [Float](repeating: 0, count: N * c.ffn)
        var scores = [Float](repeating: 0, count: T)
        let (cosTable, sinTable) = ropeTables(length: T)

        // Embedding lookup; padding rows stay zero.
        tokenEmbedding.withUnsafeBufferPointer { e in
            x.withUnsafeMutableBufferPointer { xb in
                for b in 0..<B {
                    for (t, id) in batch[b].enumerated() {
                        let dst = xb.baseAddress! + (b * T + t) * H
                        dst.update(from: e.baseAddress! + Int(id) * H, count: H)
                    }
                }
            }
        }

        for layer in layers {
            // Attention block: x += Wo · attention(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x)).
            LlamaMath.rmsNorm(x, layer.attnNorm, &xn, rows: N, dim: H, eps: c.rmsEps)
            linear(xn, layer.wqkv, &qkv, rows: N, inDim: H, outDim: qkvDim)
            qkv.withUnsafeMutableBufferPointer { q in
                applyRoPE(q.baseAddress!, batch: B, length: T, rowStride: qkvDim, cos: cosTable, sin: sinTable)
            }
            attention(qkv, &attn, &scores, lengths: lengths, paddedLength: T)
            linear(attn, layer.wo, &xn, rows: N, inDim: qDim, outDim: H)
            LlamaMath.add(&x, xn, count: N * H)

            // Feed-forward block: x += Wdown · (silu(Wgate·n(x)) ⊙ Wup·n(x)).
            LlamaMath.rmsNorm(x, layer.ffnNorm, &xn, rows: N, dim: H, eps: c.rmsEps)
            linear(xn, layer.wGateUp, &gateUp, rows: N, inDim: H, outDim: 2 * c.ffn)
            gateUp.withUnsafeBufferPointer { g in
                act.withUnsafeMutableBufferPointer { a in
                    for r in 0..<N {
                        let row = g.baseAddress! + r * 2 * c.ffn
                        LlamaMath.swiGLU(gate: row, up: row + c.ffn, out: a.baseAddress! + r * c.ffn, count: c.ffn)
                    }
                }
            }
            linear(act, layer.wDown, &xn, rows: N, inDim: c.ffn, outDim: H)
            LlamaMath.add(&x, xn, count: N * H)
        }
        LlamaMath.rmsNorm(x, outputNorm, &xn, rows: N, dim: H, eps: c.rmsEps)
        return HiddenStates(values: xn, lengths: lengths, paddedLength: T, hidden: H)
    }

    /// The LM head applied to pooled states (`[count, hidden]` → `[count, vocab]`): with tied weights,
    /// logits = h · Eᵀ.
    public func logits(_ states: [[Float]]) -> [[Float]] {
        guard !states.isEmpty else { return [] }
        let H = config.hidden, V = config.vocabSize
        precondition(states.allSatisfy { $0.count == H })
        let flat = states.flatMap { $0 }
        var out = [Float](repeating: 0, count: states.count * V)
        linear(flat, outputHead ?? tokenEmbedding, &out, rows: states.count, inDim: H, outDim: V)
        return (0..<states.count).map { Array(out[($0 * V)..<(($0 + 1) * V)]) }
    }

    /// y[rows, outDim] = x[rows, inDim] · Wᵀ with W stored `[outDim, inDim]`.
    private func linear(_ x: [Float], _ w: [Float], _ y: inout [Float], rows: Int, inDim: Int, outDim: Int) {
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                y.withUnsafeMutableBufferPointer { yb in
                    blas.sgemm(.none, .transposed, m: rows, n: outDim, k: inDim,
                               a: xb.baseAddress!, lda: inDim, b: wb.baseAddress!, ldb: inDim,
                               c: yb.baseAddress!, ldc: outDim)
                }
            }
        }
    }

    /// cos/sin of position · base^(-2i/ropeDims) for every position and pair, computed in double.
    private func ropeTables(length: Int) -> ([Float], [Float]) {
        let pairs = config.ropeDims / 2
        var cosT = [Float](repeating: 0, count: length * pairs), sinT = cosT
        for i in 0..<pairs {
            let freq = pow(config.ropeBase, -Double(2 * i) / Double(config.ropeDims))
            for p in 0..<length {
                let angle = Double(p) * freq
                cosT[p * pairs + i] = Float(Foundation.cos(angle))
                sinT[p * pairs + i] = Float(Foundation.sin(angle))
            }
        }
        return (cosT, sinT)
    }

    /// Rotates adjacent pairs (2i, 2i+1) of every Q and K head in place (V, the last kvDim columns, is left).
    private func applyRoPE(_ qkv: UnsafeMutablePointer<Float>, batch: Int, length: Int, rowStride: Int,
                           cos: [Float], sin: [Float]) {
        let c = config, pairs = c.ropeDims / 2
        let rotatedHeads = c.heads + c.kvHeads   // Q heads then K heads are contiguous at the start of a row
        for b in 0..<batch {
            for p in 0..<length {
                let row = qkv + (b * length + p) * rowStride
                for h in 0..<rotatedHeads {
                    let head = row + h * c.headDim
                    for i in 0..<pairs {
                        let cs = cos[p * pairs + i], sn = sin[p * pairs + i]
                        let a = head[2 * i], bb = head[2 * i + 1]
                        head[2 * i] = a * cs - bb * sn
                        head[2 * i + 1] = a * sn + bb * cs
                    }
                }
            }
        }
    }

    /// Causal grouped-query attention per sequence and head: softmax(Q·Kᵀ/√d) over keys 0...t (never the
    /// padding past the sequence's length), times V. Query heads share K/V heads in groups of heads/kvHeads.
    /// `scores` is scratch for one query's row of attention weights (at least the longest sequence).
    private func attention(_ qkv: [Float], _ out: inout [Float], _ scores: inout [Float], lengths: [Int], paddedLength T: Int) {
        let c = config, d = c.headDim
        let qDim = c.heads * d, kvDim = c.kvHeads * d, stride = qDim + 2 * kvDim
        let group = c.heads / c.kvHeads
        let scale = 1 / Float(d).squareRoot()
        qkv.withUnsafeBufferPointer { qb in
            out.withUnsafeMutableBufferPointer { ob in
                scores.withUnsafeMutableBufferPointer { sb in
                    let s = sb.baseAddress!
                    for (b, L) in lengths.enumerated() {
                        let base = qb.baseAddress! + b * T * stride
                        for h in 0..<c.heads {
                            let kvh = h / group
                            let q = base + h * d, k = base + qDim + kvh * d, v = base + qDim + kvDim + kvh * d
                            let o = ob.baseAddress! + b * T * qDim + h * d
                            // Sequences here are short (tens of tokens), where an sgemm call per head costs more
                            // in OpenBLAS's threading overhead than the arithmetic; a direct loop also computes
                            // only the causal half.
                            for t in 0..<L {
                                let qt = q + t * stride
                                for j in 0...t { s[j] = scale * LlamaMath.dot(qt, k + j * stride, count: d) }
                                LlamaMath.softmax(s, count: t + 1)
                                LlamaMath.weightedSum(weights: s, count: t + 1, rows: v, rowStride: stride,
                                                      dim: d, out: o + t * qDim)
                            }
                        }
                        // Padding rows of the output are zero (their values never reach a real token).
                        for t in L..<T {
                            (ob.baseAddress! + (b * T + t) * qDim).update(repeating: 0, count: qDim)
                        }
                    }
                }
            }
        }
    }
}

public enum LlamaError: Error, CustomStringConvertible, Sendable {
    case badSequence(String)

    public var description: String {
        switch self {
        case .badSequence(let s): return "Llama forward: \(s)"
        }
    }
}
