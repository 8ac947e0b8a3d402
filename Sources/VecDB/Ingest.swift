import Embedder
import Foundation
import Lexical

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
    /// The document id of each record of this batch, in input order (a repeated text: its one document each time).
    public var documentIDs: [UInt64]
}

/// One vector space of a model: the collection its vectors go to and how they are made. Two ingests may add to one
/// collection only when they describe the same space (`VectorCollection` records it).
public struct VectorSpace: Codable, Sendable, Equatable {
    /// Collection name, e.g. `minilm`, `smollm2`, `smollm2:logits:chat-gen`.
    public var collection: String
    /// The model as given: a catalogue name, a path, or an adapter's name.
    public var model: String
    /// sha256 of the weights that make the vectors (for an adapter: of the base model's and the adapter's together).
    public var weightsSHA256: String
    public var pooling: String
    public var prompt: String
    public var maxTokens: Int
    public var dimensions: Int
    /// A lexical space's analyzer and BM25 settings (then there are no vectors); nil for a vector space.
    public var lexical: LexicalSettings?
    /// The arithmetic of the model's linear layers when it is not f32; nil for f32 (and absent from the JSON, so
    /// records written before precisions existed read as f32).
    public var precision: Precision?

    public init(collection: String, model: String, weightsSHA256: String, pooling: String, prompt: String,
                maxTokens: Int, dimensions: Int, precision: Precision = .f32) {
        self.precision = precision == .f32 ? nil : precision
        self.collection = collection
        self.model = model
        self.weightsSHA256 = weightsSHA256
        self.pooling = pooling
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.dimensions = dimensions
    }

    /// A lexical space: BM25 over `settings`' terms, in collection `collection`.
    public static func lexical(collection: String, settings: LexicalSettings) -> VectorSpace {
        var space = VectorSpace(collection: collection, model: LexicalSpace.modelName, weightsSHA256: "", pooling: "bm25",
                                prompt: "raw", maxTokens: 0, dimensions: 0)
        space.lexical = settings
        return space
    }

    /// Refuses `collection` when its vectors were made another way: they would be meaningless beside these.
    func checkCompatible(_ collection: VectorCollection) throws {
        guard collection.lexical == lexical else {
            switch (collection.lexical, lexical) {
            case (nil, _):
                throw VecDBError.incompatibleSpace(collection: collection.name, reason: "is a vector collection (model \(collection.model)), not a lexical one")
            case (_, nil):
                throw VecDBError.incompatibleSpace(collection: collection.name, reason: "is a lexical (BM25) collection, not one of model \(model)'s vectors")
            case (let stored?, let asked?):
                throw VecDBError.incompatibleSpace(collection: collection.name, reason: "was built with \(stored); asked for \(asked)")
            }
        }
        if lexical != nil { return }
        guard collection.precision == precision else {
            throw VecDBError.incompatibleSpace(collection: collection.name, reason: "holds vectors made at precision "
                + "\(collection.precision?.rawValue ?? "f32"); asked for \(precision?.rawValue ?? "f32")")
        }
        guard collection.weightsSHA256 == weightsSHA256 else {
            throw VecDBError.incompatibleSpace(collection: collection.name, reason: "was built with weights sha256 "
                + "\(collection.weightsSHA256.prefix(12))…, but model \(model) has \(weightsSHA256.prefix(12))…")
        }
        guard collection.dimensions == dimensions else {
            throw VecDBError.incompatibleSpace(collection: collection.name, reason: "has \(collection.dimensions)-dimensional "
                + "vectors, but model \(model) makes \(dimensions)")
        }
        guard collection.pooling == pooling, collection.prompt == prompt, collection.maxTokens == maxTokens else {
            throw VecDBError.incompatibleSpace(collection: collection.name, reason: "was built with pooling \(collection.pooling), "
                + "prompt \(collection.prompt), max \(collection.maxTokens) tokens; asked for \(pooling), \(prompt), \(maxTokens)")
        }
    }
}

/// What turns texts into vectors for the store: a loaded model (or an adapter over one) and the vector spaces it
/// fills, all from one forward pass. The `Models` module provides the implementation (`SpaceEmbedder`).
public protocol SpaceEmbedding: AnyObject {
    var spaces: [VectorSpace] { get }
    /// The adapter whose space this is, when it is one: its stored documents can be filled without the model.
    var adapterName: String? { get }
    /// Vectors of `texts` in every space: `result[space][text]`.
    func embed(_ texts: [String]) throws -> [[Embedding]]
}

extension Snapshot {
    /// The collection of `space`, checked against the space; nil when there is none yet.
    public func compatibleCollection(for space: VectorSpace) throws -> VectorCollection? {
        guard let existing = catalogue[space.collection] else { return nil }
        try space.checkCompatible(existing)
        return existing
    }

    /// The collection of `space`, checked against the space: `notFound` when there is none.
    public func existingCollection(for space: VectorSpace) throws -> VectorCollection {
        guard let collection = try compatibleCollection(for: space) else {
            throw VecDBError.notFound(.collection(space.collection, available: catalogue.names))
        }
        return collection
    }

