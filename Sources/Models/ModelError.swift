/// Why a model could not be found, fetched or set up: cases a program can switch on, each one line naming the
/// model, file or setting involved. Errors inside a model's files come from `Embedder` (`EmbedderError`,
/// `GGUFError`…) and name the file and tensor.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A setting of how text becomes vectors (the CLI's `--pooling`, `--prompt`, `--max-tokens`, `--collection`).
    public enum Setting: String, Sendable {
        case pooling, prompt, maxTokens = "max-tokens", collection, precision
        /// `--stemmer`, `--stopwords`, `--k1`, `--b`: a lexical space's.
        case lexical = "stemmer/stopwords/k1/b"
    }

    /// A catalogue model that is not in the model cache at `cache`.
    case notInstalled(name: String, cache: String)
    /// Neither a catalogue name, an adapter nor a path.
    case unknown(name: String, known: [String])
    /// A path that is not a model vecdb can load.
    case invalidPath(path: String, reason: String)
    /// `model` does not take this value of `setting`; `detail` says what it takes.
    case unsupportedSetting(model: String, setting: Setting, detail: String)
    /// A `MODEL[:POOLING[:PROMPT]]` spec that does not parse.
    case invalidSpec(String)
    /// An adapter's pooling, prompt, token limit and collection were fixed when it was trained.
    case fixedByTraining(adapter: String)
    /// The model an adapter was trained on has other weights now.
    case baseModelChanged(adapter: String, model: String, trained: String, now: String)
    /// Fetching a model failed; `reason` names the step and the file.
    case downloadFailed(package: String, reason: String)
    /// A downloaded file's sha256 is not the pinned one.
    case hashMismatch(file: String, got: String, expected: String)
    /// The lexical space named where only a model will do (embed, tokenize, train, compare).
    case lexicalSpace(name: String)

    public var description: String {
        switch self {
        case .notInstalled(let name, let cache):
            return "model '\(name)' is not installed in \(cache)"
        case .unknown(let name, let known):
            return "unknown model '\(name)': use one of \(known.joined(separator: ", ")), or a path to a model folder or .gguf file"
        case .invalidPath(let path, let reason):
            return "\(path): \(reason)"
        case .unsupportedSetting(let model, let setting, let detail):
            return "\(model): \(setting.rawValue) \(detail)"
        case .invalidSpec(let spec):
            return "'\(spec)' is not MODEL[:POOLING[:PROMPT]]"
        case .fixedByTraining(let adapter):
            return "'\(adapter)' is an adapter: its pooling, prompt, token limit and collection were fixed when it was trained"
        case .baseModelChanged(let adapter, let model, let trained, let now):
            return "adapter '\(adapter)' was trained on \(model) with weights sha256 \(trained.prefix(12))…, "
                + "but that model now has \(now.prefix(12))…"
        case .downloadFailed(let package, let reason):
            return "fetching \(package) failed: \(reason)"
        case .hashMismatch(let file, let got, let expected):
            return "\(file): sha256 \(got) does not match the expected \(expected)"
        case .lexicalSpace(let name):
            return "'\(name)' is the lexical (BM25) space: it has no model or vectors; use it with ingest, query and eval"
        }
    }
}
