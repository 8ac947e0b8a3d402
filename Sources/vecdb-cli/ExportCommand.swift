import ArgumentParser
import Foundation
import Server
import VecDB

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Copy the database into a server that speaks Qdrant's REST API.",
        discussion: """
            Every document becomes a point of one collection: its metadata the payload (its text under "text", an \
            external id that is not an unsigned integer or a UUID under "vecdb_id"), every vector space a named vector \
            of the same name (lexical spaces have no vectors and are not exported). The collection is created with \
            those vectors, or must already have them. Points go in batches, each acknowledged after the server \
            committed it (?wait=true). A document's point id is the same on every run, so an interrupted export is \
            finished by running it again; --resume-after skips the documents up to the last one a run reported.

            The target is any Qdrant server (a cluster, when one machine is no longer enough) or another `vecdb serve`.

            Examples:
              vecdb export --qdrant http://localhost:6333
              vecdb export --qdrant https://cluster.example:6333 --api-key "$QDRANT_API_KEY" --collection answers
              vecdb export --qdrant http://127.0.0.1:8080 --resume-after 40959 --json
            """
    )

    @Option(name: .customLong("qdrant"), help: ArgumentHelp("Base URL of the server (http://host:6333).", valueName: "url"))
    var qdrant: String

    @Option(name: .customLong("api-key"), help: ArgumentHelp("The server's API key (sent as the api-key header); default $QDRANT_API_KEY.", valueName: "key"))
    var apiKey: String?

    @Option(help: ArgumentHelp("Collection to write (default: the database folder's name).", valueName: "name"))
    var collection: String?

    @Option(name: .customLong("batch"), help: ArgumentHelp("Points per request.", valueName: "n"))
    var batch = 256

    @Option(name: .customLong("resume-after"), help: ArgumentHelp("Skip documents up to this document number (as a run reported).", valueName: "id"))
    var resumeAfter: UInt64?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard let url = URL(string: qdrant), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ValidationError("--qdrant must be an http:// or https:// URL, e.g. http://localhost:6333")
        }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be from 1 to 10000") }
    }

    func run() throws {
        let db = try database.open(create: false, readOnly: true)
        let name = collection ?? URL(fileURLWithPath: db.path).deletingPathExtension().lastPathComponent
        let key = apiKey ?? ProcessInfo.processInfo.environment["QDRANT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let export = QdrantExport(url: URL(string: qdrant)!, apiKey: key, collection: name, batchSize: batch)
        let meter = ProgressMeter(enabled: !json && isatty(STDERR_FILENO) != 0)
        let result: QdrantExport.Progress
        do {
            result = try export.run(db, resumeAfter: resumeAfter) { meter.update(done: $0.exported, total: $0.total, unit: "points") }
        } catch let failure as QdrantExport.Failure {
            meter.finish()
            throw CommandFailure("export: \(failure)", exitCode: .temporaryFailure)
        }
        meter.finish()
        if json {
            print(String(decoding: JSONText.data(["collection": name, "points": result.exported, "vectors": result.spaces,
                                                  "last_document": result.lastDocument.map { $0 as Any } ?? NSNull()] as [String: Any]), as: UTF8.self))
        } else {
            print("exported \(result.exported) points to \(name) on \(qdrant) (vectors: \(result.spaces.joined(separator: ", ")))"
                  + (result.lastDocument.map { "; last document \($0)" } ?? ""))
        }
    }
}
