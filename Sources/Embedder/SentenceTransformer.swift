import Foundation

/// A sentence-transformers BERT model folder (e.g. all-MiniLM-L6-v2): WordPiece → BERT → masked mean
/// pooling → L2 normalisation, computed by vecdb's own code (linear layers on OpenBLAS or its packed products).
///
/// Also accepts a plain Hugging Face BERT folder (`config.json`, `model.safetensors`, `tokenizer.json` or
/// `vocab.txt`): mean pooling, up to min(512, max_position_embeddings) tokens.
public final class SentenceTransformer: EmbeddingModel {
    public let dimensions: Int
    /// From `sentence_bert_config.json`'s `max_seq_length` (256 for MiniLM) — not `tokenizer.json`'s own
    /// truncation setting (128), which sentence-transformers ignores.
    public let maxTokens: Int
    /// The weight file, so that the database can record its sha256.
    public let weightsFile: URL
    /// The model folder this was loaded from.
    public let folder: URL
    /// Whether the folder's pipeline has a Normalize module. Vectors are L2-normalised either way, since the
    /// database stores unit vectors; a model without one still ranks the same under cosine similarity.
    public let declaresNormalize: Bool
    /// Texts per forward pass. Texts are sorted by length first, so batches hold similar lengths.
    public var batchSize: Int

    public let tokenizer: WordPieceTokenizer
    public let model: BertModel
    /// sentence-transformers' own `do_lower_case`: lowercases the text before the tokenizer sees it.
    private let lowercaseInput: Bool

    /// Loads the model folder; the encoder's linear layers run at `precision`.
    public init(folder: URL, batchSize: Int = 32, precision: Precision = .f32) throws {
        self.folder = folder
        self.batchSize = max(1, batchSize)
        let files = FileManager.default
        func json(_ url: URL) throws -> Any? {
            guard files.fileExists(atPath: url.path) else { return nil }
            guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) else {
                throw EmbedderError.file(url.path, "cannot read as JSON")
            }
            return object
        }

        // modules.json says where the transformer and pooling configs live; a plain HF folder has none.
        var transformerFolder = folder
        var poolingFolder: URL?
        var normalize = false
        if let modules = try json(folder.appendingPathComponent("modules.json")) {
            guard let list = modules as? [[String: Any]] else {
                throw EmbedderError.file("modules.json", "expected a list of modules")
            }
            for module in list {
                let type = (module["type"] as? String) ?? ""
                let path = (module["path"] as? String) ?? ""
                let location = path.isEmpty ? folder : folder.appendingPathComponent(path)
                switch type.split(separator: ".").last.map(String.init) ?? type {
                case "Transformer": transformerFolder = location
                case "Pooling": poolingFolder = location
                case "Normalize": normalize = true
                default:
                    throw EmbedderError.file("modules.json", "module '\(type)' is not supported (Transformer, Pooling, Normalize are)")
                }
            }
        }
        declaresNormalize = normalize

        if let pooling = try poolingFolder.flatMap({ try json($0.appendingPathComponent("config.json")) }) {
            guard let settings = pooling as? [String: Any] else {
                throw EmbedderError.file("1_Pooling/config.json", "expected a JSON object")
            }
            let enabled = settings.filter { $0.key.hasPrefix("pooling_mode") && (($0.value as? Bool) == true) }.map(\.key).sorted()
            let modeName = settings["pooling_mode"] as? String
            guard enabled == ["pooling_mode_mean_tokens"] || (enabled.isEmpty && modeName == "mean") else {
                throw EmbedderError.file(
                    "1_Pooling/config.json",
                    "pooling \(modeName ?? enabled.joined(separator: "+")) is not supported; only mean pooling (pooling_mode_mean_tokens) is")
            }
        }

        let config = try BertConfig(contentsOf: transformerFolder.appendingPathComponent("config.json"))
        var maxTokens = min(512, config.maxPositionEmbeddings)
        var lowercase = false
        let sentenceConfigURL = transformerFolder.appendingPathComponent("sentence_bert_config.json")
        if let sentenceConfig = try json(sentenceConfigURL) as? [String: Any] {
            if let length = (sentenceConfig["max_seq_length"] as? NSNumber)?.intValue {
                guard length >= 2 else { throw EmbedderError.file(sentenceConfigURL.path, "max_seq_length \(length) is below 2") }
                maxTokens = min(length, config.maxPositionEmbeddings)
            }
            lowercase = (sentenceConfig["do_lower_case"] as? Bool) ?? false
        }
        self.maxTokens = maxTokens
        lowercaseInput = lowercase

        let tokenizerJSON = transformerFolder.appendingPathComponent("tokenizer.json")
        if files.fileExists(atPath: tokenizerJSON.path) {
            tokenizer = try WordPieceTokenizer(tokenizerJSON: tokenizerJSON)
        } else {
            let vocab = transformerFolder.appendingPathComponent("vocab.txt")
            guard files.fileExists(atPath: vocab.path) else {
                throw EmbedderError("\(transformerFolder.path): neither tokenizer.json nor vocab.txt found")
            }
            // tokenizer_config.json's do_lower_case decides cased vs uncased; BERT's default is uncased.
            let settings = try json(transformerFolder.appendingPathComponent("tokenizer_config.json")) as? [String: Any]
            let lower = (settings?["do_lower_case"] as? Bool) ?? true
            tokenizer = try WordPieceTokenizer(vocabTxt: vocab, normalizer: BertNormalizer(
                handleChineseChars: (settings?["tokenize_chinese_chars"] as? Bool) ?? true,
                stripAccents: settings?["strip_accents"] as? Bool, lowercase: lower))
        }

        weightsFile = transformerFolder.appendingPathComponent("model.safetensors")
        guard files.fileExists(atPath: weightsFile.path) else {
            throw EmbedderError("\(transformerFolder.path): no model.safetensors (only safetensors weights are supported)")
        }
        model = try BertModel(config: config, weights: weightsFile, precision: precision)
        guard tokenizer.vocabularySize <= model.config.vocabSize else {
            throw EmbedderError.file(weightsFile.path, "embedding table has \(model.config.vocabSize) rows but the tokenizer has \(tokenizer.vocabularySize) ids")
        }
        dimensions = model.config.hiddenSize
    }

    public func tokenize(_ text: String) throws -> TokenizedText {
        tokenizer.encode(lowercaseInput ? text.lowercased() : text, maxTokens: maxTokens)
    }

    public func embed(_ texts: [String]) throws -> [Embedding] {
        let tokenized = try texts.map { try tokenize($0) }
        // Sorting by length keeps each batch's sequences alike, so per-batch work is balanced and the
        // attention scratch stays small; the results go back to input order below.
        let order = tokenized.indices.sorted { tokenized[$0].ids.count < tokenized[$1].ids.count }
        var results = [Embedding?](repeating: nil, count: texts.count)
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(start + batchSize, order.count)])
            let vectors = try model.embeddings(batch.map { tokenized[$0].ids }, pooling: .mean)
            for (index, vector) in zip(batch, vectors) {
                results[index] = Embedding(vector: vector, tokenCount: tokenized[index].ids.count, truncated: tokenized[index].truncated)
            }
            start += batchSize
        }
        return results.map { $0! }
    }
}
