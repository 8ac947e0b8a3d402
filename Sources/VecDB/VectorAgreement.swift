import Kernels

/// How close two collections' vectors of the same documents are: the cosine of each document's two vectors, its
/// minimum and mean. `vecdb eval` reports it for a collection made at a reduced precision against the same model's
/// f32 collection: what the speed costs in the vectors themselves, beside what it costs in the rankings.
public struct VectorAgreement: Sendable, Equatable {
    /// The f32 collection compared with.
    public var reference: String
    /// Documents with a vector in both collections.
    public var documents: Int
    public var minimumCosine: Double
    public var meanCosine: Double
}

extension Snapshot {
    /// The f32 collection of the same model and space as `collection` (made at another precision), when the database
    /// holds one: same model name without the `@PRECISION` suffix, same pooling, prompt, token limit and dimensions.
    public func float32Counterpart(of collection: VectorCollection) -> VectorCollection? {
        guard let precision = collection.precision, collection.model.hasSuffix("@" + precision.rawValue) else { return nil }
        let model = String(collection.model.dropLast(precision.rawValue.count + 1))
        return collections.first {
            !$0.isLexical && $0.precision == nil && $0.model == model && $0.pooling == collection.pooling
                && $0.prompt == collection.prompt && $0.maxTokens == collection.maxTokens && $0.dimensions == collection.dimensions
        }
    }

    /// The cosine of every document's vector in `collection` to its vector in `reference` (documents in both); nil when
    /// they share none.
    public func agreement(of collection: VectorCollection, with reference: VectorCollection) throws -> VectorAgreement? {
        guard collection.dimensions == reference.dimensions else {
            throw VecDBError.invalidArgument("collections '\(collection.name)' and '\(reference.name)' have different dimensions")
        }
        var count = 0, total = 0.0, minimum = Double.infinity
        try forEachVectorID(of: collection) { id in
            guard let a = try vector(collection: collection, document: id), let b = try vector(collection: reference, document: id) else {
                return true
            }
            let kernels = Kernels.active
            let cosine = Double(kernels.dot(a, b)) / (Double(kernels.dot(a, a)) * Double(kernels.dot(b, b))).squareRoot()
            count += 1
            total += cosine
            minimum = min(minimum, cosine)
            return true
        }
        guard count > 0 else { return nil }
        return VectorAgreement(reference: reference.name, documents: count, minimumCosine: minimum, meanCosine: total / Double(count))
    }
}
