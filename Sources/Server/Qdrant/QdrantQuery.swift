import Foundation
import Index
import VecDB

/// `POST /collections/{name}/points/query`, checked: the nearest points to a vector (or to a stored point's
/// vector) in one named vector, filtered, paged by `offset`, cut at `score_threshold`; or, with `prefetch`, the
/// reciprocal-rank fusion of several such searches.
struct QdrantQuery: Sendable {
    /// One search: what it looks for, where, and how.
    struct Search: Sendable {
        enum Target: Sendable {
            case vector([Float])
            case point(QdrantPointID)
            /// Embedded before the search (`embedTexts`).
            case text(QdrantDocumentText)
        }

        var target: Target
        var vector: QdrantCollectionConfig.Vector
        var filter: MetadataFilter?
        var limit: Int
        var scoreThreshold: Float?
        var exact: Bool
        var ef: Int?
    }

    var searches: [Search]
    /// Set when the searches are prefetches whose rankings are fused.
    var fusion: RankFusion?
    var limit: Int
    var offset: Int
    var scoreThreshold: Float?
    var payload: QdrantPayload.Selector
    var vectors: QdrantVectorSelector

    static let largestLimit = 10_000

    init(_ body: JSONFields, config: QdrantCollectionConfig) throws {
        try body.rejectUnknown(["shard_key", "prefetch", "query", "using", "filter", "params", "score_threshold", "limit", "offset",
                                "with_vector", "with_payload", "lookup_from"])
        try QdrantService.refuseUnsupported(body, ["lookup_from"])
        limit = try body.int("limit", in: 1...QdrantQuery.largestLimit) ?? 10
        offset = try body.int("offset", in: 0...QdrantQuery.largestLimit) ?? 0
        scoreThreshold = try QdrantQuery.threshold(body)
        payload = try QdrantPayload.Selector(body.raw("with_payload"), field: "with_payload", default: false)
        vectors = try QdrantVectorSelector(body.raw("with_vector"), field: "with_vector", default: false, config: config)
        if let prefetches = body.raw("prefetch"), prefetches != .null {
            let list: [JSONFields]
            if case .object = prefetches { list = [try JSONFields(object: prefetches, path: "prefetch")] } else {
                guard let objects = try body.objects("prefetch") else { throw APIError.badRequest("prefetch must be an object or an array of them") }
                list = objects
            }
            fusion = try QdrantQuery.fusion(body.raw("query"))
            let outerFilter = try QdrantQuery.filter(body)
            searches = try list.map { prefetch in
                try prefetch.rejectUnknown(["prefetch", "query", "using", "filter", "params", "score_threshold", "limit", "lookup_from"])
                try QdrantService.refuseUnsupported(prefetch, ["prefetch", "lookup_from"])
                var search = try QdrantQuery.search(prefetch, config: config, limit: try prefetch.int("limit", in: 1...QdrantQuery.largestLimit) ?? 10)
                if let outerFilter { search.filter = search.filter.map { .and([$0, outerFilter]) } ?? outerFilter }
                return search
            }
        } else {
            searches = [try QdrantQuery.search(body, config: config, limit: limit + offset)]
        }
    }

    /// Qdrant's reciprocal rank fusion adds 1/(K + position) with positions from 0, K = 2 unless `{"rrf": {"k": K}}`
    /// gives it (Qdrant's default; qdrant-client's `hybrid/fusion.py`). vecdb's `RankFusion` adds 1/(k + rank) with
    /// ranks from 1: the same sums for k = K − 1.
    static let defaultRRFK = 2

