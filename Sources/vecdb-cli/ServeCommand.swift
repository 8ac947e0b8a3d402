import ArgumentParser
import Foundation
import Logging
import Models
import Server
import VecDB

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the database over HTTP: a JSON API that ingests, queries, embeds and deletes.",
        discussion: """
            Loads the models once (--models, else one per collection of the database, else minilm) and answers \
            the routes listed at GET /openapi.json (docs/SERVER.md): /healthz, /v1/info, /v1/models, /metrics, \
            /v1/documents, /v1/documents/{id}, /v1/delete, /v1/query, /v1/embed. A write is answered after its \
            commit: an acknowledged document survives a crash. Reads run in parallel on their own snapshots; \
            writes commit one at a time, at most --write-queue waiting (429 beyond); each model runs one forward \
            pass at a time.

            It binds 127.0.0.1 unless told otherwise, and refuses an address beyond loopback without an API key. \
            With a key every route but /healthz needs `Authorization: Bearer KEY` (or `api-key: KEY`); the \
            read-only key may query but not write. SIGTERM or SIGINT stops it: new writes are refused (503), \
            admitted ones commit, and it exits 0. It prints `listening on http://HOST:PORT` on stderr once ready.

            Examples:
              vecdb serve
              vecdb serve --db ./scifact.vecdb --port 8080 --models minilm,bm25
              VECDB_API_KEY=secret vecdb serve --host 0.0.0.0 --read-only-key reader
              curl -s localhost:8080/v1/query -d '{"text": "What is GPU?", "k": 3}'
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to bind (beyond loopback only with an API key).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "The key every route but /healthz needs (default: $VECDB_API_KEY; none: no key needed on loopback).", valueName: "key"))
    var apiKey: String?

    @Option(name: .customLong("read-only-key"), help: ArgumentHelp("A key that may read and query but not write.", valueName: "key"))
    var readOnlyKey: String?

    @Option(help: ArgumentHelp(
        "Comma-separated spaces to load: MODEL[:POOLING[:PROMPT]], adapters, bm25 (default: the database's).", valueName: "models"))
    var models: String?

    @Option(name: .customLong("max-body"), help: ArgumentHelp("Largest request body in bytes (413 beyond).", valueName: "bytes"))
    var maxBody = 32 * 1024 * 1024

    @Option(name: .customLong("write-queue"), help: ArgumentHelp("Write requests admitted at once (429 beyond).", valueName: "n"))
    var writeQueue = 64

    func run() throws {
        var settings = Server.ServerConfiguration()
        settings.host = host
        settings.port = port
        settings.apiKey = apiKey ?? ProcessInfo.processInfo.environment["VECDB_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        settings.readOnlyKey = readOnlyKey
        settings.maxBodyBytes = maxBody
        settings.writeQueueLimit = writeQueue
        do {
            settings = try settings.validated()
        } catch let error as ServerConfigurationError {
            throw CommandFailure(error.description, exitCode: .usage)
        }
        let specs = models.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        // Models load before a new database is created, so a bad name leaves nothing behind.
        let existing = try database.openIfPresent(readOnly: false)
        let served: ServedModels
        do {
            served = try ServedModels.load(specs: specs, database: existing, resolver: ModelOptions.resolver)
        } catch let error as ServerConfigurationError {
            throw CommandFailure(error.description, exitCode: .usage)
        }
        let db = try existing ?? database.open(create: true)
        for (spec, reason) in served.skipped { printError("serve: not serving '\(spec)': \(reason)") }
        let service = DatabaseService(database: db, models: served, configuration: settings)
        let hostName = host
        let outcome = ResultBox()
        let app = buildApplication(service: service, logger: Logger(label: "vecdb.serve")) { port in
            outcome.started = true
            printError("listening on http://\(hostName):\(port) (models: \(served.names.joined(separator: ", ")))")
        }
        // ArgumentParser's command is synchronous: the server runs on Swift's concurrency threads while this thread
        // waits for it to stop (a signal) and for the lanes to close.
        let finished = DispatchSemaphore(value: 0)
        Task {
            do {
                try await app.runService()
            } catch {
                outcome.error = error
            }
            await service.close()
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error {
            guard outcome.started else {
                throw CommandFailure("cannot listen on \(host):\(port): \(listenFailure(error))", exitCode: .temporaryFailure)
            }
            throw error
        }
    }
}

/// The server task's outcome, handed to the waiting thread after the semaphore: whether it listened, its error.
private final class ResultBox: @unchecked Sendable {
    var started = false
    var error: Error?
}
