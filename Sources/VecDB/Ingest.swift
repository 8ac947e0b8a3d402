import Embedder
import Foundation
import LMDB

/// What an ingest did, reported at the end (and, up to its batch, after every commit).
public struct IngestSummary: Codable, Sendable, Equatable {
    /// The collection the vectors went into.
    public var collection: String
    /// New documents stored.
    public var added = 0
    /// Documents whose JSONL `id` existed with other text or metadata: replaced, and re-embedded if the text changed.
    public var updated = 0
    /// Documents already stored that gained a vector in this collection (e.g. a second model).
    public var embedded = 0
    /// Lines whose document and vector were already there.
    public var alreadyPresent = 0
    /// Blank lines skipped.
    public var skippedBlank = 0
    /// Texts cut to the model's token limit.
    public var truncated = 0
    /// Input lines fully committed.
    public var linesCommitted = 0
    public var seconds = 0.0

    public var documentsPerSecond: Double {
        seconds > 0 ? Double(added + updated + embedded + alreadyPresent) / seconds : 0
    }

    public init(collection: String) { self.collection = collection }
}

/// Reported after each committed batch: everything up to `summary.linesCommitted` is durable.
public struct BatchCommit: Sendable {
    public var summary: IngestSummary
    /// LMDB transaction id of the commit.
    public var transactionID: Int
    /// Lines in the input when known (files), for progress and ETA.
    public var totalLines: Int?
}