    /// The distinct texts of `records` that lack a vector in at least one of `spaces`: what an ingest of them must
    /// embed.
    public func textsNeedingVectors(_ records: [IngestRecord], spaces: [VectorSpace]) throws -> [String] {
        let targets = spaces.map { catalogue[$0.collection] }
        var seen = Set<[UInt8]>()
        var texts: [String] = []
        for record in records {
            let utf8 = Array(record.text.utf8)
            guard seen.insert(utf8).inserted else { continue }
            if let id = try documentID(forKey: Document.dedupKey(text: record.text, externalID: record.externalID)),
               let stored = try document(id: id), Array(stored.text.utf8) == utf8,
               try targets.allSatisfy({ target in try target.map { try hasVector(collection: $0, document: id) } ?? false }) {
                continue
            }
            texts.append(record.text)
        }
        return texts
    }
}

extension WriteBatch {
    /// Stores one ingest record: its document once, and its vector in each space that lacks it (`vectors` computes
    /// them on demand). Counts what happened in `summary`; returns the document's id.
    func ingest(_ record: IngestRecord, spaces: [VectorSpace], summary: inout IngestSummary,
                vectors: (String) throws -> [Embedding]) throws -> UInt64 {
        let (id, change) = try putDocument(text: record.text, externalID: record.externalID, metadataJSON: record.metadataJSON)
        var embeddings: [Embedding]?
        var filled = 0
        for (space, target) in spaces.enumerated() {
            let collection = try catalogue.require(target.collection)
            if try hasVector(collection: collection, document: id) { continue }
            if collection.isLexical {
                try putTerms(collection: target.collection, document: id)
                filled += 1
                continue
            }
            if embeddings == nil {
                embeddings = try vectors(record.text)
                if embeddings!.contains(where: \.truncated) { summary.truncated += 1 }
            }
            try putVector(embeddings![space].vector, collection: target.collection, document: id)
            filled += 1
        }
        switch change {
        case .added: summary.added += 1
        case .updated: summary.updated += 1
        case .unchanged: if filled > 0 { summary.embedded += 1 } else { summary.alreadyPresent += 1 }
        }
        return id
    }

    /// The collection of `space`, created when absent, refused when made another way.
    func collectionCreatingIfAbsent(for space: VectorSpace) throws -> VectorCollection {
        if let existing = try compatibleCollection(for: space) { return existing }
        if let settings = space.lexical { return try createLexicalCollection(name: space.collection, settings: settings) }
        return try createCollection(name: space.collection, model: space.model, weightsSHA256: space.weightsSHA256,
                                    dimensions: space.dimensions, pooling: space.pooling, prompt: space.prompt,
                                    maxTokens: space.maxTokens, precision: space.precision ?? .f32)
    }
}

extension VectorDatabase {
    /// Ingests records into the database and into every vector space of `embedder`, one write batch per
    /// `batchSize` records. Each record's document is stored once (deduplicated by its JSONL `id`, else by a hash
    /// of its text), and its vectors are computed only for the spaces that lack them — all spaces from one forward
    /// pass.
    ///
    /// Vectors are computed before the write batch opens, so the writer lock is held only for the puts.
    /// `onCommit` runs after each commit.
    public func ingest(
        from input: InputReader, embedder: SpaceEmbedding, batchSize: Int = 256, onCommit: (BatchCommit) -> Void = { _ in }
    ) throws -> IngestSummary {
        let started = Date()
        let spaces = embedder.spaces
        var summary = IngestSummary(collections: spaces.map(\.collection))
        if let adapter = embedder.adapterName {
            // Documents that already have the frozen vector get the adapted one without running the model.
            summary.embedded += try fillAdapterSpace(adapter)
        }
        try read { snapshot in for space in spaces { _ = try snapshot.compatibleCollection(for: space) } }
        var exhausted = false
        while !exhausted {
            var records: [IngestRecord] = []
            while records.count < batchSize {
                let record: IngestRecord?
                do {
                    record = try input.next()
                } catch let error as VecDBError {
                    throw VecDBError.afterCommits(error, committedLines: summary.linesCommitted)
                }
                guard let record else { exhausted = true; break }
                records.append(record)
            }
            if records.isEmpty { break }
            let needed = try read { try $0.textsNeedingVectors(records, spaces: spaces) }
            var vectors: [[UInt8]: [Embedding]] = [:]
            let computed = try embedder.embed(needed)
            for (index, text) in needed.enumerated() { vectors[Array(text.utf8)] = computed.map { $0[index] } }
            var documentIDs: [UInt64] = []
            let transactionID = try write { batch -> Int in
                documentIDs = []
                for space in spaces { _ = try batch.collectionCreatingIfAbsent(for: space) }
                for record in records {
                    documentIDs.append(try batch.ingest(record, spaces: spaces, summary: &summary) { text in
                        if let embeddings = vectors[Array(text.utf8)] { return embeddings }
                        // Another writer removed a vector between planning and this batch.
                        let embeddings = try embedder.embed([text]).map { $0[0] }
                        vectors[Array(text.utf8)] = embeddings
                        return embeddings
                    })
                }
                return batch.id
            }
            summary.skippedBlank = input.blankLines
            summary.linesCommitted = exhausted ? input.lineNumber : records.last!.line
            summary.seconds = Date().timeIntervalSince(started)
            onCommit(BatchCommit(summary: summary, transactionID: transactionID, totalLines: input.totalLines,
                                 documentIDs: documentIDs))
        }
        summary.skippedBlank = input.blankLines
        summary.linesCommitted = input.lineNumber
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
