import Foundation
import Index
import VecDB

/// Qdrant's REST API over vecdb (docs/QDRANT.md): each collection one vecdb database (`QdrantCollections`), each
/// named vector one space of raw vectors in it, each point one document (its id the external id, its payload the
/// metadata, its text empty), each filter a `MetadataFilter` (`QdrantFilter`). Reads run on the server's read lane
/// in one snapshot, writes on its writer lane in one batch, so `wait` is always honoured: a write is answered after
/// its commit. Every method returns the JSON of Qdrant's `result`.
final class QdrantService: Sendable {
    let collections: QdrantCollections
    let lanes: DatabaseService

    init(collections: QdrantCollections, lanes: DatabaseService) {
        self.collections = collections
        self.lanes = lanes
    }

    // MARK: Collections

    func listCollections() throws -> Data {
        JSONText.data(["collections": try collections.names().map { ["name": $0] }])
    }

    func exists(_ name: String) throws -> Data { JSONText.data(["exists": try collections.exists(name)]) }

    func createCollection(_ name: String, _ body: JSONFields) async throws -> Data {
        try body.rejectUnknown(["vectors", "shard_number", "sharding_method", "replication_factor", "write_consistency_factor",
                                "on_disk_payload", "payload", "hnsw_config", "wal_config", "optimizers_config",
                                "quantization_config", "sparse_vectors", "strict_mode_config", "metadata", "init_from"])
        for unsupported in ["quantization_config", "sparse_vectors", "init_from"] where body.has(unsupported) && body.raw(unsupported) != .null {
            throw APIError.badRequest("\(unsupported) is not supported by vecdb")
        }
        var m = 16, efConstruct = 100
        if let hnsw = try body.object("hnsw_config") {
            m = try hnsw.int("m", in: 2...255) ?? m
            efConstruct = try hnsw.int("ef_construct", in: 4...10_000) ?? efConstruct
        }
        guard let vectors = body.raw("vectors") else { throw APIError.badRequest("vectors is required: {\"size\": n, \"distance\": \"Cosine\"}") }
        guard case .object(let members) = vectors else { throw APIError.badRequest("vectors must be an object") }
        let config: QdrantCollectionConfig
        if members.contains(where: { $0.key == "size" || $0.key == "distance" }) {
            let params = try QdrantService.vectorParams(try JSONFields(object: vectors, path: "vectors"))
            config = QdrantCollectionConfig(vectors: [.init(name: "", space: QdrantCollectionConfig.unnamedSpace, size: params.size, distance: params.distance)],
                                            unnamed: true, m: m, efConstruct: efConstruct)
        } else {
            var named: [QdrantCollectionConfig.Vector] = []
            for (vectorName, params) in members.sorted(by: { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }) {
                guard !vectorName.isEmpty else { throw APIError.badRequest("vectors: a named vector needs a non-empty name") }
                let parsed = try QdrantService.vectorParams(try JSONFields(object: params, path: "vectors.\(vectorName)"))
                named.append(.init(name: vectorName, space: vectorName, size: parsed.size, distance: parsed.distance))
            }
            config = QdrantCollectionConfig(vectors: named, unnamed: false, m: m, efConstruct: efConstruct)
        }
        let collections = collections
        try await lanes.onWriter { try collections.create(name, config: config) }
        return JSONText.data(true)
    }

    private static func vectorParams(_ fields: JSONFields) throws -> (size: Int, distance: Metric) {
        try fields.rejectUnknown(["size", "distance", "hnsw_config", "quantization_config", "on_disk", "memory", "datatype", "multivector_config"])
        for unsupported in ["quantization_config", "multivector_config"] where fields.has(unsupported) && fields.raw(unsupported) != .null {
            throw APIError.badRequest("\(fields.name(unsupported)) is not supported by vecdb")
        }
        if let datatype = try fields.string("datatype"), datatype != "float32" {
            throw APIError.badRequest("\(fields.name("datatype")): vecdb stores float32 vectors")
        }
        guard let size = try fields.int("size", in: 1...65_536) else { throw APIError.badRequest("\(fields.name("size")) is required") }
        guard let distance = try fields.string("distance") else { throw APIError.badRequest("\(fields.name("distance")) is required") }
        guard let metric = Metric.allCases.first(where: { QdrantCollectionConfig.qdrantName($0) == distance }) else {
            throw APIError.badRequest("\(fields.name("distance")): \(distance) is not supported by vecdb (Cosine, Dot, Euclid are)")
        }
        return (size, metric)
    }