extension VectorDatabase {
    /// Ingests records into the database and into the collection of `model`'s vectors, one transaction per batch
    /// of `batchSize` records. Each record's document is stored once (deduplicated by its JSONL `id`, else by a
    /// hash of its text), and its vector is computed only when the collection lacks it.
    ///
    /// Vectors are computed before the write transaction opens, so the writer lock is held only for the puts.
    /// `onCommit` runs after each commit.
    public func ingest(
        from input: InputReader, model: any EmbeddingModel, reference: ModelReference, collectionName: String? = nil,
        batchSize: Int = 256, onCommit: (BatchCommit) -> Void = { _ in }
    ) throws -> IngestSummary {
        let name = collectionName ?? reference.collectionName
        let started = Date()
        var summary = IngestSummary(collection: name)
        _ = try collectionForIngest(name: name, reference: reference, model: model, create: false)
        var exhausted = false
        while !exhausted {
            var batch: [IngestRecord] = []
            while batch.count < batchSize {
                let record: IngestRecord?
                do {
                    record = try input.next()
                } catch {
                    throw VecDBError("\(error) (\(summary.linesCommitted) lines before it are committed)")
                }
                guard let record else { exhausted = true; break }
                batch.append(record)
            }
            if batch.isEmpty { break }
            let needed = try environment.read { txn in try textsNeedingVectors(batch, collection: name, in: txn) }
            var vectors: [String: Embedding] = [:]
            if !needed.isEmpty {
                for (text, embedding) in zip(needed, try model.embed(needed)) { vectors[text] = embedding }
            }
            let transactionID = try environment.write { txn -> Int in
                var collection = try collectionForIngest(name: name, reference: reference, model: model, create: true, in: txn)!
                var others = try collections(in: txn).filter { $0.name != name }
                for record in batch {
                    try apply(record, collection: &collection, others: &others, summary: &summary, in: txn) { text in
                        if let embedding = vectors[text] { return embedding }
                        // Another writer removed a vector between planning and this transaction.
                        let embedding = try model.embed([text])[0]
                        vectors[text] = embedding
                        return embedding
                    }
                }
                try save([collection] + others, in: txn)
                return txn.id
            }
            summary.skippedBlank = input.blankLines
            summary.linesCommitted = exhausted ? input.lineNumber : batch.last!.line
            summary.seconds = Date().timeIntervalSince(started)
            onCommit(BatchCommit(summary: summary, transactionID: transactionID, totalLines: input.totalLines))
        }
        summary.skippedBlank = input.blankLines
        summary.linesCommitted = input.lineNumber
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// The collection `name`, checked against the model about to write to it; created (when `create`) if absent.
    @discardableResult
    func collectionForIngest(name: String, reference: ModelReference, model: any EmbeddingModel, create: Bool,
                             in txn: Transaction? = nil) throws -> Collection? {
        func body(_ txn: Transaction) throws -> Collection? {
            if let existing = try collections(in: txn).first(where: { $0.name == name }) {
                try VectorDatabase.checkCompatible(existing, reference: reference, dimensions: model.dimensions)
                return existing
            }
            guard create else { return nil }
            let id = try takeNext(Layout.nextCollectionKey, in: txn)
            guard id < UInt64(UInt32.max) else { throw VecDBError("too many collections") }
            return Collection(
                id: UInt32(id), name: name, model: reference.given, weightsSHA256: reference.weightsSHA256,
                dimensions: model.dimensions, pooling: "mean", prompt: "raw", maxTokens: model.maxTokens,
                metric: "cosine", count: 0)
        }
        if let txn { return try body(txn) }
        return try environment.read { txn in try body(txn) }
    }

    /// Vectors from another model would be meaningless in this space: refuse them.
    static func checkCompatible(_ collection: Collection, reference: ModelReference, dimensions: Int) throws {
        guard collection.weightsSHA256 == reference.weightsSHA256 else {
            throw VecDBError("collection '\(collection.name)' was built with weights sha256 \(collection.weightsSHA256.prefix(12))…, "
                + "but model \(reference.given) has \(reference.weightsSHA256.prefix(12))…; use --collection to name another one")
        }
        guard collection.dimensions == dimensions else {
            throw VecDBError("collection '\(collection.name)' has \(collection.dimensions)-dimensional vectors, "
                + "but model \(reference.given) makes \(dimensions)")
        }
    }

    /// The distinct texts of `batch` that will need a vector in `collection`.
    private func textsNeedingVectors(_ batch: [IngestRecord], collection name: String, in txn: Transaction) throws -> [String] {
        let collectionID = try collections(in: txn).first { $0.name == name }?.id
        var seen = Set<[UInt8]>()
        var texts: [String] = []
        for record in batch {
            let utf8 = Array(record.text.utf8)
            guard seen.insert(utf8).inserted else { continue }
            if let collectionID,
               let id = try documentID(forKey: Document.dedupKey(text: record.text, externalID: record.externalID), in: txn),
               let stored = try document(id: id, in: txn), Array(stored.text.utf8) == utf8,
               try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collectionID, document: id), { $0 != nil }) {
                continue
            }
            texts.append(record.text)
        }
        return texts
    }

    /// Stores one record: its document once, and its vector in `collection`.
    private func apply(
        _ record: IngestRecord, collection: inout Collection, others: inout [Collection], summary: inout IngestSummary,
        in txn: Transaction, vector: (String) throws -> Embedding
    ) throws {
        func putVector(_ id: UInt64) throws {
            let embedding = try vector(record.text)
            if embedding.truncated { summary.truncated += 1 }
            try txn.put(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id), bytesOf: embedding.vector)
            collection.count += 1
        }
        let key = Document.dedupKey(text: record.text, externalID: record.externalID)
        guard let id = try documentID(forKey: key, in: txn), let stored = try document(id: id, in: txn) else {
            let id = try takeNext(Layout.nextDocumentKey, in: txn)
            let document = Document(id: id, text: record.text, externalID: record.externalID, metadataJSON: record.metadataJSON)
            try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
            try txn.put(tables.keys, key: key, value: Layout.bigEndian(id))
            try putVector(id)
            summary.added += 1
            return
        }
        let vectorKey = Layout.vectorKey(collection: collection.id, document: id)
        // Scalar-exact comparison: String == would call canonically equivalent texts equal.
        let sameText = Array(stored.text.utf8) == Array(record.text.utf8)
        if sameText && stored.metadataJSON == record.metadataJSON {
            if try txn.withValue(tables.vectors, key: vectorKey, { $0 != nil }) {
                summary.alreadyPresent += 1
            } else {
                try putVector(id)
                summary.embedded += 1
            }
            return
        }
        let document = Document(id: id, text: record.text, externalID: record.externalID, metadataJSON: record.metadataJSON)
        try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
        summary.updated += 1
        if sameText {
            if try !txn.withValue(tables.vectors, key: vectorKey, { $0 != nil }) { try putVector(id) }
            return
        }
        // New text: vectors of every space describe the old text, so all go; this one is recomputed.
        if try txn.delete(tables.vectors, key: vectorKey) { collection.count -= 1 }
        try removeVectors(of: id, from: &others, in: txn)
        try putVector(id)
    }
}
