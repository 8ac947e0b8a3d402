import ArgumentParser
import VecDB

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids a model receives for a text.",
        discussion: """
            Prints {"ids": [...], "tokens": [...]}, special tokens included ([CLS] ... [SEP] for BERT models), \
            after truncation to the model's limit. For a Llama model, the ids of the text itself (no template, no \
            BOS) unless --prompt chat or chat-gen is given.

            Examples:
              vecdb tokenize "What is GPU?"
              vecdb tokenize --model smollm2 --prompt chat-gen "What is GPU?"
            """
    )

    @Argument(help: "The text.")
    var text: String

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        // For a Llama model the text itself, unless --prompt asks for a template.
        let tokenized = try modelOptions.singleSpaceEmbedder(in: nil, promptWhenUnset: "raw").tokenize(text)
        printJSONLine(["ids": tokenized.ids.map(Int.init), "tokens": tokenized.tokens, "truncated": tokenized.truncated] as [String: Any])
    }
}
