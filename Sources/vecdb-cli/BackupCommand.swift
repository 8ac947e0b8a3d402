import ArgumentParser
import VecDB

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the database to a new folder, consistently, while it stays in use.",
        discussion: """
            The copy is one committed snapshot (LMDB's mdb_env_copy2): ingests may go on meanwhile. With --compact \
            free pages are left out, which is how the file shrinks after deletes — LMDB files never shrink on their \
            own. The copy is a database folder: use it with --db, or move it in place of the original.

            Examples:
              vecdb backup ./answers-2026-11-29.vecdb
              vecdb backup --compact /tmp/compacted.vecdb --db ./answers.vecdb
            """
    )

    @Argument(help: ArgumentHelp("New folder for the copy.", valueName: "folder"))
    var destination: String

    @Flag(help: "Leave out free pages (a smaller copy).")
    var compact = false

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        let db = try database.open(create: false)
        try db.backup(to: destination, compact: compact)
        let copy = try VectorDatabase(path: destination, create: false)
        print("backed up \(try copy.documentCount()) documents to \(destination) (\(try copy.storageBytes().file) bytes)")
    }
}
