import ArgumentParser
import VecDB

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Verify the database's invariants; exit 1 naming the first violation.",
        discussion: """
            Checks the format version, that documents and their keys agree, that every vector belongs to a stored \
            document and a known collection with the right length and unit norm, that counts match, and that each \
            HNSW index is a sound graph holding exactly its collection's vectors.

            --repair fixes what can be fixed without guessing, each kind of fix in one transaction: it removes \
            vectors of missing documents or unknown collections and vectors of the wrong length, removes or \
            restores key entries, recounts collections, advances id counters, and rebuilds an unsound index from \
            the stored vectors. An undecodable document, an unknown format version or a vector that is not unit \
            length is reported and left as it is. Prints one line per repair, then checks again.

            Examples:
              vecdb check --db ./answers.vecdb
              vecdb check --repair --db ./answers.vecdb
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Repair the violations that can be repaired safely, then check again.")
    var repair = false

    func run() throws {
        let db = try database.open(create: false, readOnly: !repair)
        let problems: [String]
        if repair {
            let report = try db.repair()
            for line in report.repaired { print("repaired: \(line)") }
            problems = report.remaining
        } else {
            problems = try db.check()
        }
        guard let first = problems.first else {
            let collections = try db.collections()
            print("ok: \(try db.documentCount()) documents, \(collections.count) collection\(collections.count == 1 ? "" : "s") "
                + "(\(collections.map { "\($0.name): \($0.count)" }.joined(separator: ", ")))")
            return
        }
        throw CommandFailure("check failed: \(first)" + (problems.count > 1 ? " (and \(problems.count - 1) more)" : "")
            + (repair ? "; no safe repair for it" : ""))
    }
}