    func collectionInfo(_ name: String) async throws -> Data {
        let collection = try collections.collection(name)
        let counts = try await lanes.onReadLane {
            try collection.database.read { snapshot in
                (points: try snapshot.documentCount(),
                 indexed: collection.config.vectors.reduce(0) { $0 + (snapshot.collection(named: $1.space)?.count ?? 0) },
                 // The parameters of the indexes as they are (PATCH may have rebuilt them), not as created.
                 index: snapshot.collection(named: collection.config.vectors[0].space)?.index)
            }
        }
        let config = collection.config
        func params(_ vector: QdrantCollectionConfig.Vector) -> [String: Any] {
            ["size": vector.size, "distance": QdrantCollectionConfig.qdrantName(vector.distance)]
        }
        let vectors: Any = config.unnamed ? params(config.vectors[0])
            : Dictionary(uniqueKeysWithValues: config.vectors.map { ($0.name, params($0)) })
        let info: [String: Any] = [
            "status": "green", "optimizer_status": "ok", "segments_count": 1,
            "points_count": counts.points, "indexed_vectors_count": counts.indexed, "payload_schema": [String: Any](),
            "config": [
                "params": ["vectors": vectors, "shard_number": 1, "replication_factor": 1, "write_consistency_factor": 1,
                           "on_disk_payload": true] as [String: Any],
                "hnsw_config": ["m": counts.index?.M ?? config.m, "ef_construct": counts.index?.efConstruction ?? config.efConstruct,
                                "full_scan_threshold": 10_000,
                                "max_indexing_threads": 1, "on_disk": true] as [String: Any],
                "optimizer_config": ["deleted_threshold": 0.2, "vacuum_min_vector_number": 1000, "default_segment_number": 1,
                                     "flush_interval_sec": 0, "max_optimization_threads": 1] as [String: Any],
            ] as [String: Any],
        ]
        return JSONText.data(info)
    }

