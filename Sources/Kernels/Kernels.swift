import CKernels

/// One compiled set of vecdb's numeric kernels (dot product, activations, norms, softmax, attention pieces, f16
/// widening), and the way every other module reaches them.
///
/// The kernels are C (CKernels), compiled once per instruction set with per-function `target` attributes, so the
/// package builds without compiler flags (SwiftPM refuses `unsafeFlags` in a dependency pinned by version) and still
/// runs AVX-512 where the CPU has it. The set in use is chosen once at load time from cpuid; `VECDB_KERNELS=portable`
/// (or `avx2`, `avx512`) forces one, as far as the CPU allows. The SIMD sets give identical results; the portable set
/// on x86-64 does not fuse multiply-adds and may differ in the last bits.
///
/// Hot loops take `let kernels = Kernels.active` once and call through it; the calls are indirect through a table that
/// never changes after start-up.
public struct Kernels: Sendable, Equatable, CustomStringConvertible {
    @usableFromInline let index: Int32

    @inlinable var table: UnsafePointer<vecdb_kernel_table> { vecdb_kernels_at(index) }

    /// The set every caller gets: the fastest this CPU supports, unless `VECDB_KERNELS` named another supported one.
    @inlinable public static var active: Kernels { Kernels(index: vecdb_kernels_active_index()) }

    /// Every set this CPU can run, fastest first; the last is `portable`.
    public static var supported: [Kernels] {
        (0..<vecdb_kernel_table_count).filter { vecdb_kernels_supported($0) }.map { Kernels(index: $0) }
    }

    /// The value of `VECDB_KERNELS` at start-up, nil when unset (an unknown or unsupported name leaves the fastest set).
    public static var requested: String? { vecdb_kernels_requested().map { String(cString: $0) } }

    /// The set called `name` ("avx512", "avx2", "portable"), nil when this build lacks it or this CPU cannot run it.
    public init?(named name: String) {
        guard let set = Kernels.supported.first(where: { $0.name == name }) else { return nil }
        self = set
    }

    @usableFromInline init(index: Int32) { self.index = index }

    public var name: String { String(cString: table.pointee.name) }
    public var description: String { name }

    // MARK: - Vectors

    /// Σ a[i]·b[i] over `count` floats at any 2-byte-aligned addresses (LMDB's memory map aligns no better). vecdb
    /// stores unit vectors, so this is also their cosine similarity.
    @inlinable
    public func dot(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        table.pointee.dot(a, b, count)
    }

    /// Σ a[i]·b[i] of two arrays of equal length.
    public func dot(_ a: [Float], _ b: [Float]) -> Float { Kernels.pairwise(a, b, table.pointee.dot) }

    /// Σ (a[i] − b[i])² over `count` floats at any 2-byte-aligned addresses: the Euclidean distance, squared.
    @inlinable
    public func l2Squared(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, count: Int) -> Float {
        table.pointee.l2_squared(a, b, count)
    }

    /// Σ (a[i] − b[i])² of two arrays of equal length.
    public func l2Squared(_ a: [Float], _ b: [Float]) -> Float { Kernels.pairwise(a, b, table.pointee.l2_squared) }

