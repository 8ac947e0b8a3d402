import ArgumentParser
import Foundation
import VecDB

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print embeddings as JSON Lines, without storing them.",
        discussion: """
            Prints {"text": ..., "vector": [...]} per text: the arguments, or each non-blank line of --input. \
            The database is read only to find an adapter named by --model (see `vecdb train`).

            Examples:
              vecdb embed "What is GPU?" "OpenAI is based at San Francisco."
              vecdb embed --input questions.txt --model minilm > vectors.jsonl
            """
    )

    @Argument(help: "Texts to embed.")
    var texts: [String] = []

    @Option(help: ArgumentHelp("Read texts from a file, one per line (- for stdin).", valueName: "file"))
    var input: String?

    @OptionGroup var modelOptions: ModelOptions
    /// Only read, for adapters named by --model.
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard !texts.isEmpty || input != nil else { throw ValidationError("give texts or --input FILE") }
    }

    func run() throws {
        let embedder = try database.withSnapshotIfPresent { try modelOptions.singleSpaceEmbedder(in: $0) }
        func emit(_ batch: [String]) throws {
            for (text, embedding) in zip(batch, try embedder.embed(batch)[0]) {
                printJSONLine(["text": text, "vector": embedding.vector.map(Double.init)] as [String: Any])
            }
        }
        try emit(texts)
        guard let input else { return }
        let reader = try InputReader(path: input, format: .text)
        var batch: [String] = []
        while let record = try reader.next() {
            batch.append(record.text)
            if batch.count == 256 {
                try emit(batch)
                batch.removeAll()
            }
        }
        try emit(batch)
    }
}
