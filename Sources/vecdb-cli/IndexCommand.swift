import ArgumentParser
import Index
import Models
import VecDB

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Manage a collection's HNSW index.",
        subcommands: [Rebuild.self]
    )

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild a collection's HNSW index from its stored vectors.",
            discussion: """
                Builds a new graph with the given parameters in one transaction (queries keep using the old one \
                until it commits) and stores the parameters with the collection (`vecdb info` shows them). Also \
                the way to drop the tombstones that deletes leave behind.

                Examples:
                  vecdb index rebuild
                  vecdb index rebuild --collection smollm2 --m 32 --ef-construction 400
                  vecdb index rebuild --quantization int8
                  vecdb index rebuild --threads 2
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Collection to rebuild.")
        var collection: String = ModelCatalog.defaultModelName

        @Option(name: .customLong("m"), help: "Links per node on the upper layers (2·M on layer 0).")
        var M: Int = HNSWParameters().M

        @Option(name: .customLong("ef-construction"), help: "Candidates kept while inserting.")
        var efConstruction: Int = HNSWParameters().efConstruction

        @Option(help: ArgumentHelp("How queries walk the graph: float32 vectors (none) or int8 codes rescored exactly at the end "
                                   + "(int8: a quarter of the bytes per step). Default: the collection's current mode.",
                                   valueName: "none|int8"))
        var quantization: Quantization?

        @Option(help: ArgumentHelp("Threads for the inserts' neighbour searches and links. With 1 the same vectors always "
                                   + "build the same graph; with more the graph depends on the threads' timing."))
        var threads: Int = 1

        func validate() throws {
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        }

        func run() throws {
            let db = try database.open(create: false)
            let current = try db.collection(named: collection)?.index
            let parameters = HNSWParameters(M: M, efConstruction: efConstruction,
                                            quantization: quantization ?? current?.quantization ?? .none)
            let meta = try db.rebuildIndex(collection: collection, parameters: parameters, threads: threads)
            print("rebuilt '\(collection)': \(meta.count) vectors, M \(meta.parameters.M), efConstruction "
                + "\(meta.parameters.efConstruction), quantization \(meta.parameters.quantization.rawValue) "
                + "(\(meta.traversalBytesPerVector) bytes per vector walked), \(meta.maxLevel + 1) layers")
        }
    }
}
