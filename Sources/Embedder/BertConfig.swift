import Foundation

/// The fields of a Hugging Face BERT `config.json` that the forward pass needs.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var layerNormEps: Float
    public var maxPositionEmbeddings: Int
    public var vocabSize: Int

    public init(hiddenSize: Int, numHiddenLayers: Int, numAttentionHeads: Int, intermediateSize: Int,
                layerNormEps: Float, maxPositionEmbeddings: Int, vocabSize: Int) {
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.layerNormEps = layerNormEps
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.vocabSize = vocabSize
    }

    /// Reads `config.json`; rejects activations other than exact `gelu` and absolute position embeddings.
    public init(contentsOf url: URL) throws {
        let path = url.path
        guard let data = try? Data(contentsOf: url),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EmbedderError.file(path, "cannot read a JSON object")
        }
        func integer(_ key: String) throws -> Int {
            guard let value = (object[key] as? NSNumber)?.intValue, value > 0 else {
                throw EmbedderError.file(path, "field '\(key)' is missing or not a positive integer")
            }
            return value
        }
        let activation = (object["hidden_act"] as? String) ?? "missing"
        // "gelu_new"/"gelu_pytorch_tanh" are the tanh approximation: a different model, not a rounding detail.
        guard activation == "gelu" else {
            throw EmbedderError.file(path, "field 'hidden_act' is '\(activation)'; only exact erf 'gelu' is supported")
        }
        if let kind = object["position_embedding_type"] as? String, kind != "absolute" {
            throw EmbedderError.file(path, "field 'position_embedding_type' is '\(kind)'; only 'absolute' is supported")
        }
        self.init(
            hiddenSize: try integer("hidden_size"), numHiddenLayers: try integer("num_hidden_layers"),
            numAttentionHeads: try integer("num_attention_heads"), intermediateSize: try integer("intermediate_size"),
            layerNormEps: (object["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12,
            maxPositionEmbeddings: try integer("max_position_embeddings"), vocabSize: try integer("vocab_size"))
        guard hiddenSize % numAttentionHeads == 0 else {
            throw EmbedderError.file(path, "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
    }
}