    private static func fusion(_ value: JSONValue?) throws -> RankFusion {
        switch value {
        case .object(let members)? where members.count == 1 && members[0].key == "fusion":
            guard members[0].value == .string("rrf") else { throw APIError.badRequest("query.fusion: vecdb fuses by rrf (dbsf is not supported)") }
            return .reciprocalRank(k: defaultRRFK - 1)
        case .object(let members)? where members.count == 1 && members[0].key == "rrf":
            let fields = try JSONFields(object: members[0].value, path: "query.rrf")
            try fields.rejectUnknown(["k", "weights"])
            try QdrantService.refuseUnsupported(fields, ["weights"])
            return .reciprocalRank(k: (try fields.int("k", in: 1...1_000_000) ?? defaultRRFK) - 1)
        default:
            throw APIError.badRequest("query: with prefetch, vecdb takes {\"fusion\": \"rrf\"} or {\"rrf\": {\"k\": K}}")
        }
    }

    /// One search of a request or prefetch.
    private static func search(_ fields: JSONFields, config: QdrantCollectionConfig, limit: Int) throws -> Search {
        let using = try fields.string("using") ?? ""
        guard let vector = config.vector(named: using) else {
            throw APIError.badRequest(using.isEmpty
                ? "using is required: the collection has named vectors (\(config.vectors.map(\.name).joined(separator: ", ")))"
                : "Wrong input: Not existing vector name error: \(using)")
        }
        guard let query = fields.raw("query"), query != .null else {
            throw APIError.badRequest("\(fields.name("query")) is required (vecdb does not list points by query; use scroll)")
        }
        let target: Search.Target
        if let text = try QdrantDocumentText(query, field: fields.name("query")) {
            target = .text(text)
        } else if case .object(let members) = query, members.count == 1, members[0].key == "nearest",
                  let text = try QdrantDocumentText(members[0].value, field: "\(fields.name("query")).nearest") {
            target = .text(text)
        } else {
        switch query {
        case .array:
            target = .vector(try QdrantQuery.vector(query, field: fields.name("query"), size: vector.size))
        case .object(let members) where members.count == 1 && members[0].key == "nearest":
            switch members[0].value {
            case .array: target = .vector(try QdrantQuery.vector(members[0].value, field: "\(fields.name("query")).nearest", size: vector.size))
            case .number, .string: target = .point(try QdrantPointID(members[0].value, field: "\(fields.name("query")).nearest"))
            default: throw APIError.badRequest("\(fields.name("query")).nearest must be a vector or a point id")
            }
        case .number, .string:
            target = .point(try QdrantPointID(query, field: fields.name("query")))
        case .object(let members):
            let kind = members.first?.key ?? "{}"
            throw APIError.badRequest("\(fields.name("query")): \(kind) queries are not supported by vecdb (a vector, {\"nearest\": …} or a point id is)")
        default:
            throw APIError.badRequest("\(fields.name("query")) must be a vector, {\"nearest\": …} or a point id")
        }
        }
        var exact = false
        var ef: Int?
        if let params = try fields.object("params") {
            try params.rejectUnknown(["hnsw_ef", "exact", "quantization", "indexed_only", "acorn", "idf"])
            exact = try params.bool("exact") ?? false
            ef = try params.int("hnsw_ef", in: 1...100_000)
        }
        return Search(target: target, vector: vector, filter: try QdrantQuery.filter(fields), limit: limit,
                      scoreThreshold: try QdrantQuery.threshold(fields), exact: exact, ef: ef)
    }

    private static func filter(_ fields: JSONFields) throws -> MetadataFilter? {
        guard let value = fields.raw("filter"), value != .null else { return nil }
        return try QdrantFilter.translate(value, at: fields.name("filter"))
    }

    private static func threshold(_ fields: JSONFields) throws -> Float? {
        switch fields.raw("score_threshold") {
        case nil, .null?: return nil
        case .number(let number)?: return Float(number)
        default: throw APIError.badRequest("\(fields.name("score_threshold")) must be a number")
        }
    }

    private static func vector(_ value: JSONValue, field: String, size: Int) throws -> [Float] {
        let values = try QdrantPoint.floats(value, field: field)
        guard values.count == size else {
            throw APIError.badRequest("\(field): Wrong input: Vector dimension error: expected dim: \(size), got \(values.count)")
        }
        return values
    }

