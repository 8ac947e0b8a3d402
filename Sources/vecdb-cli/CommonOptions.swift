import ArgumentParser
import Embedder
import Foundation
import Index
import Lexical
import Models
import Reports
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
        try VectorDatabase(path: path, create: create, readOnly: readOnly, mapSize: try DatabaseOptions.mapSize())
    }

    /// `VECDB_MAP_SIZE`, in bytes: how large the database may grow (LMDB's map size; default 1 TiB of address space).
    static func mapSize() throws -> Int? {
        guard let text = ProcessInfo.processInfo.environment["VECDB_MAP_SIZE"] else { return nil }
        guard let size = Int(text), size > 0 else {
            throw VecDBError.invalidArgument("VECDB_MAP_SIZE=\(text) is not a byte count")
        }
        return size
    }

    /// Runs `body` on a snapshot of the database at the path when there is one (commands that work without a
    /// database may still use its adapters), else with nil.
    func withSnapshotIfPresent<R>(_ body: (Snapshot?) throws -> R) throws -> R {
        guard let db = try openIfPresent(readOnly: true) else { return try body(nil) }
        return try db.read { try body($0) }
    }

    /// The database when one exists at the path, for commands that work without one but may use its adapters.
    func openIfPresent(readOnly: Bool) throws -> VectorDatabase? {
        FileManager.default.fileExists(atPath: path + "/data.mdb") ? try open(create: false, readOnly: readOnly) : nil
    }
}

/// `--model`, `--collection` and how the model turns text into vectors.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A model name from `vecdb models list`, a sentence-transformers folder, a Llama .gguf file, or bm25 (lexical).",
        valueName: "name|path"))
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

    @Option(help: ArgumentHelp(
        "Arithmetic of the model's linear layers: f32 (default), bf16 or int8 (as the suffix MODEL@PRECISION does). "
            + "Vectors of each precision go to a collection of their own (minilm@int8).", valueName: "precision"))
    var precision: Precision?

    @OptionGroup var lexical: LexicalOptions

    var options: EmbeddingOptions {
        func list(_ text: String?) -> [String]? {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        return EmbeddingOptions(poolings: list(pooling), prompts: list(prompt), maxTokens: maxTokens,
                                stemmer: lexical.stemmer, stopwords: lexical.stopwords, k1: lexical.k1, b: lexical.b,
                                precision: precision)
    }

    /// What `--model` names, ready to fill or rank its space: a model, an adapter, or the lexical space `bm25`.
    /// The caller notes a slow precision (`noteSlowPrecision`) once the space is known to fit its collection, so
    /// that a refusal stays one line.
    func space(in snapshot: Snapshot?) throws -> SpaceEmbedding {
        try ModelOptions.resolver.space(model, options: options, collection: collection, in: snapshot)
    }

    /// As `space`, for commands that use one vector space.
    func singleSpace(in snapshot: Snapshot?) throws -> SpaceEmbedding {
        let space = try space(in: snapshot)
        guard space.spaces.count == 1 else {
            throw CommandFailure("this command uses one vector space: give one --pooling and one --prompt", exitCode: .usage)
        }
        return space
    }

    /// The model asked for, loaded with the vector spaces asked for, or the adapter of that name the database (read in
    /// `snapshot`) holds.
    func embedder(in snapshot: Snapshot?, promptWhenUnset: String? = nil) throws -> SpaceEmbedder {
        let embedder = try ModelOptions.resolver.embedder(model, options: options, collection: collection,
                                                          promptWhenUnset: promptWhenUnset, in: snapshot)
        noteSlowPrecision(embedder)
        return embedder
    }

    /// As `embedder`, for commands that use one vector space.
    func singleSpaceEmbedder(in snapshot: Snapshot?, promptWhenUnset: String? = nil) throws -> SpaceEmbedder {
        let embedder = try embedder(in: snapshot, promptWhenUnset: promptWhenUnset)
        guard embedder.spaces.count == 1 else {
            throw CommandFailure("this command uses one vector space: give one --pooling and one --prompt", exitCode: .usage)
        }
        return embedder
    }

    /// The resolver every command uses: models from the cache `$VECDB_MODELS` (else `~/.cache/vecdb/models`) names.
    static let resolver = ModelResolver(store: .fromEnvironment())
}

/// `--stemmer`, `--stopwords`, `--k1`, `--b`: the lexical space's settings (`--model bm25`). Stored with its collection
/// when it is made; later commands may leave them out, and one that differs from the stored settings is refused.
struct LexicalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("bm25: porter (default) or none.", valueName: "name"))
    var stemmer: Stemmer?

    @Option(help: ArgumentHelp("bm25: english (Lucene's 33 words, default) or none.", valueName: "list"))
    var stopwords: StopwordList?

    @Option(help: ArgumentHelp("bm25: term-frequency saturation (default 0.9, as Anserini's BEIR runs).", valueName: "x"))
    var k1: Double?

    @Option(help: ArgumentHelp("bm25: length normalisation, 0 to 1 (default 0.4).", valueName: "x"))
    var b: Double?
}

extension Stemmer: ExpressibleByArgument {}
extension Quantization: ExpressibleByArgument {}
extension StopwordList: ExpressibleByArgument {}

/// Writes one JSON value as a line on stdout and flushes, so a reader sees it at once.
func printJSONLine(_ object: Any) {
    FileHandle.standardOutput.write(ResultJSON.data(object) + Data("\n".utf8))
}

/// Says on stderr when `space` runs a reduced precision on the portable product (a CPU without AVX-512 VNNI / BF16, or
/// `VECDB_KERNELS=portable`): there it is slower than f32, not faster.
func noteSlowPrecision(_ space: SpaceEmbedding) {
    if let embedder = space as? SpaceEmbedder, embedder.reference.precision != .f32,
       embedder.reference.precision.kernelName == "portable" {
        let precision = embedder.reference.precision.rawValue
        printError("note: \(precision) runs on the portable product here (no AVX-512 \(precision == "int8" ? "VNNI" : "BF16") "
            + "in use), slower than f32; `vecdb info` shows each precision's kernel")
    }
}

/// Text to stderr (progress and notes), leaving stdout for results.
func printError(_ text: String, terminator: String = "\n") {
    FileHandle.standardError.write(Data((text + terminator).utf8))
}

let standardErrorIsTerminal = isatty(STDERR_FILENO) == 1

extension Precision: ExpressibleByArgument {}
