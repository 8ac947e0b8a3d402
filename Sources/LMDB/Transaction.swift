import CLMDB

/// A transaction, valid only inside the `Environment.read` or `write` closure that received it.
///
/// LMDB values are not aligned, and a value read in a write transaction is invalidated by the next write, so raw
/// access is scoped to closures (`withValue`, `forEach`); `value(_:for:)` copies.
public final class Transaction {
    let handle: OpaquePointer
    /// True for a read transaction.
    public let isReadOnly: Bool
    /// The environment this transaction belongs to: with `id`, it names the snapshot a reader sees.
    public unowned let environment: Environment

    init(environment: Environment, readOnly: Bool) throws(LMDBError) {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(environment.handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        if rc == MDB_MAP_RESIZED {
            try environment.adoptMapSize()
            rc = mdb_txn_begin(environment.handle, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        }
        try LMDBError.check(rc, readOnly ? "mdb_txn_begin (read)" : "mdb_txn_begin (write)")
        handle = txn!
        isReadOnly = readOnly
        self.environment = environment
    }

    private var finished = false

    func commit() throws(LMDBError) {
        finished = true
        try LMDBError.check(mdb_txn_commit(handle), "mdb_txn_commit")
    }

    func abort() {
        guard !finished else { return }
        finished = true
        mdb_txn_abort(handle)
    }

    /// LMDB's id of this transaction: for a reader, the id of the commit it sees (a snapshot id).
    public var id: Int { Int(mdb_txn_id(handle)) }

    /// Calls `body` with the value stored under `key`, or nil. The buffer points into the map: unaligned, and valid
    /// only during `body`.
    public func withValue<R>(_ db: Database, key: [UInt8], _ body: (UnsafeRawBufferPointer?) throws -> R) throws -> R {
        var data = MDB_val()
        let rc = key.withUnsafeBytes { k -> Int32 in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_get(handle, db.handle, &keyVal, &data)
        }
        if rc == MDB_NOTFOUND { return try body(nil) }
        try LMDBError.check(rc, "mdb_get \(db.name)")
        return try body(UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
    }

    /// A copy of the value stored under `key`, or nil.
    public func value(_ db: Database, for key: [UInt8]) throws -> [UInt8]? {
        try withValue(db, key: key) { $0.map { [UInt8]($0) } }
    }

    /// Stores `value` under `key`, replacing any value there.
    public func put(_ db: Database, key: [UInt8], value: [UInt8]) throws(LMDBError) {
        let rc = value.withUnsafeBytes { putRaw(db, key: key, value: $0) }
        try LMDBError.check(rc, "mdb_put \(db.name)")
    }

    /// Stores the bytes of `value` under `key` (e.g. a `[Float]` vector, stored in native little-endian order).
    ///
    /// Vectors are mostly written in key order (a new document's id is the largest yet), and two 1.5 KiB vectors fill
    /// a 4 KiB page: LMDB's ordinary split moves half of a full page out, so inserts in order would leave every page
    /// holding one vector. So this first tries `MDB_APPEND`, which starts a new page for a key after the last one
    /// and leaves the full page full; LMDB refuses it (`MDB_KEYEXIST`) for any other key, which then takes the
    /// ordinary path.
    public func putAppendingWhenLast(_ db: Database, key: [UInt8], floats value: [Float]) throws(LMDBError) {
        var rc = value.withUnsafeBytes { putRaw(db, key: key, value: $0, flags: UInt32(MDB_APPEND)) }
        if rc == MDB_KEYEXIST { rc = value.withUnsafeBytes { putRaw(db, key: key, value: $0) } }
        try LMDBError.check(rc, "mdb_put \(db.name)")
    }

    /// Stores `count` bytes at `bytes` under `key`, replacing any value there: `put(_:key:value:)` for memory the
    /// caller owns (e.g. a large block buffer) without first copying it into an array.
    public func put(_ db: Database, key: [UInt8], bytes: UnsafeRawBufferPointer) throws(LMDBError) {
        try LMDBError.check(putRaw(db, key: key, value: bytes), "mdb_put \(db.name)")
    }

    /// The value under `key` as a buffer into the memory map, or nil — `withValue` without the closure, for callers
    /// that resolve many values once and then read them many times (the HNSW index's block table).
    ///
    /// Lifetime, as LMDB documents it: in a READ transaction the buffer stays valid until the transaction ends (the
    /// snapshot's pages cannot be reused while it is open). In a WRITE transaction it is valid only until the next
    /// put or delete in that transaction, by anyone. The buffer is unaligned and must never be written through.
    public func unsafeMappedValue(_ db: Database, key: [UInt8]) throws(LMDBError) -> UnsafeRawBufferPointer? {
        var data = MDB_val()
        let rc = key.withUnsafeBytes { k -> Int32 in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_get(handle, db.handle, &keyVal, &data)
        }
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_get \(db.name)")
        return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
    }

    private func putRaw(_ db: Database, key: [UInt8], value: UnsafeRawBufferPointer, flags: UInt32 = 0) -> Int32 {
        key.withUnsafeBytes { k -> Int32 in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var dataVal = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
            return mdb_put(handle, db.handle, &keyVal, &dataVal, flags)
        }
    }

    /// Removes `key`; returns false when it was not there.
    @discardableResult
    public func delete(_ db: Database, key: [UInt8]) throws(LMDBError) -> Bool {
        let rc = key.withUnsafeBytes { k -> Int32 in
            var keyVal = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_del(handle, db.handle, &keyVal, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try LMDBError.check(rc, "mdb_del \(db.name)")
        return true
    }

    /// Opens the named database in this transaction, creating it when `create` is set (a write transaction); the
    /// empty name opens the main database. The handle is usable outside this transaction once it commits, so
    /// several databases created in one write transaction appear together or not at all.
    /// Returns nil when it does not exist and `create` is false.
    public func openDatabase(_ name: String, create: Bool) throws(LMDBError) -> Database? {
        var dbi: MDB_dbi = 0
        let flags = create ? UInt32(MDB_CREATE) : 0
        // The empty name is LMDB's unnamed main database, whose keys are the names of the others.
        let rc = name.isEmpty ? mdb_dbi_open(handle, nil, flags, &dbi) : mdb_dbi_open(handle, name, flags, &dbi)
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_dbi_open \(name)")
        return Database(handle: dbi, name: name)
    }

    /// Number of entries in `db`.
    public func count(_ db: Database) throws(LMDBError) -> Int {
        try statistics(db).ms_entries
    }

    /// Pages (branch, leaf and overflow) the database `db` occupies. Internal: only tests weigh tables this way (through
    /// `@testable import`).
    func pageCount(_ db: Database) throws(LMDBError) -> Int {
        let stat = try statistics(db)
        return stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages
    }

    private func statistics(_ db: Database) throws(LMDBError) -> MDB_stat {
        var stat = MDB_stat()
        try LMDBError.check(mdb_stat(handle, db.handle, &stat), "mdb_stat \(db.name)")
        return stat
    }

    /// Visits entries in key order, starting at the first key ≥ `start` (or the first key), while `body` returns
    /// true. Key and value buffers point into the map and are valid only during that call of `body`; do not write
    /// to the database from inside `body`.
    public func forEach(
        _ db: Database, from start: [UInt8]? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(handle, db.handle, &cursor), "mdb_cursor_open \(db.name)")
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var data = MDB_val()
        var rc: Int32
        if let start {
            rc = start.withUnsafeBytes { s -> Int32 in
                key = MDB_val(mv_size: s.count, mv_data: UnsafeMutableRawPointer(mutating: s.baseAddress))
                return mdb_cursor_get(cursor, &key, &data, MDB_SET_RANGE)
            }
        } else {
            rc = mdb_cursor_get(cursor, &key, &data, MDB_FIRST)
        }
        while rc == MDB_SUCCESS {
            let keep = try body(UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                                UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
            if !keep { return }
            rc = mdb_cursor_get(cursor, &key, &data, MDB_NEXT)
        }
        if rc != MDB_NOTFOUND { try LMDBError.check(rc, "mdb_cursor_get \(db.name)") }
    }
}
