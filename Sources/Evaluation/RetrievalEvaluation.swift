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

    /// The same queries searched through the collection's HNSW index: what the index costs, apart from what the
    /// model is worth.
    public struct IndexMeasurement: Sendable {
        /// Candidates the search kept: ef = k, the narrowest beam that can return k documents.
        public var ef: Int
        /// Each reported metric over the index's run, by `Metric.key`.
        public var metrics: [String: Double]
        /// Mean over queries of |index top k ∩ exact top k| / |exact top k|: the index's recall@k against the scan.
        public var recallVsExact: Double
        public var run: [String: [ScoredDocument]]
        public var searchSeconds: Double
        public var mode: SearchMode { .index(ef: ef) }
    }

    /// The model's name as given (catalogue name or path).
    public var model: String
    public var collection: String
    /// Documents retrieved per query.
    public var k: Int
    /// Mean of each reported metric over the split's judged queries, by `Metric.key`, from the exact scan: the
    /// model's own quality, with no index approximation charged to it.
    public var metrics: [String: Double]
    /// The exact scan's retrieved documents of every query (external ids, cosine scores), best first.
    public var run: [String: [ScoredDocument]]
    /// The index's figures, when asked for and the collection has an index.
    public var index: IndexMeasurement?
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
    /// queries in one call, ranks each collection's top `k` by exact scan and scores that run. With `index`, a
    /// collection that has an HNSW index is also searched through it at ef = k and scored apart (`index`).
    public static func run(
        dataset: BEIRDataset, database: VectorDatabase, embedder: SpaceEmbedding, k: Int = 100, index: Bool = false,
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
        // A lexical space ranks the query texts themselves: nothing to embed.
        let lexical = embedder.spaces.allSatisfy { $0.lexical != nil }
        progress(.embedQueries, 0, dataset.queries.count)
        let allQueryVectors = lexical ? embedder.spaces.map { _ in [] }
            : try embedder.embed(dataset.queries.map(\.text)).map { $0.map(\.vector) }
        progress(.embedQueries, dataset.queries.count, dataset.queries.count)
        let queryEmbeddingSeconds = Date().timeIntervalSince(embeddingStarted)
        return try embedder.spaces.enumerated().map { space, vectorSpace in
            try score(
                dataset: dataset, database: database, collection: vectorSpace.collection,
                queries: vectorSpace.lexical != nil ? .texts : .vectors(allQueryVectors[space]),
                k: k, index: index, summary: summary, ingestSeconds: ingestSeconds,
                queryEmbeddingSeconds: queryEmbeddingSeconds, started: started, progress: progress)
        }
    }

    /// What a collection is searched with: the queries' vectors, or (a lexical collection) their texts.
    private enum QueryInput {
        case vectors([[Float]])
        case texts
    }

    /// Ranks `collection` exactly for every query (the vector scan; BM25 over every document holding a query term)
    /// and scores the run; with `index`, searches the HNSW index too and scores it.
    private static func score(
        dataset: BEIRDataset, database: VectorDatabase, collection name: String, queries: QueryInput, k: Int,
        index: Bool, summary: IngestSummary, ingestSeconds: Double, queryEmbeddingSeconds: Double, started: Date,
        progress: (Phase, _ done: Int, _ total: Int) -> Void
    ) throws -> RetrievalEvaluation {
        // One snapshot: every query is ranked against the same documents, by the scan and by the index.
        let (run, relevantScores, nonRelevantScores, searchSeconds, indexed) = try database.read { snapshot in
            // Internal ids of the judged-relevant documents, to score them against their queries below.
            var internalIDs: [String: UInt64] = [:]
            for judgments in dataset.qrels.values {
                for (documentID, grade) in judgments where grade > 0 && internalIDs[documentID] == nil {
                    if let id = try snapshot.documentID(externalID: documentID) { internalIDs[documentID] = id }
                }
            }
            let relevantVectors: [UInt64: [Float]]
            if case .vectors = queries {
                relevantVectors = try snapshot.vectors(collection: name, documentIDs: Array(internalIDs.values))
            } else {
                relevantVectors = [:]
            }

            let searchStarted = Date()
            var run: [String: [ScoredDocument]] = [:]
            var relevantScores: [Double] = []
            var nonRelevantScores: [Double] = []
            for (position, query) in dataset.queries.enumerated() {
                let judgments = dataset.qrels[query.id] ?? [:]
                let relevant = judgments.filter { $0.value > 0 }.keys.sorted().compactMap { internalIDs[$0] }
                let hits: [ScoredDocument]
                switch queries {
                case .vectors(let vectors):
                    let vector = vectors[position]
                    hits = try search(snapshot, collection: name, query: vector, k: k, mode: .exact)
                    for id in relevant {
                        if let documentVector = relevantVectors[id] { relevantScores.append(Double(Kernels.active.dot(vector, documentVector))) }
                    }
                case .texts:
                    hits = try scored(snapshot.searchText(query.text, collection: name, k: k, mode: .exact))
                    let scores = try snapshot.lexicalScores(query.text, collection: name, documentIDs: relevant)
                    relevantScores += relevant.compactMap { scores[$0] }
                }
                for hit in hits where (judgments[hit.id] ?? 0) <= 0 { nonRelevantScores.append(hit.score) }
                run[query.id] = hits
                progress(.search, position + 1, dataset.queries.count)
            }
            let searchSeconds = Date().timeIntervalSince(searchStarted)
            guard index, case .vectors(let queryVectors) = queries, snapshot.collection(named: name)?.index != nil else {
                return (run, relevantScores, nonRelevantScores, searchSeconds, nil as IndexMeasurement?)
            }
            let indexStarted = Date()
            var indexRun: [String: [ScoredDocument]] = [:]
            for (query, vector) in zip(dataset.queries, queryVectors) {
                indexRun[query.id] = try search(snapshot, collection: name, query: vector, k: k, mode: .index(ef: k))
            }
            let indexSeconds = Date().timeIntervalSince(indexStarted)
            let recalls = run.filter { !$0.value.isEmpty }.map { query, exact in
                let found = Set(indexRun[query]!.map(\.id))
                return Double(exact.filter { found.contains($0.id) }.count) / Double(exact.count)
            }
            let measurement = IndexMeasurement(
                ef: k, metrics: means(of: indexRun, qrels: dataset.qrels),
                recallVsExact: recalls.isEmpty ? 1 : recalls.reduce(0, +) / Double(recalls.count), run: indexRun,
                searchSeconds: indexSeconds)
            return (run, relevantScores, nonRelevantScores, searchSeconds, measurement)
        }

        return RetrievalEvaluation(
            model: name, collection: name, k: k, metrics: means(of: run, qrels: dataset.qrels), run: run, index: indexed,
            relevantScores: relevantScores, nonRelevantScores: nonRelevantScores, ingest: summary,
            ingestSeconds: ingestSeconds, queryEmbeddingSeconds: queryEmbeddingSeconds, searchSeconds: searchSeconds,
            seconds: Date().timeIntervalSince(started), queryCount: dataset.queries.count)
    }

    /// One query's top `k` as (external id, score), best first.
    private static func search(_ snapshot: Snapshot, collection: String, query: [Float], k: Int, mode: SearchMode) throws -> [ScoredDocument] {
        try scored(snapshot.search(collection: collection, query: query, k: k, mode: mode))
    }

    private static func scored(_ results: SearchResults) -> [ScoredDocument] {
        results.hits.map { hit in
            // Every corpus document was ingested with its `_id`; a document without one is from elsewhere.
            ScoredDocument(id: hit.document.externalID ?? "vecdb:\(hit.document.id)", score: Double(hit.score))
        }
    }

    /// The runs of `inputs` fused into one (`RankFusion`), named like `rrf(minilm,bm25)` and scored like a model.
    /// Its score distributions are empty: fused scores are not similarities.
    public static func fused(_ fusion: RankFusion, of inputs: [RetrievalEvaluation], qrels: Qrels) -> RetrievalEvaluation {
        let started = Date()
        let name = fusion.name(of: inputs.map(\.model))
        let k = inputs.map(\.k).min() ?? 100
        var run: [String: [ScoredDocument]] = [:]
        for query in Set(inputs.flatMap { $0.run.keys }) {
            let fused = fusion.fuse(inputs.map { input in (input.run[query] ?? []).map { (id: $0.id, score: $0.score) } })
            run[query] = fused.prefix(k).map { ScoredDocument(id: $0.id, score: $0.score) }
        }
        let queryCount = inputs.map(\.queryCount).max() ?? 0
        return RetrievalEvaluation(
            model: name, collection: name, k: k, metrics: means(of: run, qrels: qrels), run: run, index: nil,
            relevantScores: [], nonRelevantScores: [], ingest: IngestSummary(collections: []), ingestSeconds: 0,
            queryEmbeddingSeconds: 0, searchSeconds: Date().timeIntervalSince(started),
            seconds: Date().timeIntervalSince(started), queryCount: queryCount)
    }

    /// Each reported metric's mean over `qrels`' queries, by `Metric.key`.
    private static func means(of run: [String: [ScoredDocument]], qrels: Qrels) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: reported.map { ($0.key, IRMetrics.mean($0.measure, k: $0.k, run: run, qrels: qrels)) })
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
