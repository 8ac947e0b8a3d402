import ArgumentParser
import Embedder
import Foundation
import Kernels
import Reports
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
        let report = try DatabaseReport(db)
        if json {
            printJSONLine(report.jsonObject)
            return
        }
        let (documents, collections, indexes, adapters, fields, lexical, bytes, blas) =
            (report.documents, report.collections, report.indexes, report.adapters, report.fields, report.lexical,
             report.bytes, report.blas)
        print("database   \(db.path)")
        print("documents  \(documents)")
        print("disk       \(bytes.used) bytes used, data file \(bytes.file) bytes")
        if let error = blas["error"] {
            print("blas       unavailable: \(error)")
        } else {
            print("blas       OpenBLAS core \(blas["core"]!) (\(blas["choice"]!)), \(blas["threads"]!) threads, "
                + "start-up check error \(String(format: "%.1e", blas["check_relative_error"] as! Double)); "
                + "vecdb kernels \(Kernels.active.name) (of \(Kernels.supported.map(\.name).joined(separator: ", ")))")
            print("linear     " + Precision.allCases.map { "\($0.rawValue) on \($0.kernelName)" }.joined(separator: ", "))
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
                + "max \(c.maxTokens) tokens, \(c.metric), precision \((c.precision ?? .f32).rawValue)")
            if let index = c.index, let meta = indexes[c.name] ?? nil {
                print("           index HNSW M \(index.M), efConstruction \(index.efConstruction), quantization \(index.quantization.rawValue) "
                    + "(\(meta.traversalBytesPerVector) bytes per vector walked, \(meta.storedBytesPerVector) stored): \(meta.count) nodes, "
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
