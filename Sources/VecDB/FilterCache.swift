import Foundation
import Index

/// Filters evaluated recently, by snapshot: an application asks many queries under one filter (a tenant, a
/// language, a date range), and between two commits the documents a filter matches cannot change. A read
/// transaction's id names a committed state, so an entry is exact for that id; a commit makes every entry stale,
/// and the next query evaluates again. Write batches never use it (their id is reused by the state they commit).
/// With the documents, an entry keeps the nodes they are in each indexed collection the filter walked
/// (`HNSWIndex.nodes(in:where:)`), made from the documents on the first filtered walk.
final class FilterCache: @unchecked Sendable {
    /// Entries kept: the most recently used filters.
    static let capacity = 8

    private struct Entry {
        var snapshot: Int
        var filter: MetadataFilter
        var matches: DocumentSet
        /// By collection id.
        var nodes: [UInt32: HNSWNodeSet] = [:]
    }

    private let lock = NSLock()
    /// Most recently used last.
    private var entries: [Entry] = []

    func matches(_ filter: MetadataFilter, snapshot: Int) -> DocumentSet? {
        lock.withLock {
            guard let index = entries.firstIndex(where: { $0.snapshot == snapshot && $0.filter == filter }) else { return nil }
            let entry = entries.remove(at: index)
            entries.append(entry)
            return entry.matches
        }
    }

    func nodes(_ filter: MetadataFilter, snapshot: Int, collection: UInt32) -> HNSWNodeSet? {
        lock.withLock { entries.last(where: { $0.snapshot == snapshot && $0.filter == filter })?.nodes[collection] }
    }

    /// Keeps `nodes` with the filter's documents, while they are still kept.
    func store(_ nodes: HNSWNodeSet, for filter: MetadataFilter, snapshot: Int, collection: UInt32) {
        lock.withLock {
            guard let index = entries.lastIndex(where: { $0.snapshot == snapshot && $0.filter == filter }) else { return }
            entries[index].nodes[collection] = nodes
        }
    }

    func store(_ matches: DocumentSet, for filter: MetadataFilter, snapshot: Int) {
        lock.withLock {
            // Entries of older snapshots will never be asked for again once a newer one is read.
            entries.removeAll { $0.snapshot < snapshot || ($0.snapshot == snapshot && $0.filter == filter) }
            entries.append(Entry(snapshot: snapshot, filter: filter, matches: matches))
            if entries.count > FilterCache.capacity { entries.removeFirst(entries.count - FilterCache.capacity) }
        }
    }
}

/// Every document's parsed metadata in the newest snapshot that needed it: conditions on nested paths, nulls and
/// words (`MetadataFilter.path`) read the metadata of every document, and parsing it is most of their cost. Kept for
/// one committed state at a time, and only for databases of up to `largest` documents (the parsed values take
/// about ten times the JSON's bytes).
final class ParsedMetadataCache: @unchecked Sendable {
    static let largest = 200_000

    private let lock = NSLock()
    private var entry: (snapshot: Int, metadata: [(id: UInt64, metadata: JSONValue)])?

    func metadata(snapshot: Int) -> [(id: UInt64, metadata: JSONValue)]? {
        lock.withLock { entry?.snapshot == snapshot ? entry?.metadata : nil }
    }

    func store(_ metadata: [(id: UInt64, metadata: JSONValue)], snapshot: Int) {
        guard metadata.count <= ParsedMetadataCache.largest else { return }
        lock.withLock { if (entry?.snapshot ?? .min) <= snapshot { entry = (snapshot, metadata) } }
    }
}
