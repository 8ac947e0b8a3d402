import Foundation

/// The decoded catalogue of the last snapshot read, shared by the reads of a `VectorDatabase` (which may run on
/// several threads): a search per query would otherwise decode every collection's JSON again, though a
/// snapshot's collections never change. A read transaction's id names a committed state, so an entry is valid
/// exactly for that id.
final class CatalogueCache: @unchecked Sendable {
    private let lock = NSLock()
    private var snapshot = -1
    private var cached: Catalogue?

    func catalogue(snapshot id: Int) -> Catalogue? {
        lock.withLock { snapshot == id ? cached : nil }
    }

    func store(_ catalogue: Catalogue, snapshot id: Int) {
        lock.withLock {
            snapshot = id
            cached = catalogue
        }
    }
}
