import ArgumentParser
import Embedder
import Foundation
import Evaluation
import Models
import SeededRandom
import Reports
import VecDB

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure retrieval quality on a BEIR dataset: nDCG@10, MRR@10, Recall@10/100, MAP@10 per model; compare models.",
        discussion: """
            Ingests the dataset's corpus (corpus.jsonl; each document is "title text", stored under its _id) into \
            the database, one collection per model, then searches every query of the split that has judgements \
            (qrels/SPLIT.tsv) and scores the run the way BEIR does (pytrec_eval's nDCG, MAP and Recall; MRR@k). \
            Documents already in the database with the same text are not embedded again, so a second run only \
            embeds the queries.

            Every collection is ranked by exact scan, so the figures are the model's own; --index also searches \
            collections that have an HNSW index through it (ef = --k) and reports those figures and the index's \
            recall against the scan apart. --compare A,B[,C…] compares every pair of the evaluated models per query \
            (nDCG@10 deltas, wins / ties / losses, bootstrap 95 % interval, paired randomization and t-test \
            p-values, Holm-corrected over the pairs) and where each relevant document moved; names are models of \
            --models, or their pooling:prompt variants (smollm2:mean:raw).

            The database defaults to ~/.cache/vecdb/eval/<dataset folder name> (not your default database). \
            Progress and timing go to stderr; results to stdout.

            --models defaults to every installed model and the lexical space bm25 (BM25 over Porter-stemmed \
            terms, k1 0.9, b 0.4 unless --stemmer/--stopwords/--k1/--b say otherwise). --fuse adds a fused run \
            scored like a model: `rrf` (reciprocal rank fusion, k 60; `rrf:K`) or `weighted:W` (min–max \
            normalised scores, weight W on the first input) over every evaluated model's top --k, or over the ones \
            named in brackets: --fuse 'rrf(minilm,bm25)' adds the row rrf(minilm,bm25). Repeat --fuse for several.

            Examples:
              vecdb eval --dataset ./scifact
              vecdb eval --dataset ./scifact --models minilm,bm25 --fuse rrf
              vecdb eval --dataset ./scifact --models minilm,minilm+sci,bm25 --fuse 'rrf(minilm,bm25)' \
                  --fuse 'rrf(minilm+sci,bm25)' --compare 'minilm,rrf(minilm,bm25)'
              vecdb eval --dataset ./scifact --models minilm,./my-model --json --report scifact.html
              vecdb eval --dataset ./scifact --split train --db /tmp/scifact.vecdb --run-dir runs/
              vecdb eval --dataset ./scifact --models smollm2,smollm2+adapter,minilm \
                  --compare smollm2,smollm2+adapter,minilm --report scifact.html
              vecdb eval --dataset ./scifact --index --json
            """
    )

    @Option(help: ArgumentHelp("BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/).", valueName: "dir"))
    var dataset: String

    @Option(help: ArgumentHelp("Judgements to use: qrels/<split>.tsv.", valueName: "split"))
    var split = "test"

    @Option(help: ArgumentHelp(
        "Comma-separated models: names from `vecdb models list`, adapters, paths, or bm25 (default: every installed model, and bm25).",
        valueName: "a,b,…"))
    var models: String?

    @OptionGroup var lexical: LexicalOptions

    @Option(name: .customLong("fuse"), help: ArgumentHelp(
        "Add a fused run: rrf, rrf:K or weighted:W, over all models or those in brackets, e.g. 'rrf(minilm,bm25)'. Repeatable.",
        valueName: "fusion"))
    var fusions: [String] = []

    @Option(help: ArgumentHelp("Database folder (default: ~/.cache/vecdb/eval/<dataset folder name>).", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("Collection name, with a single model (default: the model's name).", valueName: "name"))
    var collection: String?

    @Option(help: ArgumentHelp(
        "Llama models: poolings to evaluate, comma-separated (last, logits, mean); all from one forward pass.", valueName: "list"))
    var pooling: String?

    @Option(help: ArgumentHelp("Llama models: prompts to evaluate, comma-separated (raw, chat, chat-gen).", valueName: "list"))
    var prompt: String?

    @Option(name: .customLong("max-tokens"), help: ArgumentHelp(
        "Llama models: token limit (default 512); another limit is its own collection, MODEL:POOLING:PROMPT:N.", valueName: "n"))
    var maxTokens: Int?

    @Option(help: ArgumentHelp(
        "Arithmetic of every model's linear layers: f32 (default), bf16 or int8; or name one model MODEL@PRECISION in "
            + "--models to compare precisions side by side.", valueName: "precision"))
    var precision: Precision?

    @Option(name: .long, help: "Documents retrieved per query (at least 100, for Recall@100).")
    var k = 100

    @Flag(help: "Rank by exact scan: the default since the index is measured apart (--index); kept for scripts.")
    var exact = false

    @Flag(help: "Also search through each collection's HNSW index (ef = --k) and report its figures and recall vs exact.")
    var index = false

    @Option(help: ArgumentHelp("Compare these evaluated models pairwise, per query (at least two).", valueName: "a,b,…"))
    var compare: String?

    @Option(help: ArgumentHelp("--compare: randomization-test permutations and bootstrap resamples.", valueName: "n"))
    var permutations = 10_000

    @Option(help: ArgumentHelp("--compare: seed of the permutations and resamples.", valueName: "n"))
    var seed: UInt64 = 1

    @Flag(help: "Print {\"models\": {NAME: {\"ndcg_at_10\", …, \"seconds\", \"peak_rss_mb\"}}, \"comparisons\": […]} as JSON.")
    var json = false

    @Option(help: ArgumentHelp(
        "Write a self-contained HTML report (metric bars, score histograms, comparisons).", valueName: "file.html"))
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
        guard !(exact && index) else {
            throw ValidationError("--exact and --index exclude each other: the exact scan is the default, --index adds the index's figures")
        }
        for fusion in fusions { _ = try EvalCommand.parseFusion(fusion) }
        if let names = comparedNames {
            guard names.count >= 2 else { throw ValidationError("--compare needs at least two models") }
            guard Set(names).count == names.count else { throw ValidationError("--compare names a model twice") }
            // A variant's collection is MODEL:POOLING:PROMPT; its model must be evaluated. Fused runs are named
            // after their inputs and checked once evaluated.
            for name in names where !name.contains("(") && !modelNames.contains(where: { name == $0 || name.hasPrefix($0 + ":") }) {
                throw ValidationError("--compare: '\(name)' is not among --models (\(modelNames.joined(separator: ",")))")
            }
            guard permutations > 0 else { throw ValidationError("--permutations must be positive") }
        }
    }

    var comparedNames: [String]? { compare.map(EvalCommand.splitList) }

    var modelNames: [String] {
        guard let models else {
            let store = ModelOptions.resolver.store
            return ModelCatalog.all.filter(store.isInstalled).map(\.name) + [LexicalSpace.modelName]
        }
        return EvalCommand.splitList(models)
    }

    /// A comma-separated list whose items may hold bracketed commas: `minilm,rrf(minilm,bm25)`.
    static func splitList(_ text: String) -> [String] {
        var items: [String] = [], current = "", depth = 0
        for character in text {
            if character == "(" { depth += 1 } else if character == ")" { depth -= 1 }
            if character == ",", depth == 0 {
                items.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        items.append(current)
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `rrf`, `rrf:K`, `weighted:W`, each optionally with `(a,b,…)`: the fusion and its inputs (nil: every model).
    static func parseFusion(_ text: String) throws -> (fusion: RankFusion, inputs: [String]?) {
        guard let open = text.firstIndex(of: "(") else { return (try RankFusion(parsing: text), nil) }
        guard text.hasSuffix(")") else { throw ValidationError("--fuse \(text): the inputs' list must end with ')'") }
        let inputs = splitList(String(text[text.index(after: open)..<text.index(before: text.endIndex)]))
        guard inputs.count >= 2 else { throw ValidationError("--fuse \(text): name at least two inputs") }
        return (try RankFusion(parsing: String(text[..<open])), inputs)
    }

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
        let lexicalOptions = EmbeddingOptions(stemmer: lexical.stemmer, stopwords: lexical.stopwords, k1: lexical.k1, b: lexical.b)
        // nil: the lexical space, made below.
        let targets = try modelNames.map { name -> ModelResolver.Target? in
            if name == LexicalSpace.modelName { return nil }
            return try existing.map { db in try db.read { try resolver.resolve(name, in: $0) } } ?? resolver.resolve(name, in: nil)
        }
        let database = try existing ?? VectorDatabase(path: path, create: true, mapSize: mapSize)
        printError("database: \(path)")

        var evaluations: [RetrievalEvaluation] = []
        var measured: [String: (seconds: Double, peakMiB: Double?)] = [:]
        for (name, target) in zip(modelNames, targets) {
            ProcessMemory.resetPeak()
            let started = Date()
            let embedder: SpaceEmbedding
            switch target {
            case nil:
                embedder = try existing.map { db in try db.read { try resolver.space(name, options: lexicalOptions, collection: collection, in: $0) } }
                    ?? resolver.space(name, options: lexicalOptions, collection: collection, in: nil)
            case .model(let reference)?:
                let options = reference.kind == .gguf
                    ? EmbeddingOptions(poolings: list(pooling), prompts: list(prompt), maxTokens: maxTokens, precision: precision)
                    : EmbeddingOptions(precision: precision)
                embedder = try resolver.embedder(for: .model(reference), options: options, collection: collection)
                noteSlowPrecision(embedder)
            case let target?:
                embedder = try resolver.embedder(for: target)
            }
            let meter = ProgressMeter(enabled: standardErrorIsTerminal)
            var phase: RetrievalEvaluation.Phase?
            let spaceEvaluations = try RetrievalEvaluation.run(
                dataset: data, database: database, embedder: embedder, k: k, index: index
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
                        + "query embedding %.2f s, exact search %.2f s (%.0f queries/s), total %.1f s, peak RSS %@",
                    evaluation.model, seconds - evaluation.seconds, evaluation.ingestSeconds,
                    ingest.added, ingest.embedded, ingest.updated, ingest.alreadyPresent, evaluation.queryEmbeddingSeconds,
                    evaluation.searchSeconds, rate(evaluation.queryCount, evaluation.searchSeconds),
                    seconds, peak.map { String(format: "%.0f MiB", $0) } ?? "unknown"))
                if let measured = evaluation.index {
                    printError(String(format: "%@: %@ search %.2f s (%.0f queries/s), recall@%d vs exact %.4f",
                                      evaluation.model, measured.mode.name, measured.searchSeconds,
                                      rate(evaluation.queryCount, measured.searchSeconds), k, measured.recallVsExact))
                } else if index {
                    printError("\(evaluation.model): collection '\(evaluation.collection)' has no HNSW index; only the exact scan is reported")
                }
                evaluations.append(evaluation)
                if let runDirectory {
                    try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
                    let file = URL(fileURLWithPath: runDirectory).appendingPathComponent("\(evaluation.collection).run")
                    try Data(evaluation.trecRun(tag: evaluation.collection).utf8).write(to: file)
                }
            }
        }

        for text in fusions {
            let (fusion, named) = try EvalCommand.parseFusion(text)
            let byName = Dictionary(evaluations.map { ($0.model, $0) }, uniquingKeysWith: { first, _ in first })
            let inputs = try (named ?? evaluations.filter { !$0.model.contains("(") }.map(\.model)).map { name in
                guard let evaluation = byName[name] else {
                    throw CommandFailure("--fuse \(text): '\(name)' was not evaluated; evaluated: "
                        + evaluations.map(\.model).joined(separator: ", "), exitCode: .usage)
                }
                return evaluation
            }
            guard inputs.count >= 2 else {
                throw CommandFailure("--fuse \(text): fusion needs at least two evaluated models", exitCode: .usage)
            }
            let fused = RetrievalEvaluation.fused(fusion, of: inputs, qrels: data.qrels)
            measured[fused.model] = (fused.seconds, nil)
            evaluations.append(fused)
            if let runDirectory {
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
                let file = URL(fileURLWithPath: runDirectory).appendingPathComponent("\(fused.collection).run")
                try Data(fused.trecRun(tag: fused.collection).utf8).write(to: file)
            }
        }

        let comparisons: [ModelComparison] = try comparedNames.map { names -> [ModelComparison] in
            let byName = Dictionary(evaluations.map { ($0.model, $0) }, uniquingKeysWith: { first, _ in first })
            let chosen = try names.map { name in
                guard let evaluation = byName[name] else {
                    throw CommandFailure("--compare: '\(name)' was not evaluated; evaluated: "
                        + evaluations.map(\.model).joined(separator: ", "), exitCode: .usage)
                }
                return evaluation
            }
            return ModelComparison.compareAll(chosen.map { ($0.model, $0.run) }, qrels: data.qrels, permutations: permutations, seed: seed,
                                              generator: SplitMix64.init(seed:))
        } ?? []

        // A collection made at a reduced precision beside the same model's f32 one: how close its vectors are.
        let agreements = try database.read { snapshot in
            try Dictionary(uniqueKeysWithValues: evaluations.compactMap { evaluation -> (String, VectorAgreement)? in
                guard let collection = snapshot.collection(named: evaluation.collection),
                      let reference = snapshot.float32Counterpart(of: collection),
                      let agreement = try snapshot.agreement(of: collection, with: reference) else { return nil }
                return (evaluation.model, agreement)
            })
        }

        if let report {
            let notes = Dictionary(uniqueKeysWithValues: evaluations.map { evaluation -> (String, EvaluationReport.Notes) in
                let facts = measured[evaluation.model]!
                var notes: EvaluationReport.Notes = [
                    "seconds": String(format: "%.1f", facts.seconds),
                    "queries": "\(evaluation.queryCount)",
                    "search": "exact",
                ]
                if let peak = facts.peakMiB { notes["peak RSS"] = String(format: "%.0f MiB", peak) }
                if let measured = evaluation.index { notes["index search"] = measured.mode.name }
                if let agreement = agreements[evaluation.model] {
                    notes["cosine to \(agreement.reference)"] = String(format: "min %.4f, mean %.4f", agreement.minimumCosine,
                                                                        agreement.meanCosine)
                }
                return (evaluation.model, notes)
            })
            let html = EvaluationReport.html(dataset: data, evaluations: evaluations, notes: notes, comparisons: comparisons)
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
                var object: [String: Any] = evaluation.metrics.mapValues { ResultJSON.rounded($0, 5) }
                let facts = measured[evaluation.model]!
                object["seconds"] = ResultJSON.rounded(facts.seconds, 2)
                object["peak_rss_mb"] = facts.peakMiB.map { ResultJSON.rounded($0, 1) } ?? NSNull()
                object["collection"] = evaluation.collection
                object["search"] = "exact"
                if let measured = evaluation.index {
                    var figures: [String: Any] = measured.metrics.mapValues { ResultJSON.rounded($0, 5) }
                    figures["recall_vs_exact"] = ResultJSON.rounded(measured.recallVsExact, 5)
                    figures["ef"] = measured.ef
                    figures["search"] = measured.mode.name
                    figures["search_seconds"] = ResultJSON.rounded(measured.searchSeconds, 3)
                    object["index"] = figures
                }
                if let agreement = agreements[evaluation.model] {
                    object["cosine_to_f32"] = [
                        "collection": agreement.reference, "documents": agreement.documents,
                        "min": ResultJSON.rounded(agreement.minimumCosine, 6), "mean": ResultJSON.rounded(agreement.meanCosine, 6),
                    ] as [String: Any]
                }
                models[evaluation.model] = object
            }
            var output: [String: Any] = [
                "models": models, "dataset": dataset, "split": split, "queries": data.queries.count,
                "documents": data.corpus.count, "k": k,
            ]
            if compare != nil {
                output["comparisons"] = comparisons.map { comparison -> [String: Any] in
                    [
                        "a": comparison.a, "b": comparison.b, "wins": comparison.wins, "ties": comparison.ties,
                        "losses": comparison.losses, "mean_delta": comparison.meanDelta,
                        "ci95": [comparison.interval.low, comparison.interval.high],
                        "p_randomization": comparison.pRandomization, "p_ttest": comparison.pTTest ?? NSNull(),
                        "p_holm": comparison.pHolm, "per_query": comparison.deltas,
                    ]
                }
            }
            printJSONLine(output)
            return
        }
        let header = ["model"] + RetrievalEvaluation.reported.map(\.label) + ["seconds", "peak RSS MiB"]
        var rows = [header]
        for evaluation in evaluations {
            let facts = measured[evaluation.model]!
            rows.append([evaluation.model] + RetrievalEvaluation.reported.map { String(format: "%.4f", evaluation.metrics[$0.key] ?? 0) }
                + [String(format: "%.1f", facts.seconds), facts.peakMiB.map { String(format: "%.0f", $0) } ?? "?"])
        }
        printTable(rows)
        for evaluation in evaluations {
            guard let agreement = agreements[evaluation.model] else { continue }
            print(String(format: "%@: vectors against %@ (f32), cosine min %.4f, mean %.4f over %d documents", evaluation.model,
                         agreement.reference, agreement.minimumCosine, agreement.meanCosine, agreement.documents))
        }
        let indexed = evaluations.filter { $0.index != nil }
        if !indexed.isEmpty {
            print("\nthrough the HNSW index (in brackets: minus the exact scan's figure)")
            var indexRows = [["model", "search"] + RetrievalEvaluation.reported.map(\.label) + ["recall vs exact"]]
            for evaluation in indexed {
                let measured = evaluation.index!
                indexRows.append([evaluation.model, measured.mode.name] + RetrievalEvaluation.reported.map { metric in
                    let value = measured.metrics[metric.key] ?? 0
                    return String(format: "%.4f (%+.4f)", value, value - (evaluation.metrics[metric.key] ?? 0))
                } + [String(format: "%.4f", measured.recallVsExact)])
            }
            printTable(indexRows, leftColumns: 2)
        }
        if !comparisons.isEmpty {
            print("\nnDCG@10 per query, second − first (significant: Holm-corrected randomization p < \(ModelComparison.alpha))")
            var comparisonRows = [["first", "second", "wins", "ties", "losses", "mean delta", "95% CI", "p rand", "p t-test",
                                   "p Holm", "significant"]]
            for c in comparisons {
                comparisonRows.append([
                    c.a, c.b, "\(c.wins)", "\(c.ties)", "\(c.losses)", String(format: "%+.4f", c.meanDelta),
                    String(format: "[%+.4f, %+.4f]", c.interval.low, c.interval.high), pValue(c.pRandomization),
                    c.pTTest.map(pValue) ?? "-", pValue(c.pHolm), c.significant ? "yes" : "no",
                ])
            }
            printTable(comparisonRows, leftColumns: 2)
        }
    }

    private func rate(_ count: Int, _ seconds: Double) -> Double { seconds > 0 ? Double(count) / seconds : 0 }

    private func pValue(_ p: Double) -> String { p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p) }

    /// Columns padded to their widest cell: the first `leftColumns` left-aligned (names), the rest right-aligned.
    private func printTable(_ rows: [[String]], leftColumns: Int = 1) {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max()! }
        for row in rows {
            print(row.enumerated().map { column, cell in
                column < leftColumns ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  "))
        }
    }
}
