import ArgumentParser
import VecDB

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify the database's invariants; exit 1 naming the first violation.",
        discussion: """
            Checks the format version, that documents and their keys agree, that every vector belongs to a stored \
            document and a known collection with the right length and unit norm, and that counts match.

            Example:
              vecdb check --db ./answers.vecdb
            """
    )

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.open(create: false)
        let problems = try db.check()
        guard let first = problems.first else {
            let collections = try db.collections()
            print("ok: \(try db.documentCount()) documents, \(collections.count) collection\(collections.count == 1 ? "" : "s") "
                + "(\(collections.map { "\($0.name): \($0.count)" }.joined(separator: ", ")))")
            return
        }
        throw VecDBError("check failed: \(first)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""))
    }
}
