import Embedder
import Foundation
import Index
import LMDB

/// What an ingest did, reported at the end (and, up to its batch, after every commit).
public struct IngestSummary: Codable, Sendable, Equatable {
    /// The collections the vectors went into.
    public var collections: [String]
    /// New documents stored.
    public var added = 0
    /// Documents whose JSONL `id` existed with other text or metadata: replaced, and re-embedded if the text changed.
    public var updated = 0
    /// Documents already stored that gained a vector in at least one of the collections (e.g. a second model).
    public var embedded = 0
    /// Lines whose document and vectors were all already there.
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

    public init(collections: [String]) { self.collections = collections }
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
    /// Ingests records into the database and into every vector space of `embedder`, one transaction per batch of
    /// `batchSize` records. Each record's document is stored once (deduplicated by its JSONL `id`, else by a hash
    /// of its text), and its vectors are computed only for the spaces that lack them — all spaces from one forward
    /// pass.
    ///
    /// Vectors are computed before the write transaction opens, so the writer lock is held only for the puts.
    /// `onCommit` runs after each commit.
    public func ingest(
        from input: InputReader, embedder: SpaceEmbedder, batchSize: Int = 256, onCommit: (BatchCommit) -> Void = { _ in }
    ) throws -> IngestSummary {
        let started = Date()
        var summary = IngestSummary(collections: embedder.spaces.map(\.collection))
        if let adapter = embedder.adapter {
            // Documents that already have the frozen vector get the adapted one without running the model.
            summary.embedded += try fillAdapterSpace(adapter.name)
        }
        try environment.read { txn in
            for space in embedder.spaces { _ = try collection(for: space, of: embedder.reference, create: false, in: txn) }
        }
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
            let needed = try environment.read { txn in try textsNeedingVectors(batch, spaces: embedder.spaces, in: txn) }
            var vectors: [[UInt8]: [Embedding]] = [:]
            let computed = try embedder.embed(needed)
            for (index, text) in needed.enumerated() { vectors[Array(text.utf8)] = computed.map { $0[index] } }
            let transactionID = try writeCheckingSpace { txn -> Int in
                var all = try collections(in: txn)
                var updates = IndexUpdates()
                var targets: [Int] = []
                for space in embedder.spaces {
                    let collection = try self.collection(for: space, of: embedder.reference, create: true, in: txn)!
                    if let index = all.firstIndex(where: { $0.name == collection.name }) {
                        targets.append(index)
                    } else {
                        all.append(collection)
                        targets.append(all.count - 1)
                    }
                }
                for record in batch {
                    try apply(record, targets: targets, collections: &all, updates: &updates, summary: &summary, in: txn) { text in
                        if let embeddings = vectors[Array(text.utf8)] { return embeddings }
                        // Another writer removed a vector between planning and this transaction.
                        let embeddings = try embedder.embed([text]).map { $0[0] }
                        vectors[Array(text.utf8)] = embeddings
                        return embeddings
                    }
                }
                try updates.apply(to: all, table: tables.hnsw, in: txn)
                try save(all, in: txn)
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

    /// The collection of `space`, checked against the model about to use it; created (when `create`) if absent.
    func collection(for space: VectorSpace, of reference: ModelReference, create: Bool, in txn: Transaction) throws -> Collection? {
        if let existing = try collections(in: txn).first(where: { $0.name == space.collection }) {
            try VectorDatabase.checkCompatible(existing, space: space, reference: reference)
            return existing
        }
        guard create else { return nil }
        return try createCollection(
            name: space.collection, model: reference.given, weightsSHA256: reference.weightsSHA256, dimensions: space.dimensions,
            pooling: space.pooling, prompt: space.prompt, maxTokens: space.maxTokens, in: txn)
    }

    /// Vectors longer than this are searched exactly, without an index: an HNSW graph over 49,152-dimensional
    /// logits would cost 200 KB per node and gain little over a scan of the few thousand such vectors a user keeps.
    public static let largestIndexedDimensions = 4096

    /// A new collection record (saved by the caller) with an empty HNSW index when its vectors are short enough.
    func createCollection(name: String, model: String, weightsSHA256: String, dimensions: Int, pooling: String,
                          prompt: String, maxTokens: Int, index: HNSWParameters? = HNSWParameters(),
                          in txn: Transaction) throws -> Collection {
        let id = try takeNext(Layout.nextCollectionKey, in: txn)
        guard id < UInt64(UInt32.max) else { throw VecDBError("too many collections") }
        let parameters = dimensions <= VectorDatabase.largestIndexedDimensions ? index : nil
        if let parameters {
            try HNSWIndex.create(table: tables.hnsw, collection: UInt32(id), dimensions: dimensions, parameters: parameters, in: txn)
        }
        return Collection(
            id: UInt32(id), name: name, model: model, weightsSHA256: weightsSHA256, dimensions: dimensions,
            pooling: pooling, prompt: prompt, maxTokens: maxTokens, metric: "cosine", count: 0, index: parameters)
    }

    /// Vectors made another way would be meaningless in this space: refuse them.
    static func checkCompatible(_ collection: Collection, space: VectorSpace, reference: ModelReference) throws {
        guard collection.weightsSHA256 == reference.weightsSHA256 else {
            throw VecDBError("collection '\(collection.name)' was built with weights sha256 \(collection.weightsSHA256.prefix(12))…, "
                + "but model \(reference.given) has \(reference.weightsSHA256.prefix(12))…; use --collection to name another one")
        }
        guard collection.dimensions == space.dimensions else {
            throw VecDBError("collection '\(collection.name)' has \(collection.dimensions)-dimensional vectors, "
                + "but model \(reference.given) makes \(space.dimensions)")
        }
        guard collection.pooling == space.pooling, collection.prompt == space.prompt, collection.maxTokens == space.maxTokens else {
            throw VecDBError("collection '\(collection.name)' was built with pooling \(collection.pooling), prompt \(collection.prompt), "
                + "max \(collection.maxTokens) tokens; asked for \(space.pooling), \(space.prompt), \(space.maxTokens)")
        }
    }

    /// The distinct texts of `batch` that lack a vector in at least one of `spaces`.
    private func textsNeedingVectors(_ batch: [IngestRecord], spaces: [VectorSpace], in txn: Transaction) throws -> [String] {
        let existing = try collections(in: txn)
        let collectionIDs = spaces.map { space in existing.first { $0.name == space.collection }?.id }
        var seen = Set<[UInt8]>()
        var texts: [String] = []
        for record in batch {
            let utf8 = Array(record.text.utf8)
            guard seen.insert(utf8).inserted else { continue }
            if let id = try documentID(forKey: Document.dedupKey(text: record.text, externalID: record.externalID), in: txn),
               let stored = try document(id: id, in: txn), Array(stored.text.utf8) == utf8,
               try collectionIDs.allSatisfy({ collectionID in
                   guard let collectionID else { return false }
                   return try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collectionID, document: id)) { $0 != nil }
               }) {
                continue
            }
            texts.append(record.text)
        }
        return texts
    }

