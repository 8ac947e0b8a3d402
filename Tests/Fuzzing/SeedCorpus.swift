import Embedder
import Foundation

/// Small valid inputs of each target's format, shaped like the real files (a sentence-transformers header, a
/// llama GGUF with a byte-level vocabulary, cut-down MiniLM and SmolLM2 tokenizer.json files, JSON Lines as
/// users write them), for the mutator to start from. Valid seeds matter: mutations of garbage test only the
/// first check of a parser.
public enum SeedCorpus {
    /// The seeds of `target`, built from the context's tokenizer files.
    public static func seeds(for target: FuzzTarget, context: FuzzContext) throws -> [[UInt8]] {
        switch target {
        case .safetensors: return safetensors()
        case .gguf: return try gguf(context)
        case .bpeJSON: return [try smallBPEJSON(context)]
        case .wordPieceJSON: return [try smallWordPieceJSON(context)]
        case .jsonl: return jsonl()
        case .wordPiece, .bpe: return try texts(context)
        }
    }

    // MARK: - safetensors

    static func safetensors() -> [[UInt8]] {
        func file(_ tensors: [(name: String, dtype: String, shape: [Int], size: Int)]) -> [UInt8] {
            var entries = ["\"__metadata__\":{\"format\":\"pt\"}"]
            var data: [UInt8] = []
            for t in tensors {
                let begin = data.count
                for i in 0..<(t.shape.reduce(1, *) * t.size) { data.append(UInt8(truncatingIfNeeded: i &* 37 &+ 0x3C)) }
                entries.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":\(t.shape),\"data_offsets\":[\(begin),\(data.count)]}")
            }
            var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
            // Real writers pad the header with spaces to a multiple of 8.
            while header.count % 8 != 0 { header.append(0x20) }
            var length = UInt64(header.count)
            let prefix = withUnsafeBytes(of: &length) { Array($0) }
            return prefix + header + data
        }
        return [
            file([("embeddings.word_embeddings.weight", "F32", [4, 3], 4), ("encoder.layer.0.output.LayerNorm.bias", "F16", [3], 2),
                  ("pooler.dense.weight", "BF16", [2, 2], 2), ("embeddings.position_ids", "I64", [1, 3], 8)]),
            file([("empty", "F32", [0], 4), ("scalar", "F32", [], 4)]),
            file([]),
        ]
    }

    // MARK: - GGUF

    /// A two-layer-shaped llama header with SmolLM2's first tokens and merges, and one small tensor of every
    /// block format; once as v3, once as v1 (32-bit lengths).
    static func gguf(_ context: FuzzContext) throws -> [[UInt8]] {
        let (tokens, types, merges) = try smallBPE(context)
        let hidden = 32
        let metadata: [(String, GGUFValue)] = [
            ("general.architecture", .string("llama")), ("general.alignment", .uint32(32)),
            ("llama.block_count", .uint32(1)), ("llama.embedding_length", .uint32(UInt32(hidden))),
            ("llama.feed_forward_length", .uint32(64)), ("llama.attention.head_count", .uint32(4)),
            ("llama.attention.head_count_kv", .uint32(2)), ("llama.rope.freq_base", .float32(10_000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)), ("llama.context_length", .uint32(128)),
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string("smollm")),
            ("tokenizer.ggml.tokens", .array(.string, tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(.int32, types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(.string, merges.map { .string($0) })),
        ]
        var tensors: [GGUFTestWriter.Tensor] = []
        for type in GGMLType.allCases {
            let rowLength = max(type.blockSize, 4)
            let bytes = type.byteCount(values: rowLength * 2)!
            // Scales of 0x3C00 (fp16 1.0) and small values: finite outputs, like a real file.
            let data = (0..<bytes).map { i in UInt8(truncatingIfNeeded: i % 2 == 0 ? 0x00 : 0x3C) }
            tensors.append(.init(name: "blk.0.\(type).weight", dims: [UInt64(rowLength), 2], type: type, data: data))
        }
        let embedding = GGMLType.q8_0.byteCount(values: hidden * tokens.count)!
        tensors.append(.init(name: "token_embd.weight", dims: [UInt64(hidden), UInt64(tokens.count)], type: .q8_0,
                             data: [UInt8](repeating: 0x11, count: embedding)))
        return [
            GGUFTestWriter.file(version: 3, metadata: metadata, tensors: tensors),
            GGUFTestWriter.file(version: 1, metadata: metadata, tensors: Array(tensors.suffix(3))),
        ]
    }

    // MARK: - tokenizer.json

    /// SmolLM2's vocabulary cut to its first `count` ids, with the merges that stay inside it.
    static func smallBPE(_ context: FuzzContext, count: Int = 400) throws -> (tokens: [String], types: [Int32], merges: [String]) {
        let tokens = Array(context.bpe.tokens.prefix(count))
        let types = Array(context.bpe.tokenTypes.prefix(count))
        let known = Set(tokens.map { Array($0.utf8) })
        let merges = try bpeRoot(context).model.merges.filter { merge in
            let parts = merge.split(separator: " ", omittingEmptySubsequences: false)
            return parts.count == 2 && known.contains(Array(parts[0].utf8)) && known.contains(Array(parts[1].utf8))
                && known.contains(Array((parts[0] + parts[1]).utf8))
        }
        return (tokens, types, merges)
    }

    private struct BPERoot: Decodable {
        struct Model: Decodable { var merges: [String] }
        var model: Model
    }

    private static func bpeRoot(_ context: FuzzContext) throws -> BPERoot {
        try JSONDecoder().decode(BPERoot.self, from: Data(contentsOf: context.bpeTokenizer))
    }

    static func smallBPEJSON(_ context: FuzzContext) throws -> [UInt8] {
        let (tokens, types, merges) = try smallBPE(context)
        let vocab = tokens.enumerated().map { ($0.element, $0.offset) }
        let added = tokens.indices.filter { types[$0] == 3 }.map {
            ["id": $0, "content": tokens[$0], "special": true, "normalized": false] as [String: Any]
        }
        let root: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(), "added_tokens": added, "normalizer": NSNull(),
            "pre_tokenizer": ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            ]],
            "model": ["type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "fuse_unk": false, "byte_fallback": false,
                      "vocab": Dictionary(uniqueKeysWithValues: vocab), "merges": merges],
        ]
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]))
    }

    /// MiniLM's tokenizer.json with the vocabulary cut to its first 2,500 ids (specials, single characters and
    /// the first `##` pieces), so one input parses in well under a millisecond.
    static func smallWordPieceJSON(_ context: FuzzContext) throws -> [UInt8] {
        let data = try Data(contentsOf: context.minilmTokenizer)
        guard var root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              var model = root["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Any] else {
            throw FuzzFailure("\(context.minilmTokenizer.path): not a WordPiece tokenizer.json")
        }
        model["vocab"] = vocab.filter { (($0.value as? Int) ?? .max) < 2500 }
        root["model"] = model
        return Array(try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys]))
    }

    // MARK: - JSON Lines and text

    static func jsonl() -> [[UInt8]] {
        [
            """
            {"id": "doc-1", "text": "A graphics processing unit (GPU) is an electronic circuit.", "source": "wiki", "year": 2024}
            {"text": "OpenAI is based at San Francisco."}\r
            {"id": 42, "text": "Ελληνικά مرحبا עברית école", "tags": ["a", "b"], "nested": {"k": null}}

               \t
            {"id": "x", "text": "emoji 😶‍🌫️ and \\u00e9 escapes \\ud83d\\ude00"}
            """,
            "{\"text\":\"no final newline\",\"id\":-1.5e3,\"ok\":true}\r\n{\"text\":\"\\\\ \\\" \\t\\u0041\"}",
        ].map { Array($0.utf8) }
    }

    /// The tokenizer corpus (llama.cpp's test texts) plus texts aimed at the normalisers and pre-tokenizers.
    static func texts(_ context: FuzzContext) throws -> [[UInt8]] {
        struct Corpus: Decodable {
            struct Case: Decodable { var text: String }
            var smollm2_bpe_no_special: [Case]
        }
        let corpus = try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: context.tokenizerCorpus))
        let extra = [
            "[CLS] hello [SEP] <|im_start|>user\nhi<|im_end|>", "e\u{301}\u{302}\u{303} \u{202E}abc\u{202C} \u{200F}שלום",
            String(repeating: "a", count: 101), "I'll we've they're 'S 'T", "\u{0}\u{1}\u{FFFD}\u{FEFF}\u{7F}",
            "İstanbul ß ﬁ ＡＢＣ ½ ²", "123456789012345678901234567890", "    \n\n\t\t  x",
        ]
        return (corpus.smollm2_bpe_no_special.map(\.text) + extra).map { Array($0.utf8) }
    }
}
