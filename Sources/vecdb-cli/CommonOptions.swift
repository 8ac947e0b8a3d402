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

    func open(create: Bool, readOnly: Bool = false) throws -> VectorDatabase {
        try VectorDatabase(path: path, create: create, readOnly: readOnly)
    }

    /// The database when one exists at the path, for commands that work without one but may use its adapters.
    func openIfPresent(readOnly: Bool) throws -> VectorDatabase? {
        FileManager.default.fileExists(atPath: path + "/data.mdb") ? try open(create: false, readOnly: readOnly) : nil
    }
}

/// `--model`, `--collection` and how the model turns text into vectors.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model name from `vecdb models list`, a sentence-transformers folder, or a Llama .gguf file.", valueName: "name|path"))
    var model: String = ModelCatalog.defaultModelName

    @Option(name: .long, help: ArgumentHelp(
        "Collection (vector space) to use; defaults to the model's name, plus :POOLING:PROMPT for non-default variants.",
        valueName: "name"))
    var collection: String?

    @Option(name: .long, help: ArgumentHelp(
        "Llama models: last (last token's hidden state, default), logits (the LM head on it), mean (all tokens); "
            + "a comma-separated list fills several collections from one forward pass.", valueName: "pooling"))
    var pooling: String?

    @Option(name: .long, help: ArgumentHelp(
        "Llama models: raw (the text), chat (chat template without the generation prompt, default), chat-gen (with it); "
            + "comma-separated for several.", valueName: "prompt"))
    var prompt: String?

    @Option(name: .customLong("max-tokens"), help: ArgumentHelp("Token limit for Llama models (default 512).", valueName: "n"))
    var maxTokens: Int?

    /// The model loaded with the vector spaces asked for, or the adapter of that name trained in `database`.
    func embedder(database: VectorDatabase?, defaultPrompt: String? = nil) throws -> SpaceEmbedder {
        func list(_ text: String?) -> [String]? {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        if let database, let adapted = try SpaceEmbedder.adapter(
            named: model, options: EmbeddingOptions(poolings: list(pooling), prompts: list(prompt), maxTokens: maxTokens),
            collection: collection, database: database) {
            return adapted
        }
        let reference = try ModelReference(model)
        let prompts = list(prompt) ?? (reference.kind == .gguf ? defaultPrompt.map { [$0] } : nil)
        return try SpaceEmbedder(reference, options: EmbeddingOptions(poolings: list(pooling), prompts: prompts, maxTokens: maxTokens),
                                 collection: collection)
    }

    /// As `embedder`, for commands that use one vector space.
    func singleSpaceEmbedder(database: VectorDatabase?, defaultPrompt: String? = nil) throws -> SpaceEmbedder {
        let embedder = try embedder(database: database, defaultPrompt: defaultPrompt)
        guard embedder.spaces.count == 1 else {
            throw VecDBError("this command uses one vector space: give one --pooling and one --prompt")
        }
        return embedder
    }
}

/// A model with one vector space from `MODEL[:POOLING[:PROMPT]]`, e.g. `minilm`, `smollm2:logits:chat-gen`, or an
/// adapter trained in `database`, e.g. `smollm2+adapter`.
func spaceEmbedder(spec: String, database: VectorDatabase?) throws -> SpaceEmbedder {
    if let database, let adapted = try SpaceEmbedder.adapter(named: spec, database: database) { return adapted }
    let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
    guard parts.count <= 3, !parts[0].isEmpty else {
        throw VecDBError("'\(spec)' is not MODEL[:POOLING[:PROMPT]]")
    }
    let options = EmbeddingOptions(poolings: parts.count > 1 ? [parts[1]] : nil, prompts: parts.count > 2 ? [parts[2]] : nil)
    return try SpaceEmbedder(try ModelReference(parts[0]), options: options)
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
