import ArgumentParser
import BLAS
import Foundation
import Kernels
import VecDB

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show the database's documents, collections, size on disk, and the BLAS and vecdb kernels in use.",
        discussion: """
            Examples:
              vecdb info
              vecdb info --db ./scifact.vecdb --json
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Print as JSON.")
    var json = false

    func run() throws {
        let db = try database.open(create: false, readOnly: true)
        // One snapshot: the counts, collections, indexes and adapters shown belong together.
        let (snapshot, documents, collections, indexes, adapters, fields, lexical) = try db.read { snapshot in
            (snapshot.id, try snapshot.documentCount(), snapshot.collections,
             try Dictionary(uniqueKeysWithValues: snapshot.collections.filter { !$0.isLexical }
                .map { ($0.name, try snapshot.indexMetadata(collection: $0.name)) }),
             try snapshot.adapters(), try snapshot.metadataFields(),
             try Dictionary(uniqueKeysWithValues: snapshot.collections.filter(\.isLexical).map { ($0.name, try snapshot.lexicalStatistics($0)) }))
        }
        let bytes = try db.storageBytes()
        let blas: [String: Any]
        do {
            let kernel = try BLAS.shared().kernel
            blas = ["core": kernel.core, "choice": kernel.choice, "config": kernel.config, "library": kernel.library,
                    "check_relative_error": kernel.checkError, "threads": kernel.threads]
        } catch {
            blas = ["error": String(describing: error)]
        }
        if json {
            var object: [String: Any] = [
                "path": db.path, "documents": documents, "bytes_used": bytes.used, "bytes_file": bytes.file,
                "snapshot": snapshot, "blas": blas,
                "kernels": ["active": Kernels.active.name, "supported": Kernels.supported.map(\.name),
                            "requested": Kernels.requested ?? NSNull()] as [String: Any],
                "collections": collections.map { c -> [String: Any] in
                    var object: [String: Any] = [
                        "name": c.name, "model": c.model, "weights_sha256": c.weightsSHA256, "dimensions": c.dimensions,
                        "pooling": c.pooling, "prompt": c.prompt, "max_tokens": c.maxTokens, "metric": c.metric,
                        "count": c.count,
                    ]
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
                },
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
            printJSONLine(object)
            return
        }
        print("database   \(db.path)")
        print("documents  \(documents)")
        print("disk       \(bytes.used) bytes used, data file \(bytes.file) bytes")
        if let error = blas["error"] {
            print("blas       unavailable: \(error)")
        } else {
            print("blas       OpenBLAS core \(blas["core"]!) (\(blas["choice"]!)), \(blas["threads"]!) threads, "
                + "start-up check error \(String(format: "%.1e", blas["check_relative_error"] as! Double)); "
                + "vecdb kernels \(Kernels.active.name) (of \(Kernels.supported.map(\.name).joined(separator: ", ")))")
        }
        if collections.isEmpty { print("collections none") }
        for c in collections {
            if let settings = c.lexical, let statistics = lexical[c.name] {
                let average = c.count > 0 ? Double(c.termCount ?? 0) / Double(c.count) : 0
                print("collection \(c.name): lexical (BM25 k1 \(settings.k1), b \(settings.b)), \(c.count) documents, "
                    + "stemmer \(settings.stemmer.rawValue), stopwords \(settings.stopwords.rawValue)")
                print(String(format: "           %d terms, %d postings, %d bytes (%.1f per document), %.1f terms per document",
                             statistics.terms, statistics.postings, statistics.bytes,
                             c.count > 0 ? Double(statistics.bytes) / Double(c.count) : 0, average))
                continue
            }
            print("collection \(c.name): \(c.count) vectors × \(c.dimensions) dims, model \(c.model) "
                + "(weights sha256 \(c.weightsSHA256.prefix(12))…), pooling \(c.pooling), prompt \(c.prompt), "
                + "max \(c.maxTokens) tokens, \(c.metric)")
            if let index = c.index, let meta = indexes[c.name] ?? nil {
                print("           index HNSW M \(index.M), efConstruction \(index.efConstruction): \(meta.count) nodes, "
                    + "\(meta.deletedCount) deleted, \(meta.maxLevel + 1) layers; queries use it from \(Snapshot.indexThreshold) vectors")
            } else {
                print("           no index: searched exactly")
            }
        }
        for field in fields {
            let values = field.distinctValues.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            print("metadata   \(field.field): \(field.documents) documents" + (values.isEmpty ? "" : ", distinct values: \(values)"))
        }
        for a in adapters {
            print("adapter    \(a.name): \(a.base.collection) → \(a.shape.hidden > 0 ? "\(a.shape.hidden) → " : "")\(a.shape.output) dims, "
                + "trained on \(a.data.source), \(a.data.pairs) pairs (sha256 \(a.data.sha256.prefix(12))…), seed \(a.options.seed), "
                + String(format: "best epoch %d, validation MRR@10 %.4f", a.bestEpoch, a.history[a.bestEpoch].validationMRR))
        }
    }
}
