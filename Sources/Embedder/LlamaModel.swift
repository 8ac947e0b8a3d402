import BLAS
import Foundation
import Kernels

/// A Llama-architecture decoder (SmolLM2), for embeddings rather than generation; its linear layers run at `precision`.
///
/// All weights are dequantised once at load into f32 row-major matrices (`[out, in]`), so each projection is a
/// single product over all tokens of a batch; SmolLM2-135M takes about 540 MB this way at f32 (`weightBytes`), and the
/// layers' matrices are then packed once more for `precision` int8 or bf16, the float copy dropped. The forward pass keeps
/// the GGUF weight layout: llama.cpp's converter permutes the Q and K rows so that RoPE rotates ADJACENT pairs
/// (2i, 2i+1) of each head, which is what `applyRoPE` does.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// The arithmetic of the decoder layers' linear layers (the tied embedding / LM head stays float32).
    public let precision: Precision

    struct Layer: Sendable {
        var attnNorm: [Float]
        /// Q, K and V stacked: `[(heads + 2·kvHeads)·headDim, hidden]`, one sgemm for all three.
        var wqkv: LinearWeights
        var wo: LinearWeights
        var ffnNorm: [Float]
        /// Gate and up stacked: `[2·ffn, hidden]`.
        var wGateUp: LinearWeights
        var wDown: LinearWeights
    }

    let layers: [Layer]
    /// `[vocab, hidden]`: the input embedding and, tied, the LM head (SmolLM2 has no `output.weight`).
    let tokenEmbedding: [Float]
    let outputNorm: [Float]
    /// Separate LM head when the file has `output.weight`; nil when tied to the embedding.
    let outputHead: [Float]?
    private let blas: BLAS
    /// Bytes the weights hold in memory after loading (packed matrices at their packed size).
    public var weightBytes: Int {
        let matrices = layers.reduce(0) { $0 + $1.wqkv.bytes + $1.wo.bytes + $1.wGateUp.bytes + $1.wDown.bytes
            + ($1.attnNorm.count + $1.ffnNorm.count) * 4 }
        return matrices + (tokenEmbedding.count + outputNorm.count + (outputHead?.count ?? 0)) * 4
    }

    /// RoPE cos/sin for every position of the context, `[position, pair]`.
    private let ropeCos: [Float], ropeSin: [Float]

    /// Loads and dequantises every weight of a `llama` GGUF file.
    public convenience init(ggufFile url: URL, precision: Precision = .f32) throws {
        try self.init(gguf: GGUFFile(url: url), precision: precision)
    }

    /// Loads `gguf`'s weights, the decoder layers' matrices converted to `precision`.
    public init(gguf: GGUFFile, precision: Precision = .f32) throws {
        let c = try LlamaConfig(gguf: gguf)
        config = c
        self.precision = precision
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
        // At int8, Q|K|V stays bf16: its input, the normalised residual stream, carries a few channels hundreds of
        // times larger than the rest (the "massive activations" of Sun et al., 2024), so one scale per row leaves the
        // other channels a handful of codes. Measured on SmolLM2 (64 chat-templated sentences, last-token cosine to
        // f32): all int8 min 0.983 / mean 0.990; Q|K|V bf16 min 0.993 / mean 0.996, for 16 % of the multiply-adds.
        let qkvPrecision: Precision = precision == .int8 ? .bf16 : precision
        var layers: [Layer] = []
        for i in 0..<c.layers {
            let p = "blk.\(i)."
            let q = try load(p + "attn_q.weight", rows: qDim, cols: c.hidden)
            let k = try load(p + "attn_k.weight", rows: kvDim, cols: c.hidden)
            let v = try load(p + "attn_v.weight", rows: kvDim, cols: c.hidden)
            let gate = try load(p + "ffn_gate.weight", rows: c.ffn, cols: c.hidden)
            let up = try load(p + "ffn_up.weight", rows: c.ffn, cols: c.hidden)
            func matrix(_ values: [Float], rows: Int, cols: Int, precision: Precision = precision) -> LinearWeights {
                LinearWeights(values, outputs: rows, inputs: cols, precision: precision)
            }
            layers.append(Layer(
                attnNorm: try load(p + "attn_norm.weight", rows: 1, cols: c.hidden),
                wqkv: matrix(q + k + v, rows: qDim + 2 * kvDim, cols: c.hidden, precision: qkvPrecision),
                wo: matrix(try load(p + "attn_output.weight", rows: c.hidden, cols: qDim), rows: c.hidden, cols: qDim),
                ffnNorm: try load(p + "ffn_norm.weight", rows: 1, cols: c.hidden),
                wGateUp: matrix(gate + up, rows: 2 * c.ffn, cols: c.hidden),
                wDown: matrix(try load(p + "ffn_down.weight", rows: c.hidden, cols: c.ffn), rows: c.hidden, cols: c.ffn)))
        }
        self.layers = layers
        tokenEmbedding = try load("token_embd.weight", rows: c.vocabSize, cols: c.hidden)
        outputNorm = try load("output_norm.weight", rows: 1, cols: c.hidden)
        outputHead = gguf.tensor(named: "output.weight") == nil ? nil
            : try load("output.weight", rows: c.vocabSize, cols: c.hidden)
        (ropeCos, ropeSin) = Self.ropeTables(c, length: c.contextLength)
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

        /// The unit vector along the average of every real token's state of sequence `b` (mean pooling).
        public func mean(sequence b: Int) -> [Float] { pooled(.mean, sequences: [b], upTo: [lengths[b]])[0] }

        /// `pooling` of each sequence in `sequences`, as if sequence `sequences[i]` ended after `upTo[i]` tokens (a
        /// prefix, under causal attention, is exactly what a pass over that prefix alone would give); `head` maps
        /// states to logits for `.logits`.
        func pooled(_ pooling: Pooling, sequences: [Int], upTo: [Int], head: (([[Float]]) -> [[Float]])? = nil) -> [[Float]] {
            values.withUnsafeBufferPointer { v in
                let rows = zip(sequences, upTo).map { b, count in
                    precondition(count >= 1 && count <= lengths[b])
                    return TokenRows(start: v.baseAddress! + b * paddedLength * hidden, count: count, rowStride: hidden,
                                     dim: hidden)
                }
                return pooling.vectors(of: rows, head: head)
            }
        }
    }

    /// Runs the decoder over a batch of token sequences (each non-empty, ≤ the context length); attention is
    /// causal and never crosses sequences. Returns the states after the final RMSNorm, right-padded.
    ///
    /// The batch is PACKED, not padded: the projections and the feed-forward run as sgemms over the
    /// concatenated real tokens, and only attention works per sequence. With OpenBLAS set to n > 1 threads and
    /// at least two sequences (and 2 × `minGroupTokens` tokens), the sequences are split into up to n groups of
    /// about equal token count, each run on its own thread with single-threaded sgemms (OpenBLAS's thread count
    /// is set to 1 for the call and then restored, process-wide: a concurrent forward pass then sees 1 and runs
    /// as one group). Groups never wait on each other, so the elementwise work and attention run in parallel
    /// too and no per-sgemm fork/join is paid; a single group keeps OpenBLAS's own threading.
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
        let T = lengths.max()!, B = batch.count, H = c.hidden
        var values = [Float](repeating: 0, count: B * T * H)
        let threads = max(1, blas.kernel.threads)
        // A group re-packs every weight matrix in its sgemms, so groups of only a few tokens would cost more in
        // packing than they gain; each gets at least `minGroupTokens` (when there are enough).
        let groups = Self.split(lengths: lengths, into: min(threads, lengths.reduce(0, +) / Self.minGroupTokens))
        values.withUnsafeMutableBufferPointer { vb in
            // The groups write disjoint rows, and concurrentPerform returns only when all are done.
            let out = UncheckedSendable(vb.baseAddress!)
            if groups.count == 1 {
                run(batch, sequences: groups[0], paddedLength: T, into: out, workers: threads)
            } else {
                blas.setThreads(1)
                defer { blas.setThreads(threads) }
                DispatchQueue.concurrentPerform(iterations: groups.count) { g in
                    run(batch, sequences: groups[g], paddedLength: T, into: out, workers: 1)
                }
            }
        }
        return HiddenStates(values: values, lengths: lengths, paddedLength: T, hidden: H)
    }

    /// The fewest tokens worth a thread of their own in `forward`.
    static let minGroupTokens = 64

    /// Contiguous ranges of sequence indices, `parts` of them (fewer when there are fewer sequences), with
    /// about equal token counts. Internal; tests reach it through `@testable import`.
    static func split(lengths: [Int], into parts: Int) -> [Range<Int>] {
        let parts = max(1, min(parts, lengths.count))
        guard parts > 1 else { return [0..<lengths.count] }
        let total = lengths.reduce(0, +)
        var ranges: [Range<Int>] = [], start = 0, sum = 0, i = 0
        for p in 1..<parts {
            let target = total * p / parts
            // Take sequences while that brings the running sum closer to the target, leaving at least one
            // sequence for each remaining part.
            while i < lengths.count - (parts - p),
                  i == start || abs(sum + lengths[i] - target) <= abs(sum - target) {
                sum += lengths[i]
                i += 1
            }
            ranges.append(start..<i)
            start = i
        }
        ranges.append(start..<lengths.count)
        return ranges
    }

    /// The whole decoder over the sequences `sequences` of `batch`, packed; writes each sequence's final-norm
    /// states to `out` at rows `b·paddedLength + t`. `workers` threads share each packed product (sgemm threads
    /// itself).
    private func run(_ batch: [[Int32]], sequences: Range<Int>, paddedLength T: Int,
                     into out: UncheckedSendable<UnsafeMutablePointer<Float>>, workers: Int) {
        let c = config, kernels = Kernels.active
        let H = c.hidden, qDim = c.heads * c.headDim, kvDim = c.kvHeads * c.headDim
        let qkvDim = qDim + 2 * kvDim, ffn = c.ffn
        var offsets: [Int] = [], N = 0
        for b in sequences { offsets.append(N); N += batch[b].count }
        let lengths = sequences.map { batch[$0].count }
        let maxLength = lengths.max()!

        let scratch = UnsafeMutablePointer<Float>.allocate(
            capacity: N * (2 * H + qkvDim + qDim + 3 * ffn) + Self.attentionBlock * maxLength)
        defer { scratch.deallocate() }
        let x = scratch                        // residual stream, [N, H]
        let xn = x + N * H                     // normalised input of a sub-layer, [N, H]
        let qkv = xn + N * H                   // [N, qkvDim]
        let attn = qkv + N * qkvDim            // [N, qDim]
        let gateUp = attn + N * qDim           // [N, 2·ffn]
        let act = gateUp + N * 2 * ffn         // [N, ffn]
        let scores = act + N * ffn             // attention weights of a block of queries
        let activations = PackedMatrix.Activations()
        func linear(_ w: LinearWeights, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
            w.apply(x, rows: N, into: y, accumulate: accumulate, blas: blas, scratch: activations, workers: workers)
        }

        tokenEmbedding.withUnsafeBufferPointer { e in
            for (k, b) in sequences.enumerated() {
                for (t, id) in batch[b].enumerated() {
                    (x + (offsets[k] + t) * H).update(from: e.baseAddress! + Int(id) * H, count: H)
                }
            }
        }
        for layer in layers {
            // Attention block: x += Wo · attention(RoPE(Wq·n(x)), RoPE(Wk·n(x)), Wv·n(x)).
            layer.attnNorm.withUnsafeBufferPointer {
                kernels.rmsNorm(x, weight: $0.baseAddress!, into: xn, rows: N, dim: H, epsilon: c.rmsEps)
            }
            linear(layer.wqkv, xn, into: qkv)
            for (k, L) in lengths.enumerated() {
                applyRoPE(qkv + offsets[k] * qkvDim, length: L, rowStride: qkvDim)
                attention(qkv + offsets[k] * qkvDim, attn + offsets[k] * qDim, scores, length: L)
            }
            linear(layer.wo, attn, into: x, accumulate: true)

            // Feed-forward block: x += Wdown · (silu(Wgate·n(x)) ⊙ Wup·n(x)).
            layer.ffnNorm.withUnsafeBufferPointer {
                kernels.rmsNorm(x, weight: $0.baseAddress!, into: xn, rows: N, dim: H, epsilon: c.rmsEps)
            }
            linear(layer.wGateUp, xn, into: gateUp)
            for r in 0..<N {
                let row = gateUp + r * 2 * ffn
                kernels.swiGLU(gate: row, up: row + ffn, into: act + r * ffn, count: ffn)
            }
            linear(layer.wDown, act, into: x, accumulate: true)
        }
        outputNorm.withUnsafeBufferPointer { w in
            for (k, b) in sequences.enumerated() {
                kernels.rmsNorm(x + offsets[k] * H, weight: w.baseAddress!, into: out.value + b * T * H,
                                rows: lengths[k], dim: H, epsilon: c.rmsEps)
            }
        }
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

    /// y[rows, outDim] = x[rows, inDim] · Wᵀ with W stored `[outDim, inDim]`, in float32 (the LM head).
    private func linear(_ x: [Float], _ w: [Float], _ y: inout [Float], rows: Int, inDim: Int, outDim: Int) {
        x.withUnsafeBufferPointer { xb in
            w.withUnsafeBufferPointer { wb in
                y.withUnsafeMutableBufferPointer { yb in
                    blas.sgemm(.none, .transposed, m: rows, n: outDim, k: inDim, a: xb.baseAddress!, lda: inDim,
                               b: wb.baseAddress!, ldb: inDim, c: yb.baseAddress!, ldc: outDim)
                }
            }
        }
    }

    /// cos/sin of position · base^(-2i/ropeDims) for `length` positions and every pair, computed in double:
    /// `[position, pair]`.
    static func ropeTables(_ c: LlamaConfig, length: Int) -> ([Float], [Float]) {
        let pairs = c.ropeDims / 2
        var cosT = [Float](repeating: 0, count: length * pairs), sinT = cosT
        for i in 0..<pairs {
            let freq = pow(c.ropeBase, -Double(2 * i) / Double(c.ropeDims))
            for p in 0..<length {
                let angle = Double(p) * freq
                cosT[p * pairs + i] = Float(Foundation.cos(angle))
                sinT[p * pairs + i] = Float(Foundation.sin(angle))
            }
        }
        return (cosT, sinT)
    }

    /// Rotates adjacent pairs (2i, 2i+1) of every Q and K head of one sequence's `length` rows in place (V,
    /// the last kvDim columns, is left).
    private func applyRoPE(_ qkv: UnsafeMutablePointer<Float>, length: Int, rowStride: Int) {
        let c = config, pairs = c.ropeDims / 2
        let rotatedHeads = c.heads + c.kvHeads   // Q heads then K heads are contiguous at the start of a row
        ropeCos.withUnsafeBufferPointer { cosT in
            ropeSin.withUnsafeBufferPointer { sinT in
                for p in 0..<length {
                    let row = qkv + p * rowStride
                    let cs = cosT.baseAddress! + p * pairs, sn = sinT.baseAddress! + p * pairs
                    for h in 0..<rotatedHeads {
                        let head = row + h * c.headDim
                        for i in 0..<pairs {
                            let a = head[2 * i], b = head[2 * i + 1]
                            head[2 * i] = a * cs[i] - b * sn[i]
                            head[2 * i + 1] = a * sn[i] + b * cs[i]
                        }
                    }
                }
            }
        }
    }

    /// Query rows per block of `attention` (its scratch holds `attentionBlock × length` scores).
    static let attentionBlock = 128

    /// Causal grouped-query attention over one sequence's `length` packed rows: softmax(Q·Kᵀ/√d) over keys
    /// 0...t, times V. Query heads share K/V heads in groups of heads/kvHeads. Per head and block of up to
    /// `attentionBlock` queries, two sgemms (scores against the keys up to the block's last query, then the
    /// weighted sum of V), so only about the causal half is computed; `s` is scratch of
    /// `attentionBlock × length` floats.
    private func attention(_ qkv: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
                           length L: Int) {
        let c = config, d = c.headDim, kernels = Kernels.active
        let qDim = c.heads * d, kvDim = c.kvHeads * d, stride = qDim + 2 * kvDim
        let group = c.heads / c.kvHeads
        let scale = 1 / Float(d).squareRoot()
        for h in 0..<c.heads {
            let kvh = h / group
            let q = qkv + h * d, k = qkv + qDim + kvh * d, v = qkv + qDim + kvDim + kvh * d
            var t0 = 0
            while t0 < L {
                let rows = min(Self.attentionBlock, L - t0), keys = t0 + rows
                blas.sgemm(.none, .transposed, m: rows, n: keys, k: d, alpha: scale, a: q + t0 * stride, lda: stride,
                           b: k, ldb: stride, c: s, ldc: keys)
                for r in 0..<rows {
                    let row = s + r * keys, visible = t0 + r + 1
                    kernels.softmax(row, count: visible)
                    (row + visible).update(repeating: 0, count: keys - visible)
                }
                blas.sgemm(.none, .none, m: rows, n: d, k: keys, a: s, lda: keys, b: v, ldb: stride,
                           c: out + t0 * qDim + h * d, ldc: qDim)
                t0 += rows
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