    /// Turns every search for a text into a search for its vector, embedded by the served model it names.
    mutating func embedTexts(models: ServedModels) async throws {
        for index in searches.indices {
            guard case .text(let text) = searches[index].target else { continue }
            let vector = try await QdrantDocumentText.embed([text], models: models)[0]
            guard vector.count == searches[index].vector.size else {
                throw APIError.badRequest("model \(text.model) makes \(vector.count)-dimensional vectors; "
                    + "vector \"\(searches[index].vector.name)\" has size \(searches[index].vector.size)")
            }
            searches[index].target = .vector(vector)
        }
    }

    /// The answer's points (`ScoredPoint`s), best first.
    func run(in snapshot: Snapshot, config: QdrantCollectionConfig) throws -> [[String: Any]] {
        var ranked: [(id: UInt64, score: Float)]
        if let fusion {
            let rankings = try searches.map { try QdrantQuery.rank($0, in: snapshot).map { (id: $0.id, score: Double($0.score)) } }
            ranked = fusion.fuse(rankings).map { (id: $0.id, score: Float($0.score)) }
            if let scoreThreshold { ranked = ranked.filter { $0.score >= scoreThreshold } }
            ranked = Array(ranked.dropFirst(offset).prefix(limit))
        } else {
            ranked = Array(try QdrantQuery.rank(searches[0], in: snapshot).dropFirst(offset).prefix(limit))
        }
        return try ranked.map { hit in
            guard let document = try snapshot.document(id: hit.id), let externalID = document.externalID,
                  let id = QdrantPointID(externalID: externalID) else {
                throw VecDBError.corrupted("document \(hit.id) of the collection is not a Qdrant point")
            }
            return try QdrantService.record(id: id, document: hit.id, score: hit.score, in: snapshot, config, payload, vectors)
        }
    }

    /// One search's ranking in Qdrant's scores (cosine and dot similarity, best first; Euclidean distance, nearest
    /// first), cut at its threshold.
    private static func rank(_ search: Search, in snapshot: Snapshot) throws -> [(id: UInt64, score: Float)] {
        guard let space = snapshot.collection(named: search.vector.space) else { throw VecDBError.corrupted("the collection lacks space '\(search.vector.space)'") }
        var filter = search.filter
        let query: [Float]
        switch search.target {
        case .vector(let values):
            query = try space.storedForm(of: values, describing: "the query vector")
        case .text:
            preconditionFailure("texts are embedded before the search (embedTexts)")
        case .point(let id):
            guard let document = try snapshot.documentID(externalID: id.externalID) else { throw APIError.notFound("No point with id \(id.externalID) found") }
            guard let stored = try snapshot.vector(collection: space, document: document) else {
                throw APIError.badRequest("point \(id.externalID) has no vector \"\(search.vector.name)\"")
            }
            query = stored
            // The point is the question, not an answer.
            let others = MetadataFilter.not(.hasID([id.externalID]))
            filter = filter.map { .and([$0, others]) } ?? others
        }
        let mode: SearchMode
        if search.exact || space.index == nil {
            mode = .exact
        } else if let ef = search.ef {
            mode = .index(ef: ef)
        } else {
            // Unfiltered: the index (Qdrant searches its HNSW graph unless told exact); filtered: the planner decides.
            mode = filter == nil ? .index(ef: max(SearchMode.defaultEf, search.limit)) : .automatic
        }
        let metric = space.vectorMetric
        return try snapshot.nearest(collection: space.name, query: query, k: search.limit, mode: mode, filter: filter).compactMap { hit in
            let score = metric == .euclid ? (-hit.score).squareRoot() : hit.score
            if let threshold = search.scoreThreshold, metric == .euclid ? score > threshold : score < threshold { return nil }
            return (hit.id, score)
        }
    }
}
