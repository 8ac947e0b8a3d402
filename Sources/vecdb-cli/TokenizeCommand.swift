import ArgumentParser
import VecDB

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the token ids a model receives for a text.",
        discussion: """
            Prints {"ids": [...], "tokens": [...]}, special tokens included ([CLS] ... [SEP] for BERT models), \
            after truncation to the model's limit.

            Example:
              vecdb tokenize "What is GPU?"
            """
    )

    @Argument(help: "The text.")
    var text: String

    @OptionGroup var modelOptions: ModelOptions

    func run() throws {
        let tokenized = try modelOptions.reference().load().tokenize(text)
        printJSONLine(["ids": tokenized.ids.map(Int.init), "tokens": tokenized.tokens, "truncated": tokenized.truncated] as [String: Any])
    }
}
