import CLMDB
import Foundation

/// An LMDB environment: one memory-mapped file holding named databases, shared by processes on one machine.
///
/// All access goes through `read` and `write`, which scope a transaction to a closure so that no transaction
/// handle outlives it. LMDB gives one writer at a time (a second `write` waits for the first to finish, across
/// processes too) and readers that never block the writer and see one committed snapshot each.
public final class Environment: @unchecked Sendable {
    /// How to open an environment.
    public struct Options: Sendable {
        /// Size of the memory map in bytes: the most data the file can hold. The file grows only as pages are used,
        /// so a large map costs address space, not disk.
        public var mapSize: Int = 1 << 40
        /// Named databases the environment may hold.
        public var maxDatabases: Int = 16
        /// Maximum concurrent read transactions across processes.
        public var maxReaders: Int = 126
        /// Open without write access: every `write` fails and no lock file is written when `noLock` is set too.
        public var readOnly = false
        /// Skip LMDB's lock file, for a database whose lock file this process cannot write (another user's). Reads
        /// are then invisible to writers; `read` detects when a writer may have overwritten them.
        public var noLock = false
        /// Permissions of data and lock files created by this open.
        public var fileMode: mode_t = 0o600

        public init() {}
    }

    let handle: OpaquePointer
    /// The folder holding `data.mdb` and `lock.mdb`.
    public let path: String
    public let options: Options

    /// Opens (creating when absent and writable) the environment in folder `path`.
    ///
    /// Clears reader slots left by processes that died inside a read transaction (`mdb_reader_check`), so
    /// killed readers do not leak slots or pin old pages forever.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try LMDBError.check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: ENOMEM, operation: "mdb_env_create") }
        do throws(LMDBError) {
            try LMDBError.check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            try LMDBError.check(mdb_env_set_maxdbs(env, MDB_dbi(options.maxDatabases)), "mdb_env_set_maxdbs")
            try LMDBError.check(mdb_env_set_maxreaders(env, UInt32(options.maxReaders)), "mdb_env_set_maxreaders")
            // NOTLS: a read transaction is not tied to the thread's slot, so one thread may hold several and
            // Swift code that hops threads between transactions stays correct.
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.noLock { flags |= UInt32(MDB_NOLOCK) }
            try LMDBError.check(mdb_env_open(env, path, flags, options.fileMode), "mdb_env_open \(path)")
            var dead: Int32 = 0
            try LMDBError.check(mdb_reader_check(env, &dead), "mdb_reader_check")
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
        self.path = path
        self.options = options
    }

    deinit { mdb_env_close(handle) }

    /// Runs `body` in a read-only transaction: a consistent snapshot of the last commit, read straight from the map.
    ///
    /// Without the lock file (`noLock`) the reader is invisible to writers, which may reuse the pages of its
    /// snapshot once two later transactions have committed (LMDB frees a page in the commit after the last one
    /// that uses it, and a writer reuses pages freed before the transaction preceding it). So such a read is
    /// accepted only if, when it ends, at most one transaction has committed since its snapshot; otherwise it
    /// throws `SnapshotOverwrittenError`, whatever `body` returned or threw.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = try Transaction(environment: self, readOnly: true)
        defer { txn.abort() }
        do {
            let result = try body(txn)
            try confirmSnapshotIntact(txn)
            return result
        } catch let error where !(error is SnapshotOverwrittenError) {
            try confirmSnapshotIntact(txn)
            throw error
        }
    }

    private func confirmSnapshotIntact(_ txn: Transaction) throws(SnapshotOverwrittenError) {
        guard options.noLock else { return }
        var info = MDB_envinfo()
        let last = mdb_env_info(handle, &info) == MDB_SUCCESS ? info.me_last_txnid : Int.max
        if last > txn.id + 1 { throw SnapshotOverwrittenError(snapshot: txn.id, lastCommitted: last) }
    }

    /// Runs `body` in the write transaction and commits when it returns; a thrown error aborts it and nothing
    /// of it is written. Waits while another thread or process holds the write transaction.
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        let txn = try Transaction(environment: self, readOnly: false)
        do {
            let result = try body(txn)
            try txn.commit()
            return result
        } catch {
            txn.abort()
            throw error
        }
    }

    /// Opens the named database, creating it when `create` is set (which needs a writable environment); the empty
    /// name opens the main database.
    /// Returns nil when it does not exist and `create` is false.
    public func openDatabase(_ name: String, create: Bool) throws -> Database? {
        // A handle opened in a transaction becomes usable by others only once that transaction commits.
        let txn = try Transaction(environment: self, readOnly: !create)
        do {
            guard let database = try txn.openDatabase(name, create: create) else {
                txn.abort()
                return nil
            }
            try txn.commit()
            return database
        } catch {
            txn.abort()
            throw error
        }
    }

    /// Writes a consistent copy of the environment into the empty folder `path`; `compact` omits free pages,
    /// which is how an LMDB file shrinks.
    public func copy(to path: String, compact: Bool) throws(LMDBError) {
        try LMDBError.check(mdb_env_copy2(handle, path, compact ? UInt32(MDB_CP_COMPACT) : 0), "mdb_env_copy2 \(path)")
    }

    /// Bytes of the map in use (last page used × page size): the data file's logical size.
    public func usedBytes() throws(LMDBError) -> Int {
        var info = MDB_envinfo()
        try LMDBError.check(mdb_env_info(handle, &info), "mdb_env_info")
        var stat = MDB_stat()
        try LMDBError.check(mdb_env_stat(handle, &stat), "mdb_env_stat")
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// Adopts a map size grown by another process (after `LMDBError.isMapResized`).
    public func adoptMapSize() throws(LMDBError) {
        try LMDBError.check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize")
    }
}

/// A read without the lock file overlapped writers that may have overwritten its snapshot: its results cannot be
/// trusted. Running it again, when the writer is done, succeeds.
public struct SnapshotOverwrittenError: Error, CustomStringConvertible, Sendable {
    /// The transaction id the read saw, and the last committed one when it ended.
    public let snapshot: Int
    public let lastCommitted: Int

    public var description: String {
        "the database was written while this process read it without a lock (snapshot \(snapshot), now \(lastCommitted)); run the command again"
    }
}
