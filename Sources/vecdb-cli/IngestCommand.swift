import ArgumentParser
import Foundation
import Reports
import VecDB

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Store documents and their vectors: one document per line, or JSON Lines.",
        discussion: """
            A plain file gives one document per line (blank lines are skipped and counted); a .jsonl file gives \
            objects {"id"?, "text", ...metadata}. A line with an "id" replaces the document with that id; a line \
            without one is stored once however often it appears (deduplicated by a hash of its text). Ingesting \
            stored documents with another --model adds that model's vectors without storing the text again; \
            --model bm25 indexes the documents' terms for BM25 (a lexical space: Porter stemmer and English \
            stopwords unless --stemmer/--stopwords say otherwise; k1 and b stored with it).

            A file is checked completely (UTF-8, JSON) before anything is written. Each batch of documents is \
            one transaction: after a crash the database holds every batch that was reported committed \
            (`--progress json` prints one line per commit).

            Examples:
              vecdb ingest answers.txt
              vecdb ingest corpus.jsonl --db ./scifact.vecdb --progress json
              vecdb ingest answers.txt --model smollm2 --pooling last,logits,mean --prompt chat,chat-gen
              vecdb ingest answers.txt --model bm25
              vecdb ingest corpus.jsonl --model bm25 --stemmer none --k1 1.2 --b 0.75 --collection bm25-plain
              cat notes.txt | vecdb ingest -
            """
    )

    @Argument(help: ArgumentHelp("File to ingest, or - for standard input.", valueName: "file"))
    var file: String

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "Input format; by default .jsonl files are JSON Lines, everything else text.")
    var format: InputReader.Format?

    @Option(name: .customLong("batch-size"), help: "Documents per transaction.")
    var batchSize: Int = 256

    @Option(help: "Progress: auto (a live line on stderr when it is a terminal), json (one line per commit on stdout), none.")
    var progress: ProgressMode = .auto

    @Flag(help: "Print the summary as JSON.")
    var json = false

    enum ProgressMode: String, ExpressibleByArgument, CaseIterable { case auto, json, none }

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        let input = try InputReader(path: file, format: format)
        if file != "-" { try input.validateAll() }
        if try input.hasNoRecords() {
            throw VecDBError.invalidInput(InputLocation(input.sourceName), "no documents (\(input.lineNumber) lines, all blank)")
        }
        // Opened once: LMDB forbids two handles on one environment in a process. A new database is created only
        // after the model loads, so a bad model name leaves nothing behind.
        let existing = try database.openIfPresent(readOnly: false)
        let embedder = try existing.map { db in
            try db.read { snapshot in
                let space = try modelOptions.space(in: snapshot)
                // A collection made another way is refused (one line) before any note.
                for target in space.spaces { _ = try snapshot.compatibleCollection(for: target) }
                return space
            }
        } ?? modelOptions.space(in: nil)
        noteSlowPrecision(embedder)
        let db = try existing ?? database.open(create: true)
        let meter = ProgressMeter(enabled: progress == .auto && standardErrorIsTerminal)
        let summary = try db.ingest(from: input, embedder: embedder, batchSize: batchSize) { commit in
            switch progress {
            case .json:
                var event = ResultJSON.summary(commit.summary)
                event["event"] = "commit"
                event["transaction"] = commit.transactionID
                printJSONLine(event)
            case .auto:
                meter.update(done: commit.summary.linesCommitted, total: commit.totalLines, unit: "lines")
            case .none:
                break
            }
        }
        meter.finish()
        if json || progress == .json {
            var event = ResultJSON.summary(summary)
            if progress == .json { event["event"] = "done" }
            printJSONLine(event)
        } else {
            // A lexical space reads every term: nothing is truncated.
            let truncation = embedder.spaces[0].lexical != nil ? ""
                : ", \(summary.truncated) truncated to \(embedder.spaces[0].maxTokens) tokens"
            print("""
                \(summary.added) added, \(summary.updated) updated, \(summary.embedded) \
                \(embedder.spaces[0].lexical != nil ? "indexed" : "embedded") for \
                \(summary.collections.map { "'\($0)'" }.joined(separator: ", ")), \(summary.alreadyPresent) already \
                present, \(summary.skippedBlank) blank skipped\(truncation); \
                \(String(format: "%.2f", summary.seconds)) s, \(String(format: "%.1f", summary.documentsPerSecond)) docs/s
                """)
        }
    }
}

extension InputReader.Format: ExpressibleByArgument {}