    /// Stores one record: its document once, and its vector in each collection of `targets` that lacks it.
    private func apply(
        _ record: IngestRecord, targets: [Int], collections: inout [Collection], updates: inout IndexUpdates,
        summary: inout IngestSummary, in txn: Transaction, vectors: (String) throws -> [Embedding]
    ) throws {
        /// Puts the missing vectors of document `id`; returns how many were missing.
        func fillVectors(_ id: UInt64) throws -> Int {
            var embeddings: [Embedding]?
            var added = 0
            for (space, index) in targets.enumerated() {
                let key = Layout.vectorKey(collection: collections[index].id, document: id)
                if try txn.withValue(tables.vectors, key: key, { $0 != nil }) { continue }
                if embeddings == nil {
                    embeddings = try vectors(record.text)
                    if embeddings!.contains(where: \.truncated) { summary.truncated += 1 }
                }
                try txn.put(tables.vectors, key: key, bytesOf: embeddings![space].vector)
                collections[index].count += 1
                updates.inserted(id, vector: embeddings![space].vector, into: collections[index])
                added += 1
            }
            return added
        }
        let key = Document.dedupKey(text: record.text, externalID: record.externalID)
        guard let id = try documentID(forKey: key, in: txn), let stored = try document(id: id, in: txn) else {
            let id = try takeNext(Layout.nextDocumentKey, in: txn)
            let document = Document(id: id, text: record.text, externalID: record.externalID, metadataJSON: record.metadataJSON)
            try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
            try txn.put(tables.keys, key: key, value: Layout.bigEndian(id))
            _ = try fillVectors(id)
            summary.added += 1
            return
        }
        // Scalar-exact comparison: String == would call canonically equivalent texts equal.
        let sameText = Array(stored.text.utf8) == Array(record.text.utf8)
        if sameText && stored.metadataJSON == record.metadataJSON {
            if try fillVectors(id) > 0 { summary.embedded += 1 } else { summary.alreadyPresent += 1 }
            return
        }
        let document = Document(id: id, text: record.text, externalID: record.externalID, metadataJSON: record.metadataJSON)
        try txn.put(tables.documents, key: Layout.documentKey(id), value: document.encoded())
        summary.updated += 1
        if !sameText {
            // New text: the vectors of every space describe the old text, so all go.
            try removeVectors(of: id, from: &collections, updates: &updates, in: txn)
        }
        _ = try fillVectors(id)
    }
}
