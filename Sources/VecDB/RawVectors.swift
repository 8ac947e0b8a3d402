import Index
import Kernels

extension VectorDatabase {
    /// A collection for vectors computed elsewhere (no model): `model` is "raw" and vectors are stored as given,
    /// after L2 normalisation. Indexed with `index` when the vectors are short enough.
    public func createRawCollection(name: String, dimensions: Int, index: HNSWParameters? = HNSWParameters()) throws {
        try write { batch in
            try batch.createCollection(name: name, model: "raw", weightsSHA256: "", dimensions: dimensions, pooling: "none",
                                       prompt: "none", maxTokens: 0, index: index)
        }
    }

    /// Stores documents with their raw vectors in collection `name`, in one batch (documents, vectors and index
    /// links commit together). `id` is the document's external id: an existing one is replaced. Returns the dense
    /// document ids.
    @discardableResult
    public func addVectors(collection name: String, _ items: [(id: String, text: String, vector: [Float])]) throws -> [UInt64] {
        try write { batch in
            let dimensions = try batch.catalogue.require(name).dimensions
            return try items.map { item in
                guard item.vector.count == dimensions else {
                    throw VecDBError.invalidArgument("vector of '\(item.id)' has \(item.vector.count) dimensions; '\(name)' has \(dimensions)")
                }
                let (vector, norm) = Kernels.l2Normalized(item.vector)
                guard norm > 0, norm.isFinite else {
                    throw VecDBError.invalidArgument("vector of '\(item.id)' has no direction (norm \(norm))")
                }
                let id = try batch.putDocument(text: item.text, externalID: item.id, metadataJSON: nil).id
                try batch.putVector(vector, collection: name, document: id)
                return id
            }
        }
    }
}
