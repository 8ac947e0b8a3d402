import ArgumentParser
import Foundation

@main
struct Vecdb: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vecdb",
        abstract: "An embedded vector database: documents and their embeddings in one LMDB file.",
        discussion: """
            Text goes through a real embedding model (all-MiniLM-L6-v2 by default, computed in Swift on OpenBLAS) \
            into a database that stores each document once and one collection of vectors per model.

            The database is a folder given by --db, else $VECDB_DB, else ~/.local/share/vecdb/default. \
            Models live in $VECDB_MODELS, else ~/.cache/vecdb/models.

            Examples:
              vecdb models pull minilm
              vecdb ingest answers.txt
              vecdb query "What is GPU?" -k 3
            """,
        subcommands: [
            IngestCommand.self, QueryCommand.self, EmbedCommand.self, TokenizeCommand.self, InfoCommand.self,
            DeleteCommand.self, CheckCommand.self, IndexCommand.self, ModelsCommand.self, EvalCommand.self,
            CompareCommand.self, TrainCommand.self, BackupCommand.self, ServeCommand.self, ExportCommand.self,
        ]
    )

    /// ArgumentParser's own errors (usage, help, validation) exit as it decides; every error a command's work
    /// throws is worded and given its exit status by `ErrorReport`, in one place.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch let error where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Its own errors, thrown from `run` too (a command group's `run` asks for help): it prints and exits.
            exit(withError: error)
        } catch {
            FileHandle.standardError.write(Data("Error: \(ErrorReport.message(for: error))\n".utf8))
            Foundation.exit(ErrorReport.exitStatus(for: error).rawValue)
        }
    }
}
