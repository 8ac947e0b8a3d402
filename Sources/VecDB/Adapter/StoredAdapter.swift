import Embedder
import Foundation

/// A contrastive adapter trained in this database: the frozen vector space it reads, its weights, and how it was
/// trained — enough to rebuild its vectors and to tell two trainings apart.
///
/// Stored in the `adapters` table under its name (docs/FORMAT.md): u32 little-endian length of this record's JSON,
/// the JSON, then μ and the parameters as float32 little-endian.
public struct StoredAdapter: Codable, Sendable {
    /// What the adapter was trained on.
    public struct TrainingData: Codable, Sendable, Equatable {
        /// `pairs FILE` or `dataset DIR (split)`.
        public var source: String
        /// sha256 over the training pairs in order (query text, NUL, document text, newline), so the same data is
        /// recognisable whatever its file name.
        public var sha256: String
        public var queries: Int
        public var pairs: Int
        /// Candidate documents (positives, and the corpus for a dataset).
        public var documents: Int
        public var trainingQueries: Int
        public var validationQueries: Int

        public init(source: String, sha256: String, queries: Int, pairs: Int, documents: Int, trainingQueries: Int,
                    validationQueries: Int) {
            self.source = source
            self.sha256 = sha256
            self.queries = queries
            self.pairs = pairs
            self.documents = documents
            self.trainingQueries = trainingQueries
            self.validationQueries = validationQueries
        }
    }

    /// The adapter's name, also its collection's, e.g. `smollm2+adapter`.
    public var name: String
    /// The frozen model and vector space the adapter reads (its `model` as given to `vecdb train`).
    public var base: VectorSpace
    public var shape: AdapterShape
    public var options: ContrastiveTrainingOptions
    public var data: TrainingData
    public var history: [EpochReport]
    public var bestEpoch: Int
    /// Wall time of embedding the training texts that were not cached, and of the training loop.
    public var embeddingSeconds: Double
    public var trainingSeconds: Double
    /// When it was trained (ISO 8601).
    public var created: String

    public init(name: String, base: VectorSpace, shape: AdapterShape, options: ContrastiveTrainingOptions, data: TrainingData,
                history: [EpochReport], bestEpoch: Int, embeddingSeconds: Double, trainingSeconds: Double, created: String) {
        self.name = name
        self.base = base
        self.shape = shape
        self.options = options
        self.data = data
        self.history = history
        self.bestEpoch = bestEpoch
        self.embeddingSeconds = embeddingSeconds
        self.trainingSeconds = trainingSeconds
        self.created = created
    }

    /// Identifies these weights over this base, standing in for a model's weights hash on the adapter's collection:
    /// retraining under the same name gives another hash, so vectors from the old weights are never mixed in.
    public static func weightsSHA256(base: VectorSpace, adapter: ProjectionAdapter) -> String {
        var hasher = SHA256()
        hasher.update(Array(base.weightsSHA256.utf8))
        for values in [adapter.center, adapter.parameters] {
            values.withUnsafeBytes { hasher.update($0) }
        }
        return hasher.finalize().hexString
    }

    func encoded(weights: ProjectionAdapter) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = Array(try encoder.encode(self))
        var out = Layout.littleEndian(UInt32(json.count)) + json
        for value in weights.center + weights.parameters { out += Layout.littleEndian(value.bitPattern) }
        return out
    }

    /// The record of a stored value and where its weights start, without reading the weights; nil when it is damaged
    /// or of an unknown form (including weights of the wrong length).
    static func decodeRecord(_ raw: UnsafeRawBufferPointer) -> (record: StoredAdapter, weightsOffset: Int)? {
        guard raw.count >= 4 else { return nil }
        let jsonLength = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        guard raw.count >= 4 + jsonLength,
              let record = try? JSONDecoder().decode(StoredAdapter.self, from: Data(raw[4..<4 + jsonLength])) else { return nil }
        let weightBytes = raw.count - 4 - jsonLength
        guard weightBytes == 4 * (record.shape.input + record.shape.parameterCount) else { return nil }
        return (record, 4 + jsonLength)
    }

    /// Decodes a stored value with its weights; nil when it is damaged or of an unknown form.
    static func decode(_ raw: UnsafeRawBufferPointer) -> (StoredAdapter, ProjectionAdapter)? {
        guard let (record, offset) = decodeRecord(raw) else { return nil }
        let values = Layout.floats(UnsafeRawBufferPointer(rebasing: raw[offset...]))
        guard let weights = try? ProjectionAdapter(shape: record.shape, center: Array(values[..<record.shape.input]),
                                                   parameters: Array(values[record.shape.input...])) else { return nil }
        return (record, weights)
    }
}
