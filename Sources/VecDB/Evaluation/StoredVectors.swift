import Foundation
import LMDB

extension VectorDatabase {
    /// The stored vectors of `documentIDs` in collection `name`, read in one snapshot; ids without a vector in
    /// the collection are absent from the result.
    ///
    /// Evaluation needs the similarity of a query to *every* judged-relevant document, including those the search
    /// did not return, to draw the score distributions.
    public func vectors(collection name: String, documentIDs: [UInt64]) throws -> [UInt64: [Float]] {
        try environment.read { txn in
            guard let collection = try collections(in: txn).first(where: { $0.name == name }) else {
                throw VecDBError("no collection '\(name)' in \(path)")
            }
            var result: [UInt64: [Float]] = [:]
            for id in documentIDs {
                if let vector = try storedVector(collection: collection, document: id, in: txn) { result[id] = vector }
            }
            return result
        }
    }

    /// Document `id`'s vector in `collection`, or nil when it has none.
    func storedVector(collection: Collection, document id: UInt64, in txn: Transaction) throws -> [Float]? {
        let byteCount = collection.dimensions * MemoryLayout<Float>.size
        return try txn.withValue(tables.vectors, key: Layout.vectorKey(collection: collection.id, document: id)) { raw -> [Float]? in
            guard let raw else { return nil }
            guard raw.count == byteCount else {
                throw VecDBError("vector of document \(id) in '\(collection.name)' has \(raw.count) bytes, expected \(byteCount); run `vecdb check`")
            }
            return Layout.floats(raw)
        }
    }
}
