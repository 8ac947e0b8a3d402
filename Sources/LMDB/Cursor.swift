import CLMDB

/// A position in one named database of a transaction, for readers that move through a key range step by step
/// (posting blocks) instead of visiting it in one `forEach` closure. The key and value buffers it hands out point
/// into the map and stay valid only until the cursor moves again, or the transaction ends.
///
/// Use it only within the transaction's scope; it is closed when released.
public final class Cursor {
    private var handle: OpaquePointer?
    private let name: String

    public init(_ db: Database, in txn: Transaction) throws(LMDBError) {
        name = db.name
        var cursor: OpaquePointer?
        try LMDBError.check(mdb_cursor_open(txn.handle, db.handle, &cursor), "mdb_cursor_open \(db.name)")
        handle = cursor
    }

    deinit { mdb_cursor_close(handle) }

    /// Moves to the first entry whose key is ≥ `key`; nil when there is none.
    public func seek(atLeast key: [UInt8]) throws(LMDBError) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var keyValue = MDB_val(), data = MDB_val()
        let rc = key.withUnsafeBytes { bytes -> Int32 in
            keyValue = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_cursor_get(handle, &keyValue, &data, MDB_SET_RANGE)
        }
        return try entry(rc, keyValue, data)
    }

    /// Moves to the next entry; nil past the last.
    public func next() throws(LMDBError) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        var keyValue = MDB_val(), data = MDB_val()
        return try entry(mdb_cursor_get(handle, &keyValue, &data, MDB_NEXT), keyValue, data)
    }

    private func entry(_ rc: Int32, _ key: MDB_val, _ value: MDB_val) throws(LMDBError) -> (key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer)? {
        if rc == MDB_NOTFOUND { return nil }
        try LMDBError.check(rc, "mdb_cursor_get \(name)")
        return (UnsafeRawBufferPointer(start: key.mv_data, count: key.mv_size),
                UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }
}
