import ArgumentParser
import VecDB

struct DeleteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete documents and their vectors in every collection.",
        discussion: """
            IDs are the numbers `vecdb query` shows (#12), or with --external the "id" values of JSONL input. \
            All deletions are one transaction: if any id is unknown, nothing is deleted.

            Examples:
              vecdb delete 12 13
              vecdb delete --external doc-42
            """
    )

    @Argument(help: "Document ids.")
    var ids: [String]

    @Flag(help: "The ids are JSONL \"id\" values.")
    var external = false

    @OptionGroup var database: DatabaseOptions

    func run() throws {
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
