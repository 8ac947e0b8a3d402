import ArgumentParser
import VecDB

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete documents and their vectors in every collection.",
        discussion: """
            IDs are the numbers `vecdb query` shows (#12), or with --external the "id" values of JSONL input. \
            All deletions are one transaction: if any id is unknown, nothing is deleted. --where deletes the documents \
            whose metadata match a filter (see `vecdb query --help`), all in one transaction, and prints how many.

            Examples:
              vecdb delete 12 13
              vecdb delete --external doc-42
              vecdb delete --where '{"source": "old-crawl"}'
            """
    )

    @Argument(help: "Document ids.")
    var ids: [String] = []

    @Option(name: .customLong("where"), help: ArgumentHelp(
        "Delete every document whose metadata match this JSON filter (as `vecdb query --where`).", valueName: "json"))
    var filterJSON: String?

    @Flag(help: "The ids are JSONL \"id\" values.")
    var external = false

    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard ids.isEmpty != (filterJSON == nil) else { throw ValidationError("give document ids or --where, one of them") }
    }

    func run() throws {
        if let filterJSON {
            let filter = try MetadataFilter(json: filterJSON)
            let deleted = try database.open(create: false).delete(where: filter)
            print("deleted \(deleted) document\(deleted == 1 ? "" : "s")")
            return
        }
        let db = try database.open(create: false)
        var numeric: [UInt64] = []
        for id in ids {
            if external {
                guard let found = try db.documentID(externalID: id) else { throw VecDBError.notFound(.externalID(id)) }
                numeric.append(found)
            } else {
                guard let value = UInt64(id) else {
                    throw CommandFailure("'\(id)' is not a document number (use --external for JSONL ids)", exitCode: .usage)
                }
                numeric.append(value)
            }
        }
        let deleted = try db.delete(ids: numeric, requireAll: true)
        print("deleted \(deleted.count) document\(deleted.count == 1 ? "" : "s")")
    }
}
