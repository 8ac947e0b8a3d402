import Foundation
import LMDB

extension VectorDatabase {
    /// Writes a consistent copy of the database (one snapshot, taken while writers go on) into the new folder
    /// `destination`; `compact` leaves out free pages, which is how a database file shrinks after deletes.
    public func backup(to destination: String, compact: Bool) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: destination) else {
            throw VecDBError.invalidArgument("backup destination \(destination) exists; give a new folder")
        }
        do {
            try fm.createDirectory(atPath: destination, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw VecDBError.permissionDenied(path: destination, operation: "creating a backup", reason: error.localizedDescription)
        }
        do {
            try environment.copy(to: destination, compact: compact)
        } catch {
            try? fm.removeItem(atPath: destination)
            throw VecDBError.writeFailed(path: destination, reason: "backup failed: \(error)")
        }
        // The copy is written with the process umask; documents may be private.
        chmod(destination + "/data.mdb", 0o600)
    }
}
