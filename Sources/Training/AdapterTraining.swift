import BLAS
import Embedder
import Foundation
import Models
import VecDB

/// Where `trainAdapter` is, for progress display.
public enum AdapterTrainingProgress: Sendable {
    /// Frozen vectors: `done` of `total` texts of `what` (documents, queries) have them.
    case embedding(what: String, done: Int, total: Int)
    case epoch(EpochReport)
    /// Stored documents getting their adapted vectors.
    case filling(done: Int, total: Int)
}

extension VectorDatabase {
    /// Trains adapter `name` on `base`'s single vector space and stores it as a space of its own.
    ///
    /// 1. Frozen vectors: a dataset's corpus is ingested into the base collection (documents already there are not
    ///    embedded again); queries and a pairs file's texts go through the embedding cache. The model never runs
    ///    twice for the same text.
    /// 2. `ContrastiveTrainer` learns the map (symmetric InfoNCE, Adam, best validation epoch). Hard negatives of a
    ///    corpus are mined with the base collection's search; a pairs file's by exact search over its positives.
    /// 3. The adapter is stored, its collection (re)created, and every document with a frozen vector gets its
    ///    adapted one.
    public func trainAdapter(
        name: String, base: SpaceEmbedder, data: AdapterTrainingData, options: ContrastiveTrainingOptions,
        progress: (AdapterTrainingProgress) -> Void = { _ in }
    ) throws -> StoredAdapter {
        try Self.checkAdapterName(name)
        guard base.spaces.count == 1 else { throw VecDBError.invalidArgument("an adapter reads one vector space; \(base.spaces.count) were given") }
        guard base.adapter == nil else { throw VecDBError.invalidArgument("'\(base.reference.given)' is an adapter already; train on its base model") }
        let space = base.spaces[0]
        guard name != space.collection else { throw VecDBError.invalidArgument("the adapter needs a name other than its base collection '\(name)'") }

        let embeddingStarted = Date()
        let documentVectors: [[Float]]
        var documentIDs: [UInt64] = []
        if data.documentsAreCorpus {
            let records = data.documents.enumerated().map { IngestRecord(text: $1.text, externalID: $1.externalID, line: $0 + 1) }
            progress(.embedding(what: "documents", done: 0, total: records.count))
            _ = try ingest(from: InputReader(records: records, sourceName: data.source), embedder: base) { commit in
                progress(.embedding(what: "documents", done: commit.summary.linesCommitted, total: records.count))
            }
            let ids = try data.documents.map { document -> UInt64 in
                guard let id = try documentID(externalID: document.externalID!) else {
                    throw VecDBError.conflict("document '\(document.externalID!)' vanished during training; another writer deleted it")
                }
                return id
            }
            documentIDs = ids
            let stored = try read { try $0.vectors(collection: space.collection, documentIDs: ids) }
            documentVectors = try ids.map { id in
                guard let vector = stored[id] else { throw VecDBError.conflict("document \(id) has no vector in '\(space.collection)'") }
                return vector
            }
        } else {
            documentVectors = try cachedEmbeddings(data.documents.map(\.text), embedder: base) { done, total in
                progress(.embedding(what: "documents", done: done, total: total))
            }
        }
        let queryVectors = try cachedEmbeddings(data.queries, embedder: base) { done, total in
            progress(.embedding(what: "queries", done: done, total: total))
        }
        let embeddingSeconds = Date().timeIntervalSince(embeddingStarted)

        let trainingStarted = Date()
        // Hard negatives of a corpus come from the base collection's own search (its HNSW index once it is large).
        var ranked: [[Int]]?
        if options.hardNegatives > 0 && data.documentsAreCorpus {
            let position = Dictionary(uniqueKeysWithValues: documentIDs.enumerated().map { ($1, $0) })
            ranked = try zip(queryVectors, data.relevant).map { vector, relevant in
                try search(collection: space.collection, query: vector, k: options.hardNegatives + relevant.count)
                    .hits.compactMap { position[$0.document.id] }
            }
        }
        let set = try ContrastiveTrainingSet(queries: queryVectors, documents: documentVectors, relevant: data.relevant,
                                             ranked: ranked)
        let result = try ContrastiveTrainer.train(set, options: options, blas: try BLAS.shared()) { progress(.epoch($0)) }
        let trainingSeconds = Date().timeIntervalSince(trainingStarted)

        let record = StoredAdapter(
            name: name,
            base: space,
            shape: result.adapter.shape, options: options,
            data: StoredAdapter.TrainingData(
                source: data.source, sha256: data.sha256, queries: data.queries.count, pairs: data.pairCount,
                documents: data.documents.count, trainingQueries: result.trainingQueries,
                validationQueries: result.validationQueries),
            history: result.history, bestEpoch: result.bestEpoch, embeddingSeconds: embeddingSeconds,
            trainingSeconds: trainingSeconds, created: ISO8601DateFormatter().string(from: Date()))
        try write { try $0.putAdapter(record, weights: result.adapter) }
        try fillAdapterSpace(name) { done, total in progress(.filling(done: done, total: total)) }
        return record
    }

    /// Adapter names share the collection namespace and appear in `MODEL:POOLING:PROMPT` specs, so no ':' or '/'.
    static func checkAdapterName(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+".unicodeScalars)
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(allowed.contains) else {
            throw VecDBError.invalidArgument("adapter name '\(name)' may use only letters, digits and - _ . +")
        }
        guard ModelCatalog.spec(named: name) == nil else { throw VecDBError.alreadyExists(.collection(name)) }
    }
}
