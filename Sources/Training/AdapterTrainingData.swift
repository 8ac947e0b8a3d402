import Foundation
import Evaluation
import VecDB

/// What `vecdb train` learns from: queries, candidate documents and which documents answer which query.
public struct AdapterTrainingData: Sendable {
    /// One candidate document.
    public struct Document: Sendable, Equatable {
        public var text: String
        /// The corpus `_id` for a dataset (the document is then stored in the database); nil for a pairs file.
        public var externalID: String?
    }

    /// Where the data came from, for the adapter's record.
    public var source: String
    public var queries: [String]
    public var documents: [Document]
    /// For each query, indices into `documents` of its relevant ones (ascending).
    public var relevant: [[Int]]
    /// True when the documents are a corpus to store in the database (their frozen vectors then live in the base
    /// collection, and every document is a candidate and a possible negative).
    public var documentsAreCorpus: Bool

    /// The judged queries of a BEIR split, against the whole corpus. Queries whose relevant documents are all
    /// missing from the corpus are left out.
    public init(dataset: BEIRDataset) {
        source = "dataset \(dataset.folder.path) (split \(dataset.split))"
        documents = dataset.corpus.map { Document(text: $0.text, externalID: $0.id) }
        let position = Dictionary(dataset.corpus.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        queries = []
        relevant = []
        for query in dataset.queries {
            let judged = (dataset.qrels[query.id] ?? [:]).filter { $0.value > 0 }.compactMap { position[$0.key] }.sorted()
            guard !judged.isEmpty else { continue }
            queries.append(query.text)
            relevant.append(judged)
        }
        documentsAreCorpus = true
    }

    /// A JSONL file of `{"query": "…", "positive": "…"}` lines. A query repeated with other positives has them all as
    /// relevant; identical texts are one query or one document.
    public init(pairsFile url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw VecDBError.invalidInput(InputLocation(url.path), "no such file") }
        source = "pairs \(url.path)"
        var queryIndex: [[UInt8]: Int] = [:]
        var documentIndex: [[UInt8]: Int] = [:]
        var queries: [String] = [], documents: [Document] = [], relevant: [[Int]] = []
        try BEIRDataset.forEachJSONLine(url) { object, where_ in
            let query = try BEIRDataset.string(object, "query", where_, required: true)!
            let positive = try BEIRDataset.string(object, "positive", where_, required: true)!
            for (field, text) in [("query", query), ("positive", positive)]
            where text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                throw VecDBError.invalidInput(where_, "field \"\(field)\" is empty")
            }
            // Byte-exact identity: String == would merge canonically equivalent texts the tokenizer sees differently.
            let q = queryIndex[Array(query.utf8)] ?? {
                queries.append(query)
                relevant.append([])
                queryIndex[Array(query.utf8)] = queries.count - 1
                return queries.count - 1
            }()
            let d = documentIndex[Array(positive.utf8)] ?? {
                documents.append(Document(text: positive, externalID: nil))
                documentIndex[Array(positive.utf8)] = documents.count - 1
                return documents.count - 1
            }()
            if !relevant[q].contains(d) { relevant[q].append(d) }
        }
        guard !queries.isEmpty else { throw VecDBError.invalidInput(InputLocation(url.path), "no pairs") }
        guard documents.count >= 2 else { throw VecDBError.invalidInput(InputLocation(url.path), "needs at least two different positives, to have negatives") }
        self.queries = queries
        self.documents = documents
        self.relevant = relevant.map { $0.sorted() }
        documentsAreCorpus = false
    }

    /// Pairs counted once per relevant document.
    public var pairCount: Int { relevant.reduce(0) { $0 + $1.count } }

    /// sha256 over the pairs in order: query text, NUL, document text, newline.
    public var sha256: String {
        var hasher = SHA256()
        for (query, documentIndices) in zip(queries, relevant) {
            for index in documentIndices {
                hasher.update(Array(query.utf8) + [0] + Array(documents[index].text.utf8) + [0x0A])
            }
        }
        return hasher.finalize().hexString
    }
}
