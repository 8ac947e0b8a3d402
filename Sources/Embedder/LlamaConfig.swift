/// Llama hyper-parameters from GGUF metadata (`<arch>.block_count`, `.embedding_length`, …).
public struct LlamaConfig: Sendable, Equatable {
    public var layers: Int
    public var hidden: Int
    public var ffn: Int
    public var heads: Int
    public var kvHeads: Int
    public var headDim: Int
    /// Dimensions of each head that RoPE rotates (all of them for SmolLM2).
    public var ropeDims: Int
    public var ropeBase: Double
    public var rmsEps: Float
    public var contextLength: Int
    public var vocabSize: Int

    /// Reads the `llama` architecture keys; throws naming the file and key when one is missing or inconsistent.
    public init(gguf: GGUFFile) throws {
        let arch = try gguf.require("general.architecture").stringValue ?? ""
        guard arch == "llama" else {
            throw GGUFError(file: gguf.name, field: "metadata 'general.architecture'", reason: "'\(arch)' is not llama")
        }
        layers = try gguf.requireInt("llama.block_count")
        hidden = try gguf.requireInt("llama.embedding_length")
        ffn = try gguf.requireInt("llama.feed_forward_length")
        heads = try gguf.requireInt("llama.attention.head_count")
        kvHeads = gguf["llama.attention.head_count_kv"]?.intValue ?? heads
        ropeBase = gguf["llama.rope.freq_base"]?.doubleValue ?? 10_000
        rmsEps = Float(try gguf.requireDouble("llama.attention.layer_norm_rms_epsilon"))
        contextLength = gguf["llama.context_length"]?.intValue ?? 2048
        let field = "metadata 'llama.attention.head_count'"
        guard layers > 0, hidden > 0, ffn > 0, heads > 0, kvHeads > 0, hidden % heads == 0, heads % kvHeads == 0 else {
            throw GGUFError(file: gguf.name, field: field, reason: "inconsistent shape: hidden \(hidden), heads \(heads), kv heads \(kvHeads)")
        }
        headDim = hidden / heads
        ropeDims = gguf["llama.rope.dimension_count"]?.intValue ?? headDim
        guard ropeDims > 0, ropeDims <= headDim, ropeDims % 2 == 0 else {
            throw GGUFError(file: gguf.name, field: "metadata 'llama.rope.dimension_count'", reason: "\(ropeDims) for head dim \(headDim)")
        }
        let embd = try gguf.requireTensor("token_embd.weight")
        vocabSize = embd.rowCount
        guard embd.rowLength == hidden else {
            throw GGUFError(file: gguf.name, field: "tensor 'token_embd.weight'", reason: "rows of \(embd.rowLength), expected \(hidden)")
        }
    }
}
