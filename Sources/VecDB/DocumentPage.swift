import LMDB

/// A page of documents in id order, as a browser of the database walks them: keyset paging, so a page costs
/// the same wherever it starts and documents written meanwhile never shift the pages already seen.
public struct DocumentPage: Sendable {
    /// At most the limit asked for, in increasing id order.
    public var documents: [Document]
    /// The `after` that gives the next page; nil on the last.
    public var next: UInt64?
    /// Documents in the whole listing (those matching the filter, or all).
    public var total: Int
}

extension Snapshot {
    /// Up to `limit` documents with ids above `after` (from the first when nil), matching `filter` when given.
    public func documentPage(after: UInt64?, limit: Int, matching filter: MetadataFilter?) throws -> DocumentPage {
        precondition(limit > 0, "a page holds at least one document")
        var ids: [UInt64] = []
        let total: Int
        if let filter {
            let matches = try documents(matching: filter)
            total = matches.count
            let all = matches.ids
            let first = after.map { bound in all.partitionPoint { $0 > bound } } ?? 0
            ids = Array(all[first..<min(all.count, first + limit + 1)])
        } else {
            total = try documentCount()
            let start = after.map { $0 == .max ? nil : Layout.documentKey($0 + 1) } ?? Layout.documentKey(0)
            if let start {
                try txn.forEach(tables.documents, from: start) { key, _ in
                    guard key.count == 8 else { return true }
                    ids.append(Layout.documentID(fromKey: key))
                    return ids.count <= limit
                }
            }
        }
        let next = ids.count > limit ? ids[limit - 1] : nil
        return DocumentPage(documents: try documents(Array(ids.prefix(limit))), next: next, total: total)
    }
}

extension Array {
    /// The first index whose element satisfies `isAbove`, for an array where those elements come last.
    fileprivate func partitionPoint(_ isAbove: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isAbove(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
