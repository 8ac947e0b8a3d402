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
                """
        )

        @OptionGroup var database: DatabaseOptions

        @Option(help: "Collection to rebuild.")
        var collection: String = ModelCatalog.defaultModelName

        @Option(name: .customLong("m"), help: "Links per node on the upper layers (2·M on layer 0).")
        var M: Int = HNSWParameters().M

        @Option(name: .customLong("ef-construction"), help: "Candidates kept while inserting.")
        var efConstruction: Int = HNSWParameters().efConstruction

        func run() throws {
            let db = try database.open(create: false)
            let meta = try db.rebuildIndex(collection: collection, parameters: HNSWParameters(M: M, efConstruction: efConstruction))
            print("rebuilt '\(collection)': \(meta.count) vectors, M \(meta.parameters.M), efConstruction "
                + "\(meta.parameters.efConstruction), \(meta.maxLevel + 1) layers")
        }
    }
}
