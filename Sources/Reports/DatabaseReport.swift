import BLAS
import Embedder
import Foundation
import Index
import Kernels
import VecDB

/// What `vecdb info` shows and `GET /v1/info` answers: the database's documents, collections, indexes, metadata
/// fields and adapters, all read in one snapshot, with its size on disk and the kernels in use.
public struct DatabaseReport {
    public let path: String
    public let snapshot: Int
    public let documents: Int
    public let collections: [VectorCollection]
    public let indexes: [String: HNSWMetadata?]
    public let lexical: [String: LexicalStatistics]
    public let adapters: [StoredAdapter]
    public let fields: [MetadataFieldSummary]
    public let bytes: (used: Int, file: Int)
    /// OpenBLAS's kernel as JSON fields, or `error` when it could not be loaded.
    public let blas: [String: Any]

    /// Reads the report of `db` (one snapshot for everything stored in it).
    public init(_ db: VectorDatabase) throws {
        path = db.path
        (snapshot, documents, collections, indexes, adapters, fields, lexical) = try db.read { snapshot in
            (snapshot.id, try snapshot.documentCount(), snapshot.collections,
             try Dictionary(uniqueKeysWithValues: snapshot.collections.filter { !$0.isLexical }
                .map { ($0.name, try snapshot.indexMetadata(collection: $0.name)) }),
             try snapshot.adapters(), try snapshot.metadataFields(),
             try Dictionary(uniqueKeysWithValues: snapshot.collections.filter(\.isLexical).map { ($0.name, try snapshot.lexicalStatistics($0)) }))
        }
        bytes = try db.storageBytes()
        do {
            let kernel = try BLAS.shared().kernel
            blas = ["core": kernel.core, "choice": kernel.choice, "config": kernel.config, "library": kernel.library,
                    "check_relative_error": kernel.checkError, "threads": kernel.threads]
        } catch {
            blas = ["error": String(describing: error)]
        }
    }

    /// The report as `info --json` prints it.
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "path": path, "documents": documents, "bytes_used": bytes.used, "bytes_file": bytes.file,
            "snapshot": snapshot, "blas": blas,
            "kernels": ["active": Kernels.active.name, "supported": Kernels.supported.map(\.name),
                        "requested": Kernels.requested ?? NSNull(),
                        "linear_layers": Dictionary(uniqueKeysWithValues: Precision.allCases.map { ($0.rawValue, $0.kernelName) })]
                as [String: Any],
            "collections": collections.map(collectionObject),
            "adapters": adapters.map { a -> [String: Any] in
                [
                    "name": a.name, "base_collection": a.base.collection, "base_model": a.base.model,
                    "input": a.shape.input, "hidden": a.shape.hidden, "output": a.shape.output,
                    "seed": a.options.seed, "data_sha256": a.data.sha256, "data_source": a.data.source,
                    "best_epoch": a.bestEpoch, "validation_mrr_at_10": a.history[a.bestEpoch].validationMRR,
                    "created": a.created,
                ]
            },
        ]
        if !fields.isEmpty {
            object["metadata_fields"] = fields.map { field -> [String: Any] in
                ["field": field.field, "documents": field.documents, "distinct_values": field.distinctValues]
            }
        }
        return object
    }

    private func collectionObject(_ c: VectorCollection) -> [String: Any] {
        var object: [String: Any] = [
            "name": c.name, "model": c.model, "weights_sha256": c.weightsSHA256, "dimensions": c.dimensions,
            "pooling": c.pooling, "prompt": c.prompt, "max_tokens": c.maxTokens, "metric": c.metric,
            "count": c.count,
        ]
        if !c.isLexical { object["precision"] = (c.precision ?? .f32).rawValue }
        if let settings = c.lexical, let statistics = lexical[c.name] {
            object["lexical"] = [
                "stemmer": settings.stemmer.rawValue, "stopwords": settings.stopwords.rawValue, "k1": settings.k1,
                "b": settings.b, "terms": statistics.terms, "postings": statistics.postings,
                "bytes": statistics.bytes, "total_length": c.termCount ?? 0,
            ] as [String: Any]
        }
        if let index = c.index, let meta = indexes[c.name] ?? nil {
            object["index"] = ["kind": "hnsw", "M": index.M, "ef_construction": index.efConstruction,
                               "count": meta.count, "deleted": meta.deletedCount, "max_level": meta.maxLevel]
        }
        return object
    }
}