    /// A two-vector kernel over arrays of equal length (0 for empty ones).
    private static func pairwise(_ a: [Float], _ b: [Float],
                                 _ kernel: @convention(c) (UnsafeRawPointer, UnsafeRawPointer, Int) -> Float) -> Float {
        precondition(a.count == b.count, "vectors of different lengths")
        if a.isEmpty { return 0 }
        return a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in kernel(pa.baseAddress!, pb.baseAddress!, a.count) } }
    }

    /// out[0..<dim] = Σⱼ weights[j] · rows[j·rowStride ..< j·rowStride + dim]: attention's weighted sum of values; for
    /// `queries` > 1, the same for each row q of weights (`weightsStride` apart) into row q of out (`outStride` apart).
    @inlinable
    public func weightedSum(weights: UnsafePointer<Float>, weightsStride: Int = 0, queries: Int = 1, count: Int,
                            rows: UnsafePointer<Float>, rowStride: Int, dim: Int, into out: UnsafeMutablePointer<Float>,
                            outStride: Int = 0) {
        table.pointee.weighted_sum(weights, weightsStride, queries, count, rows, rowStride, dim, out, outStride)
    }

    /// scores[0..<padded] = scale · (query · key j) for keys stored transposed, `keysTransposed[c·padded + j]`, so 16
    /// scores come from one multiply-add per query component; for `queries` > 1, the same for each query row
    /// (`queryStride` apart) into each score row (`scoresStride` apart). `padded` is a multiple of 16 and keys past the
    /// real ones are zero.
    @inlinable
    public func attentionScores(query: UnsafePointer<Float>, queryStride: Int = 0, queries: Int = 1,
                                keysTransposed: UnsafePointer<Float>, dim: Int, padded: Int, scale: Float,
                                into scores: UnsafeMutablePointer<Float>, scoresStride: Int = 0) {
        precondition(padded % 16 == 0, "padded key count must be a multiple of 16")
        table.pointee.scores_transposed(query, queryStride, queries, keysTransposed, dim, padded, scale, scores, scoresStride)
    }

    // MARK: - Activations and norms

    /// e^x of each value (|relative error| ≤ 1e-6; inputs below -87 give ~1e-38, not 0).
    public func exp(_ values: [Float]) -> [Float] { map(values, table.pointee.exp) }

    /// erf of each value (|absolute error| ≤ 1e-6), the heart of BERT's exact GELU.
    public func erf(_ values: [Float]) -> [Float] { map(values, table.pointee.erf) }

    /// Exact (erf) GELU in place: ½·v·(1 + erf(v/√2)), BERT's `gelu`, not the tanh approximation.
    @inlinable
    public func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) { table.pointee.gelu(values, count) }

    /// Post-norm residual step, in place: row = LayerNorm(row + residual + bias) (each optional), biased variance as in
    /// PyTorch.
    @inlinable
    public func layerNorm(_ row: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?,
                          bias: UnsafePointer<Float>?, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                          count: Int, epsilon: Float) {
        table.pointee.layer_norm(row, residual, bias, gamma, beta, count, epsilon)
    }

    /// y = x / sqrt(mean(x²) + ε) · weight for each of `rows` rows of `dim` values (Llama's RMSNorm).
    @inlinable
    public func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                        rows: Int, dim: Int, epsilon: Float) {
        table.pointee.rms_norm(x, weight, y, rows, dim, epsilon)
    }

    /// out[i] = silu(gate[i]) · up[i] (Llama's SwiGLU feed-forward gate).
    @inlinable
    public func swiGLU(gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                       count: Int) {
        table.pointee.swiglu(gate, up, out, count)
    }

    /// Softmax in place, shifted by the maximum so large scores cannot overflow.
    @inlinable
    public func softmax(_ values: UnsafeMutablePointer<Float>, count: Int) { table.pointee.softmax(values, count, nil) }

    /// Softmax in place; returns log Σ e^x of the input, which a cross-entropy loss needs beside the probabilities.
    public func softmax(_ values: inout [Float]) -> Float {
        var logSumExp = -Float.infinity
        if values.isEmpty { return logSumExp }
        values.withUnsafeMutableBufferPointer { table.pointee.softmax($0.baseAddress!, $0.count, &logSumExp) }
        return logSumExp
    }

    // MARK: - Formats

    /// Widens `count` IEEE halves at `source` (any alignment) into floats, exactly.
    @inlinable
    public func widenHalves(_ source: UnsafeRawPointer, into destination: UnsafeMutablePointer<Float>, count: Int) {
        table.pointee.half_to_float(source, destination, count)
    }

    private func map(_ values: [Float],
                     _ kernel: @convention(c) (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        if values.isEmpty { return [] }
        return [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { kernel($0.baseAddress!, out.baseAddress!, values.count) }
            initialized = values.count
        }
    }
}