    /// `PATCH /collections/{name}`: `hnsw_config`'s `m` and `ef_construct` rebuild every vector's index with them,
    /// in one write batch (searches keep the old indexes until it commits); optimizer settings are accepted and
    /// mean nothing here; the other parameters vecdb does not have are refused.
    func updateCollection(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["vectors", "optimizers_config", "params", "hnsw_config", "quantization_config", "sparse_vectors",
                                "strict_mode_config", "metadata"])
        if let given = ["vectors", "params", "quantization_config", "sparse_vectors", "strict_mode_config", "metadata"]
            .first(where: { body.has($0) && body.raw($0) != .null }) {
            throw APIError.badRequest("\(given) cannot be changed in vecdb (hnsw_config's m and ef_construct can)")
        }
        guard let hnsw = try body.object("hnsw_config") else { return JSONText.data(true) }
        try hnsw.rejectUnknown(["m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk", "payload_m", "inline_storage"])
        let m = try hnsw.int("m", in: 2...255), efConstruct = try hnsw.int("ef_construct", in: 4...10_000)
        guard m != nil || efConstruct != nil else { return JSONText.data(true) }
        let database = collection.database, vectors = collection.config.vectors
        try await lanes.onWriter {
            try database.write { batch in
                for vector in vectors {
                    guard let current = batch.collection(named: vector.space)?.index else { continue }
                    let parameters = HNSWParameters(M: m ?? current.M, efConstruction: efConstruct ?? current.efConstruction, seed: current.seed,
                                                    quantization: current.quantization)
                    if parameters != current { try batch.rebuildIndex(collection: vector.space, parameters: parameters) }
                }
            }
        }
        return JSONText.data(true)
    }

    func deleteCollection(_ name: String) async throws -> Data {
        let collections = collections
        return JSONText.data(try await lanes.onWriter { try collections.delete(name) })
    }

    // MARK: Points: writes

    /// `PUT /collections/{name}/points`: every point replaced whole (vectors and payload) in one batch.
    func upsert(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["points", "batch", "shard_key", "update_filter", "update_mode"])
        try QdrantService.refuseUnsupported(body, ["update_filter"])
        var points: [QdrantPoint]
        if let list = try body.objects("points") {
            guard !body.has("batch") else { throw APIError.badRequest("give points or batch, not both") }
            points = try list.map { try QdrantPoint(point: $0, in: collection.config) }
        } else if let batch = try body.object("batch") {
            points = try QdrantPoint.batch(batch, in: collection.config)
        } else {
            throw APIError.badRequest("points or batch is required")
        }
        guard !points.isEmpty else { throw APIError.badRequest("Wrong input: empty update, no points given") }
        try await QdrantPoint.embedTexts(&points, config: collection.config, models: lanes.models)
        let ready = points
        return try await write(collection) { batch in
            let spaces = try collection.config.vectors.map { vector in (vector, try batch.catalogue(vector.space)) }
            for point in ready {
                let id = try batch.putDocument(text: "", externalID: point.id.externalID, metadataJSON: point.payloadJSON).id
                for (vector, space) in spaces {
                    if let values = point.vectors[vector.name] {
                        try batch.putVector(try space.storedForm(of: values, describing: "vector \"\(vector.name)\" of point \(point.id.externalID)"),
                                            collection: vector.space, document: id)
                    } else {
                        try batch.removeVector(collection: vector.space, document: id)
                    }
                }
            }
        }
    }

    /// `POST /collections/{name}/points/delete`: by ids (unknown ones ignored) or by filter.
    func deletePoints(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["points", "filter", "shard_key"])
        let selector = try QdrantSelector(body)
        return try await write(collection) { batch in
            for id in try selector.documents(in: batch) { try batch.deleteDocument(id: id) }
        }
    }

    /// Payload changes: `set` merges keys (a key set to null is removed; with `key`, merges into the object at that
    /// path), `overwrite` replaces, `delete` removes key paths, `clear` empties.
    enum PayloadChange { case set, overwrite, delete, clear }

    func changePayload(_ name: String, _ body: JSONFields, _ change: PayloadChange) async throws -> Data {
        let collection = try collections.collection(name)
        let update: @Sendable (JSONValue) throws -> JSONValue
        switch change {
        case .set, .overwrite:
            try body.rejectUnknown(["payload", "points", "filter", "shard_key", "key"])
            guard case .object(let given)? = body.raw("payload") else { throw APIError.badRequest("payload must be an object") }
            let key = try body.string("key").map { try QdrantPayload.path($0, field: "key") }
            if change == .overwrite {
                guard key == nil else { throw APIError.badRequest("key is for set_payload; overwrite replaces the whole payload") }
                update = { _ in .object(given) }
            } else {
                update = { payload in QdrantPayload.merging(given, into: payload, at: key) }
            }
        case .delete:
            try body.rejectUnknown(["keys", "points", "filter", "shard_key"])
            guard let keys = try body.strings("keys") else { throw APIError.badRequest("keys is required") }
            let paths = try keys.enumerated().map { try QdrantPayload.path($1, field: "keys[\($0)]") }
            update = { payload in paths.reduce(payload) { QdrantPayload.removing($1.steps[...], from: $0) } }
        case .clear:
            try body.rejectUnknown(["points", "filter", "shard_key"])
            update = { _ in .object([]) }
        }
        let selector = try QdrantSelector(body)
        return try await write(collection) { batch in
            for id in try selector.documents(in: batch, requireAll: true) {
                guard let document = try batch.document(id: id) else { continue }
                let payload = try update(QdrantPayload.payload(of: document))
                try batch.putDocument(text: document.text, externalID: document.externalID, metadataJSON: QdrantPayload.metadataJSON(payload))
            }
        }
    }

    /// `body` in one write batch of `collection`, on the writer lane; Qdrant's `UpdateResult` once it committed.
    private func write(_ collection: QdrantCollection, _ body: @escaping @Sendable (WriteBatch) throws -> Void) async throws -> Data {
        let database = collection.database
        let operation = try await lanes.onWriter {
            try database.write { batch in
                try body(batch)
                return batch.id
            }
        }
        return JSONText.data(["operation_id": operation, "status": "completed"] as [String: Any])
    }

    static func refuseUnsupported(_ body: JSONFields, _ fields: [String]) throws {
        if let given = fields.first(where: { body.has($0) && body.raw($0) != .null }) {
            throw APIError.badRequest("\(body.name(given)) is not supported by vecdb")
        }
    }

    // MARK: Points: reads

    /// `POST /collections/{name}/points`: the points of `ids` that exist, in the order asked.
    func retrieve(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["ids", "with_payload", "with_vector", "shard_key"])
        guard case .array(let items)? = body.raw("ids") else { throw APIError.badRequest("ids must be an array of point ids") }
        let ids = try items.enumerated().map { try QdrantPointID($1, field: "ids[\($0)]") }
        let payload = try QdrantPayload.Selector(body.raw("with_payload"), field: "with_payload", default: true)
        let vectors = try QdrantVectorSelector(body.raw("with_vector"), field: "with_vector", default: false, config: collection.config)
        return try await read(collection) { snapshot in
            let records = try ids.compactMap { id -> [String: Any]? in
                guard let document = try snapshot.documentID(externalID: id.externalID) else { return nil }
                return try QdrantService.record(id: id, document: document, score: nil, in: snapshot, collection.config, payload, vectors)
            }
            return JSONText.data(records)
        }
    }

    /// `GET /collections/{name}/points/{id}`: one point with its payload and vectors, 404 when absent.
    func point(_ name: String, _ text: String) async throws -> Data {
        let collection = try collections.collection(name)
        let id = try UInt64(text).map { QdrantPointID.number($0) } ?? QdrantPointID(.string(text), field: "id")
        let vectors = try QdrantVectorSelector(.bool(true), field: "with_vector", default: true, config: collection.config)
        return try await read(collection) { snapshot in
            guard let document = try snapshot.documentID(externalID: id.externalID) else {
                throw APIError.notFound("No point with id \(id.externalID) found")
            }
            return JSONText.data(try QdrantService.record(id: id, document: document, score: nil, in: snapshot, collection.config, .all, vectors))
        }
    }

    /// `POST /collections/{name}/points/scroll`: points in id order (integers, then UUIDs) from `offset` (an id,
    /// inclusive), `limit` a page, with the id that starts the next page; or, with `order_by`, in the order of a
    /// payload key's numbers (`QdrantOrder`).
    func scroll(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["offset", "limit", "filter", "with_payload", "with_vector", "order_by", "shard_key"])
        if let order = try QdrantOrder(body.raw("order_by")) {
            guard !body.has("offset") || body.raw("offset") == .null else {
                throw APIError.badRequest("offset cannot be combined with order_by (use order_by.start_from)")
            }
            let limit = try body.int("limit", in: 1...100_000) ?? 10
            let filter = try body.raw("filter").flatMap { $0 == .null ? nil : try QdrantFilter.translate($0, at: "filter") }
            let payload = try QdrantPayload.Selector(body.raw("with_payload"), field: "with_payload", default: true)
            let vectors = try QdrantVectorSelector(body.raw("with_vector"), field: "with_vector", default: false, config: collection.config)
            return try await read(collection) { snapshot in
                let page = try order.page(in: snapshot, matching: filter.map { try snapshot.documents(matching: $0) }, limit: limit)
                let points = try page.map { entry -> [String: Any] in
                    var record = try QdrantService.record(id: entry.id, document: entry.document, score: nil, in: snapshot,
                                                          collection.config, payload, vectors)
                    record["order_value"] = entry.value
                    return record
                }
                return JSONText.data(["points": points, "next_page_offset": NSNull()] as [String: Any])
            }
        }
        let offset = try body.raw("offset").flatMap { $0 == .null ? nil : try QdrantPointID($0, field: "offset") }
        let limit = try body.int("limit", in: 1...100_000) ?? 10
        let filter = try body.raw("filter").flatMap { $0 == .null ? nil : try QdrantFilter.translate($0, at: "filter") }
        let payload = try QdrantPayload.Selector(body.raw("with_payload"), field: "with_payload", default: true)
        let vectors = try QdrantVectorSelector(body.raw("with_vector"), field: "with_vector", default: false, config: collection.config)
        return try await read(collection) { snapshot in
            let matches = try filter.map { try snapshot.documents(matching: $0) }
            var points = try snapshot.externalIDs().compactMap { entry -> (id: QdrantPointID, document: UInt64)? in
                guard let id = QdrantPointID(externalID: entry.externalID), matches?.contains(entry.id) ?? true else { return nil }
                if let offset, id < offset { return nil }
                return (id, entry.id)
            }
            points.sort { $0.id < $1.id }
            let page = try points.prefix(limit).map {
                try QdrantService.record(id: $0.id, document: $0.document, score: nil, in: snapshot, collection.config, payload, vectors)
            }
            var result: [String: Any] = ["points": page]
            result["next_page_offset"] = points.count > limit ? points[limit].id.json : NSNull()
            return JSONText.data(result)
        }
    }

    /// `POST /collections/{name}/points/count`: always exact.
    func count(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["filter", "exact", "shard_key"])
        _ = try body.bool("exact")
        let filter = try body.raw("filter").flatMap { $0 == .null ? nil : try QdrantFilter.translate($0, at: "filter") }
        return try await read(collection) { snapshot in
            JSONText.data(["count": try filter.map { try snapshot.documents(matching: $0).count } ?? snapshot.documentCount()])
        }
    }

    /// `POST /collections/{name}/points/query`.
    func query(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        var request = try QdrantQuery(body, config: collection.config)
        try await request.embedTexts(models: lanes.models)
        let ready = request
        return try await read(collection) { snapshot in
            JSONText.data(["points": try ready.run(in: snapshot, config: collection.config)])
        }
    }

    /// `POST /collections/{name}/points/query/batch`: every search in one snapshot.
    func queryBatch(_ name: String, _ body: JSONFields) async throws -> Data {
        let collection = try collections.collection(name)
        try body.rejectUnknown(["searches"])
        guard let searches = try body.objects("searches") else { throw APIError.badRequest("searches is required") }
        var requests = try searches.map { try QdrantQuery($0, config: collection.config) }
        for index in requests.indices { try await requests[index].embedTexts(models: lanes.models) }
        let ready = requests
        return try await read(collection) { snapshot in
            JSONText.data(try ready.map { ["points": try $0.run(in: snapshot, config: collection.config)] })
        }
    }

    private func read(_ collection: QdrantCollection, _ body: @escaping @Sendable (Snapshot) throws -> Data) async throws -> Data {
        let database = collection.database
        return try await lanes.onReadLane { try database.read(body) }
    }

    /// A point as Qdrant's `Record` (or `ScoredPoint` with a score): id, payload and vectors as selected.
    static func record(id: QdrantPointID, document: UInt64, score: Float?, in snapshot: Snapshot, _ config: QdrantCollectionConfig,
                       _ payload: QdrantPayload.Selector, _ vectors: QdrantVectorSelector) throws -> [String: Any] {
        var record: [String: Any] = ["id": id.json]
        if let score {
            record["score"] = score
            record["version"] = 0
        }
        if payload != .none {
            guard let stored = try snapshot.document(id: document) else { throw VecDBError.corrupted("point \(id.externalID) has no document") }
            record["payload"] = payload.apply(to: QdrantPayload.payload(of: stored))
        }
        if !vectors.names.isEmpty {
            var found: [String: [Float]] = [:]
            for vector in config.vectors where vectors.names.contains(vector.name) {
                guard let space = snapshot.collection(named: vector.space) else { continue }
                if let values = try snapshot.vector(collection: space, document: document) { found[vector.name] = values }
            }
            if config.unnamed { record["vector"] = found[""] ?? NSNull() } else { record["vector"] = found }
        }
        return record
    }
}

extension WriteBatch {
    /// The catalogue record of space `name`, or 500: a collection's config names only spaces it created.
    fileprivate func catalogue(_ name: String) throws -> VectorCollection {
        guard let space = collection(named: name) else { throw VecDBError.corrupted("the collection has no space '\(name)'") }
        return space
    }
}
