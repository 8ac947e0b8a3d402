import CLMDB

/// A named key-value database (B-tree) inside an `Environment`, opened once and valid while the environment is open.
public struct Database: Sendable, Hashable {
    let handle: MDB_dbi
    /// The name it was opened with.
    public let name: String
}
