import Foundation
import Kernels
import VecDB

/// One model evaluated on a BEIR dataset: the corpus ingested into a collection, every query of the split
/// searched, and the run scored with BEIR's metrics.
public struct RetrievalEvaluation: Sendable {
    /// A reported metric: a measure at a cutoff, named like BEIR/MTEB's keys (`ndcg_at_10`).
    public struct Metric: Sendable, Hashable {
        public var measure: IRMetrics.Measure
        public var k: Int
        public var key: String { "\(measure.rawValue)_at_\(k)" }
        /// Display name, e.g. "nDCG@10".
        public var label: String {
            let names: [IRMetrics.Measure: String] = [.ndcg: "nDCG", .mrr: "MRR", .recall: "Recall", .map: "MAP"]
            return "\(names[measure]!)@\(k)"
        }

        public init(_ measure: IRMetrics.Measure, k: Int) {
            self.measure = measure
            self.k = k
        }
    }

    /// The metrics `vecdb eval` reports, in report order.
    public static let reported: [Metric] = [
        Metric(.ndcg, k: 10), Metric(.mrr, k: 10), Metric(.recall, k: 10), Metric(.recall, k: 100), Metric(.map, k: 10),
    ]

    /// Where an evaluation is, for progress display.
    public enum Phase: String, Sendable {
        case ingest, embedQueries = "embed queries", search
    }

    /// The model's name as given (catalogue name or path).
    public var model: String
    public var collection: String
    public var mode: SearchMode
    /// Documents retrieved per query.
    public var k: Int
    /// Mean of each reported metric over the split's judged queries, by `Metric.key`.
    public var metrics: [String: Double]
    /// The retrieved documents of every query (external ids, cosine scores), best first.
    public var run: [String: [ScoredDocument]]
    /// Cosine similarity of each query to each of its judged-relevant documents (all of them, retrieved or not).
    public var relevantScores: [Double]
    /// Cosine similarity of each query to the documents in its top k that are not judged relevant.
    public var nonRelevantScores: [Double]
    /// What ingesting the corpus did (mostly "already present" when the database had it).
    public var ingest: IngestSummary
    public var ingestSeconds: Double
    public var queryEmbeddingSeconds: Double
    public var searchSeconds: Double
    /// Ingest + query embedding + search + scoring, excluding model loading.
    public var seconds: Double
    public var queryCount: Int

    /// Evaluates every vector space of `embedder` on `dataset`: ingests the corpus into the spaces' collections (one
    /// forward pass fills them all; documents already stored with the same text are not embedded again), embeds all
    /// queries in one call, searches each collection for the top `k` — through its HNSW index with ef = k unless
    /// `exact` or the collection has no index — and scores each run.
    public static func run(
        dataset: BEIRDataset, database: VectorDatabase, embedder: SpaceEmbedding, k: Int = 100, exact: Bool = false,
        batchSize: Int = 256, progress: (Phase, _ done: Int, _ total: Int) -> Void = { _, _, _ in }
    ) throws -> [RetrievalEvaluation] {
        guard k >= 100 else { throw VecDBError.invalidArgument("k must be at least 100: Recall@100 is reported") }
        let started = Date()
        let records = dataset.corpus.enumerated().map { index, document in
            IngestRecord(text: document.text, externalID: document.id, line: index + 1)
        }
        progress(.ingest, 0, records.count)
        let summary = try database.ingest(from: InputReader(records: records, sourceName: "corpus.jsonl"), embedder: embedder,
                                          batchSize: batchSize) { commit in
            progress(.ingest, commit.summary.linesCommitted, records.count)
        }
        let ingestSeconds = Date().timeIntervalSince(started)
        for space in embedder.spaces {
            // Documents of the collection that are not in this corpus would take part in the ranking and skew every metric.
            let stored = try database.collection(named: space.collection)?.count ?? 0
            guard stored == records.count else {
                throw VecDBError.invalidArgument("collection '\(space.collection)' in \(database.path) holds \(stored) vectors but the corpus has "
                    + "\(records.count) documents; documents from elsewhere would be ranked too: use a database for this dataset alone")
            }
        }

        let embeddingStarted = Date()
        progress(.embedQueries, 0, dataset.queries.count)
        let allQueryVectors = try embedder.embed(dataset.queries.map(\.text)).map { $0.map(\.vector) }
        progress(.embedQueries, dataset.queries.count, dataset.queries.count)
        let queryEmbeddingSeconds = Date().timeIntervalSince(embeddingStarted)
        return try embedder.spaces.enumerated().map { space, vectorSpace in
            let hasIndex = try database.collection(named: vectorSpace.collection)?.index != nil
            return try score(
                dataset: dataset, database: database, collection: vectorSpace.collection, queryVectors: allQueryVectors[space],
                k: k, mode: exact || !hasIndex ? .exact : .index(ef: k), summary: summary, ingestSeconds: ingestSeconds,
                queryEmbeddingSeconds: queryEmbeddingSeconds, started: started, progress: progress)
        }
    }

