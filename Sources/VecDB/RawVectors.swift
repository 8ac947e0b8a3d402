import Index
import Kernels

extension VectorDatabase {
    /// A collection for vectors computed elsewhere (no model): `model` is "raw". Vectors are stored as given, after
    /// L2 normalisation for `.cosine`. Indexed with `index` when the vectors are short enough.
    public func createRawCollection(name: String, dimensions: Int, metric: Metric = .cosine,
                                    index: HNSWParameters? = HNSWParameters()) throws {
        try write { batch in try batch.createRawCollection(name: name, dimensions: dimensions, metric: metric, index: index) }
    }

    /// Stores documents with their raw vectors in collection `name`, in one batch (documents, vectors and index
    /// links commit together). `id` is the document's external id: an existing one is replaced. Returns the dense
    /// document ids.
    @discardableResult
    public func addVectors(collection name: String, _ items: [(id: String, text: String, vector: [Float])]) throws -> [UInt64] {
        try write { batch in
            let collection = try batch.catalogue.require(name)
            return try items.map { item in
                let vector = try collection.storedForm(of: item.vector, describing: "vector of '\(item.id)'")
                let id = try batch.putDocument(text: item.text, externalID: item.id, metadataJSON: nil).id
                try batch.putVector(vector, collection: name, document: id)
                return id
            }
        }
    }
}

extension WriteBatch {
    /// `VectorDatabase.createRawCollection` inside this batch.
    @discardableResult
    public func createRawCollection(name: String, dimensions: Int, metric: Metric = .cosine,
                                    index: HNSWParameters? = HNSWParameters()) throws -> VectorCollection {
        try createCollection(name: name, model: "raw", weightsSHA256: "", dimensions: dimensions, pooling: "none",
                             prompt: "none", maxTokens: 0, metric: metric, index: index)
    }
}

extension VectorCollection {
    /// `vector` as this collection stores and compares it: checked for length and finite components, and scaled to
    /// unit length in a cosine collection (where a zero vector, which has no direction, is refused). `subject`
    /// names the vector in errors ("vector of 'doc-1'").
    public func storedForm(of vector: [Float], describing subject: String) throws -> [Float] {
        guard vector.count == dimensions else {
            throw VecDBError.invalidArgument("\(subject) has \(vector.count) dimensions; '\(name)' has \(dimensions)")
        }
        guard vector.allSatisfy(\.isFinite) else { throw VecDBError.invalidArgument("\(subject) has a component that is not a finite number") }
        guard vectorMetric == .cosine else { return vector }
        let (unit, norm) = Kernels.l2Normalized(vector)
        guard norm > 0, norm.isFinite else { throw VecDBError.invalidArgument("\(subject) has no direction (norm \(norm))") }
        return unit
    }
}
