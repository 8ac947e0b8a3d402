import Embedder
import Foundation

/// What the fuzz targets share: a scratch folder for the readers that take a path, and the two real tokenizers
/// the text targets feed (loaded once, since loading SmolLM2's takes longer than thousands of inputs).
public final class FuzzContext {
    public let scratch: URL
    /// MiniLM's tokenizer.json, from `$VECDB_MODELS` (default `~/.cache/vecdb/models`) as `vecdb models pull` left it.
    public let minilmTokenizer: URL
    /// SmolLM2's tokenizer.json and the tokenizer corpus, committed EmbedderTests fixtures.
    public let bpeTokenizer: URL
    public let tokenizerCorpus: URL
    public let wordPiece: WordPieceTokenizer
    public let bpe: BPETokenizer

    /// `repository`: the checkout whose fixtures to use.
    public init(repository: URL) throws {
        let models = ProcessInfo.processInfo.environment["VECDB_MODELS"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vecdb/models")
        minilmTokenizer = models.appendingPathComponent("minilm/tokenizer.json")
        let fixtures = repository.appendingPathComponent("Tests/EmbedderTests/Fixtures")
        bpeTokenizer = fixtures.appendingPathComponent("smollm2_tokenizer.json")
        tokenizerCorpus = fixtures.appendingPathComponent("tokenizer_corpus_golden.json")
        // Memory-backed when the machine has it: every input of the file targets is written once.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm")
            : FileManager.default.temporaryDirectory
        scratch = base.appendingPathComponent("vecdb-fuzz-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        wordPiece = try WordPieceTokenizer(tokenizerJSON: minilmTokenizer)
        bpe = try BPETokenizer(tokenizerJSON: bpeTokenizer)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    /// Writes `bytes` to `name` in the scratch folder (replacing the previous input) and returns its URL.
    func write(_ bytes: [UInt8], as name: String) -> URL {
        let url = scratch.appendingPathComponent(name)
        // A failed write would fuzz a stale file and report nonsense: stop instead.
        do { try Data(bytes).write(to: url) } catch { fatalError("fuzz scratch \(url.path): \(error)") }
        return url
    }
}
