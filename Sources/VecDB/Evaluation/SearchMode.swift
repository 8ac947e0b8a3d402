/// How evaluation searches a collection.
///
/// Every evaluation search goes through `VectorDatabase.search(collection:query:k:mode:)`, the one call site that
/// picks the method, so an approximate index can be added as a case and compared against exact results.
public enum SearchMode: String, Sendable, CaseIterable {
    /// A full scan of the collection (`searchExact`): the reference every index is measured against.
    case exact
}

extension VectorDatabase {
    /// The `k` documents of `collection` most similar to the unit vector `query`, found by `mode`.
    public func search(collection: String, query: [Float], k: Int, mode: SearchMode) throws -> SearchResults {
        switch mode {
        case .exact:
            return try searchExact(collection: collection, query: query, k: k)
        }
    }
}
