import ArgumentParser
import Foundation
import VecDB

/// `--db`, shared by every command that opens a database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Database folder (default: $VECDB_DB, else ~/.local/share/vecdb/default).", valueName: "path"))
    var db: String?

    var path: String {
        if let db { return db }
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["VECDB_DB"], !path.isEmpty { return path }
        let data = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share").path
        return data + "/vecdb/default"
    }

    func open(create: Bool) throws -> VectorDatabase { try VectorDatabase(path: path, create: create) }
}

/// `--model` and `--collection`.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model name from `vecdb models list`, or a path to a sentence-transformers folder.", valueName: "name|path"))
    var model: String = ModelCatalog.defaultModelName

    @Option(name: .long, help: ArgumentHelp(
        "Collection (vector space) to use; defaults to the model's name.", valueName: "name"))
    var collection: String?

    func reference() throws -> ModelReference { try ModelReference(model) }
}

/// Writes one JSON value as a line on stdout and flushes, so a reader sees it at once.
func printJSONLine(_ object: Any) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}

/// Text to stderr (progress and notes), leaving stdout for results.
func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

let standardErrorIsTerminal = isatty(STDERR_FILENO) == 1

func roundTo(_ value: Double, _ places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}