    /// Searches `collection` for every query and scores the run.
    private static func score(
        dataset: BEIRDataset, database: VectorDatabase, collection name: String, queryVectors: [[Float]], k: Int,
        mode: SearchMode, summary: IngestSummary, ingestSeconds: Double, queryEmbeddingSeconds: Double, started: Date,
        progress: (Phase, _ done: Int, _ total: Int) -> Void
    ) throws -> RetrievalEvaluation {
        // One snapshot: every query is ranked against the same documents.
        let (run, relevantScores, nonRelevantScores, searchStarted) = try database.read { snapshot in
            // Internal ids of the judged-relevant documents, to score them against their queries below.
            var internalIDs: [String: UInt64] = [:]
            for judgments in dataset.qrels.values {
                for (documentID, grade) in judgments where grade > 0 && internalIDs[documentID] == nil {
                    if let id = try snapshot.documentID(externalID: documentID) { internalIDs[documentID] = id }
                }
            }
            let relevantVectors = try snapshot.vectors(collection: name, documentIDs: Array(internalIDs.values))

            let searchStarted = Date()
            var run: [String: [ScoredDocument]] = [:]
            var relevantScores: [Double] = []
            var nonRelevantScores: [Double] = []
            for (index, (query, vector)) in zip(dataset.queries, queryVectors).enumerated() {
                let results = try snapshot.search(collection: name, query: vector, k: k, mode: mode)
                let judgments = dataset.qrels[query.id] ?? [:]
                var hits: [ScoredDocument] = []
                for hit in results.hits {
                    // Every corpus document was ingested with its `_id`; a document without one is from elsewhere.
                    let id = hit.document.externalID ?? "vecdb:\(hit.document.id)"
                    hits.append(ScoredDocument(id: id, score: Double(hit.score)))
                    if (judgments[id] ?? 0) <= 0 { nonRelevantScores.append(Double(hit.score)) }
                }
                run[query.id] = hits
                for (documentID, grade) in judgments where grade > 0 {
                    guard let id = internalIDs[documentID], let documentVector = relevantVectors[id] else { continue }
                    relevantScores.append(Double(Kernels.active.dot(vector, documentVector)))
                }
                progress(.search, index + 1, dataset.queries.count)
            }
            return (run, relevantScores, nonRelevantScores, searchStarted)
        }
        let searchSeconds = Date().timeIntervalSince(searchStarted)

        var metrics: [String: Double] = [:]
        for metric in reported {
            metrics[metric.key] = IRMetrics.mean(metric.measure, k: metric.k, run: run, qrels: dataset.qrels)
        }
        return RetrievalEvaluation(
            model: name, collection: name, mode: mode, k: k, metrics: metrics, run: run,
            relevantScores: relevantScores, nonRelevantScores: nonRelevantScores, ingest: summary,
            ingestSeconds: ingestSeconds, queryEmbeddingSeconds: queryEmbeddingSeconds, searchSeconds: searchSeconds,
            seconds: Date().timeIntervalSince(started), queryCount: dataset.queries.count)
    }

    /// The run in TREC format (`query Q0 document rank score tag`), as trec_eval and pytrec_eval read it.
    public func trecRun(tag: String = "vecdb") -> String {
        var out = ""
        for query in run.keys.sorted() {
            for (rank, hit) in run[query]!.enumerated() {
                out += "\(query) Q0 \(hit.id) \(rank + 1) \(hit.score) \(tag)\n"
            }
        }
        return out
    }
}
