import Foundation

/// The decoded collections of one snapshot, shared by the reads of a `VectorDatabase` (which may run on several
/// threads). A read transaction's id names a committed state, so an entry is valid exactly for that id.
final class CollectionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot = -1
    private var cached: [Collection] = []

    func collections(snapshot id: Int) -> [Collection]? {
        lock.withLock { snapshot == id ? cached : nil }
    }

    func store(_ collections: [Collection], snapshot id: Int) {
        lock.withLock {
            snapshot = id
            cached = collections
        }
    }
}
