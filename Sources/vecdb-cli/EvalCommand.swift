import ArgumentParser
import Foundation
import Evaluation
import Models
import VecDB

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure retrieval quality on a BEIR dataset: nDCG@10, MRR@10, Recall@10/100, MAP@10 per model.",
        discussion: """
            Ingests the dataset's corpus (corpus.jsonl; each document is "title text", stored under its _id) into \
            the database, one collection per model, then searches every query of the split that has judgements \
            (qrels/SPLIT.tsv) and scores the run the way BEIR does (pytrec_eval's nDCG, MAP and Recall; MRR@k). \
            Documents already in the database with the same text are not embedded again, so a second run only \
            embeds the queries.

            The database defaults to ~/.cache/vecdb/eval/<dataset folder name> (not your default database). \
            Progress and timing go to stderr; results to stdout.

            Examples:
              vecdb eval --dataset ./scifact
              vecdb eval --dataset ./scifact --models minilm,./my-model --json --report scifact.html
              vecdb eval --dataset ./scifact --split train --db /tmp/scifact.vecdb --run-dir runs/
            """
    )

    @Option(help: ArgumentHelp("BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/).", valueName: "dir"))
    var dataset: String

    @Option(help: ArgumentHelp("Judgements to use: qrels/<split>.tsv.", valueName: "split"))
    var split = "test"

    @Option(help: ArgumentHelp("Comma-separated models: names from `vecdb models list` or paths.", valueName: "a,b,…"))
    var models = ModelCatalog.defaultModelName

    @Option(help: ArgumentHelp("Database folder (default: ~/.cache/vecdb/eval/<dataset folder name>).", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("Collection name, with a single model (default: the model's name).", valueName: "name"))
    var collection: String?

    @Option(help: ArgumentHelp(
        "Llama models: poolings to evaluate, comma-separated (last, logits, mean); all from one forward pass.", valueName: "list"))
    var pooling: String?

    @Option(help: ArgumentHelp("Llama models: prompts to evaluate, comma-separated (raw, chat, chat-gen).", valueName: "list"))
    var prompt: String?

    @Option(name: .long, help: "Documents retrieved per query (at least 100, for Recall@100).")
    var k = 100

    @Flag(help: "Exact search (a full scan) instead of the HNSW index (searched with ef = --k).")
    var exact = false

    @Flag(help: "Print {\"models\": {NAME: {\"ndcg_at_10\", …, \"seconds\", \"peak_rss_mb\"}}} as JSON.")
    var json = false

    @Option(help: ArgumentHelp("Write a self-contained HTML report (metric bars, score histograms).", valueName: "file.html"))
    var report: String?

    @Option(name: .customLong("run-dir"), help: ArgumentHelp(
        "Write each model's run in TREC format to DIR/<model>.run (for trec_eval / pytrec_eval).", valueName: "dir"))
    var runDirectory: String?

    func validate() throws {
        guard k >= 100 else { throw ValidationError("--k must be at least 100: Recall@100 is reported") }
        guard !modelNames.isEmpty else { throw ValidationError("--models names no model") }
        guard Set(modelNames).count == modelNames.count else { throw ValidationError("--models names a model twice") }
        if collection != nil && modelNames.count > 1 {
            throw ValidationError("--collection needs a single model; with several, each uses its own name")
        }
    }

    var modelNames: [String] { models.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    var databasePath: String {
        if let db { return db }
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache").path
        let name = URL(fileURLWithPath: dataset).standardizedFileURL.lastPathComponent
        return "\(cache)/vecdb/eval/\(name)"
    }

    func run() throws {
        let loadStarted = Date()
        let data = try BEIRDataset(folder: URL(fileURLWithPath: dataset), split: split)
        printError(String(format: "%@: %d documents, %d %@ queries with judgements; loaded in %.2f s",
                          dataset, data.corpus.count, data.queries.count, split, Date().timeIntervalSince(loadStarted)))
        if data.unknownJudgedDocuments > 0 {
            printError("note: \(data.unknownJudgedDocuments) judged documents are not in corpus.jsonl; they count as relevant and unretrievable")
        }
        func list(_ text: String?) -> [String]? { text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } }
        let path = databasePath
        if db == nil {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
        }
        // Resolve every model first, so a typo fails before minutes of embedding and before a database is made.
        // Adapters live in the database, so an existing one is opened first (once: LMDB allows one handle per process).
        let mapSize = try DatabaseOptions.mapSize()
        let existing = FileManager.default.fileExists(atPath: path + "/data.mdb")
            ? try VectorDatabase(path: path, create: false, mapSize: mapSize) : nil
        let resolver = ModelOptions.resolver
        let targets = try modelNames.map { name in
            try existing.map { db in try db.read { try resolver.resolve(name, in: $0) } } ?? resolver.resolve(name, in: nil)
        }
        let database = try existing ?? VectorDatabase(path: path, create: true, mapSize: mapSize)
        printError("database: \(path)")

        var evaluations: [RetrievalEvaluation] = []
        var measured: [String: (seconds: Double, peakMiB: Double?)] = [:]
        for (name, target) in zip(modelNames, targets) {
            ProcessMemory.resetPeak()
            let started = Date()
            let embedder: SpaceEmbedder
            switch target {
            case .model(let reference):
                let options = reference.kind == .gguf ? EmbeddingOptions(poolings: list(pooling), prompts: list(prompt)) : EmbeddingOptions()
                embedder = try resolver.embedder(for: target, options: options, collection: collection)
            case .adapter:
                embedder = try resolver.embedder(for: target)
            }
            let meter = ProgressMeter(enabled: standardErrorIsTerminal)
            var phase: RetrievalEvaluation.Phase?
            let spaceEvaluations = try RetrievalEvaluation.run(
                dataset: data, database: database, embedder: embedder, k: k, exact: exact
            ) { current, done, total in
                if current != phase {
                    meter.finish()
                    if !standardErrorIsTerminal { printError("\(name): \(current.rawValue) (\(total))") }
                    phase = current
                }
                let unit = current == .ingest ? "docs" : "queries"
                // Redraw at most every 16 queries: a search takes well under a millisecond on small corpora.
                if current != .search || done % 16 == 0 || done == total { meter.update(done: done, total: total, unit: unit) }
            }
            meter.finish()
            let seconds = Date().timeIntervalSince(started)
            let peak = ProcessMemory.peakResidentMiB()
            for evaluation in spaceEvaluations {
                measured[evaluation.model] = (seconds, peak)
                let ingest = evaluation.ingest
                printError(String(
                    format: "%@: model load %.1f s, ingest %.1f s (%d added, %d embedded, %d updated, %d already present), "
                        + "query embedding %.2f s, %@ search %.2f s (%.0f queries/s), total %.1f s, peak RSS %@",
                    evaluation.model, seconds - evaluation.seconds, evaluation.ingestSeconds,
                    ingest.added, ingest.embedded, ingest.updated, ingest.alreadyPresent, evaluation.queryEmbeddingSeconds,
                    evaluation.mode.name, evaluation.searchSeconds,
                    evaluation.searchSeconds > 0 ? Double(evaluation.queryCount) / evaluation.searchSeconds : 0,
                    seconds, peak.map { String(format: "%.0f MiB", $0) } ?? "unknown"))
                evaluations.append(evaluation)
                if let runDirectory {
                    try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
                    let file = URL(fileURLWithPath: runDirectory).appendingPathComponent("\(evaluation.collection).run")
                    try Data(evaluation.trecRun(tag: evaluation.collection).utf8).write(to: file)
                }
            }
        }

        if let report {
            let notes = Dictionary(uniqueKeysWithValues: evaluations.map { evaluation -> (String, EvaluationReport.Notes) in
                let facts = measured[evaluation.model]!
                var notes: EvaluationReport.Notes = [
                    "seconds": String(format: "%.1f", facts.seconds),
                    "queries": "\(evaluation.queryCount)",
                    "search": evaluation.mode.name,
                ]
                if let peak = facts.peakMiB { notes["peak RSS"] = String(format: "%.0f MiB", peak) }
                return (evaluation.model, notes)
            })
            let html = EvaluationReport.html(dataset: data, evaluations: evaluations, notes: notes)
            do {
                try Data(html.utf8).write(to: URL(fileURLWithPath: report))
            } catch {
                throw CommandFailure("--report \(report): cannot write: \(error.localizedDescription)", exitCode: .ioError)
            }
            printError("report: \(report)")
        }

        if json {
            var models: [String: Any] = [:]
            for evaluation in evaluations {
                var object: [String: Any] = evaluation.metrics.mapValues { roundTo($0, 5) }
                let facts = measured[evaluation.model]!
                object["seconds"] = roundTo(facts.seconds, 2)
                object["peak_rss_mb"] = facts.peakMiB.map { roundTo($0, 1) } ?? NSNull()
                object["collection"] = evaluation.collection
                object["search"] = evaluation.mode.name
                models[evaluation.model] = object
            }
            printJSONLine([
                "models": models, "dataset": dataset, "split": split, "queries": data.queries.count,
                "documents": data.corpus.count, "k": k,
            ] as [String: Any])
            return
        }
        let header = ["model"] + RetrievalEvaluation.reported.map(\.label) + ["seconds", "peak RSS MiB"]
        var rows = [header]
        for evaluation in evaluations {
            let facts = measured[evaluation.model]!
            rows.append([evaluation.model] + RetrievalEvaluation.reported.map { String(format: "%.4f", evaluation.metrics[$0.key] ?? 0) }
                + [String(format: "%.1f", facts.seconds), facts.peakMiB.map { String(format: "%.0f", $0) } ?? "?"])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            print(row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
    }
}
