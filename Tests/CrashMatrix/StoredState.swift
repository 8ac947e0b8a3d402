import Foundation
import VecDB

/// What a database holds, in the terms the crash matrix compares: document texts by id, which documents each
/// collection has a vector for, and each collection's index parameter M.
struct StoredState: Equatable, CustomStringConvertible {
    var documents: [UInt64: String] = [:]
    var vectors: [String: Set<UInt64>] = [:]
    var indexM: [String: Int] = [:]

    /// Reads the state of `db` for the documents `0..<ids` (ids are dense and never reused, so no
    /// document can lie beyond the largest any expected state holds; the document count confirms it).
    static func read(_ db: VectorDatabase, ids: UInt64) throws -> (state: StoredState, vectors: [String: [UInt64: [Float]]]) {
        var state = StoredState()
        for id in 0..<ids {
            if let document = try db.document(id: id) { state.documents[id] = document.text }
        }
        if try db.documentCount() != state.documents.count {
            throw MatrixFailure("\(try db.documentCount()) documents, \(state.documents.count) of them with an id below \(ids)")
        }
        var stored: [String: [UInt64: [Float]]] = [:]
        for collection in try db.collections() {
            let found = try db.read { try $0.vectors(collection: collection.name, documentIDs: Array(0..<ids)) }
            if !found.isEmpty { state.vectors[collection.name] = Set(found.keys) }
            stored[collection.name] = found
            if let index = collection.index { state.indexM[collection.name] = index.M }
        }
        return (state, stored)
    }

    var description: String {
        let vectorCounts = vectors.keys.sorted().map { "\($0): \(vectors[$0]!.count)" }.joined(separator: ", ")
        return "\(documents.count) documents, vectors [\(vectorCounts)], M \(indexM.keys.sorted().map { "\($0): \(indexM[$0]!)" })"
    }
}
