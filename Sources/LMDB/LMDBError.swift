import CLMDB

/// An LMDB call that failed: which call, LMDB's result code, and LMDB's own message for it.
public struct LMDBError: Error, CustomStringConvertible, Sendable, Equatable {
    /// LMDB's (or the OS's errno) result code.
    public let code: Int32
    /// The LMDB function that returned it, e.g. `mdb_put`.
    public let operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// LMDB's text for `code` (`mdb_strerror` also covers errno values such as ENOSPC and EACCES).
    public var message: String { String(cString: mdb_strerror(code)) }

    public var description: String { "\(operation): \(message)" }

    /// The memory map is full: the environment needs a larger map size.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// Another process grew the map; this one must adopt the new size before the next transaction.
    public var isMapResized: Bool { code == MDB_MAP_RESIZED }
    /// The file is not an LMDB environment (or a different LMDB version made it).
    public var isInvalidFile: Bool { code == MDB_INVALID || code == MDB_VERSION_MISMATCH }

    /// Throws when `code` is not `MDB_SUCCESS`.
    @inline(__always)
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
        if code != MDB_SUCCESS { throw LMDBError(code: code, operation: operation()) }
    }
}
