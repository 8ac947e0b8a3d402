import Foundation
import VecDB

/// A text for vecdb to embed with one of the models it serves: Qdrant's `Document` inference object,
/// `{"text": …, "model": …}`, given where a vector goes.
struct QdrantDocumentText: Sendable, Equatable {
    var text: String
    var model: String

    /// The inference object `value` spells, or nil when it is not one.
    init?(_ value: JSONValue, field: String) throws {
        guard case .object(let members) = value, members.contains(where: { $0.key == "text" }) else { return nil }
        let fields = try JSONFields(object: value, path: field)
        try fields.rejectUnknown(["text", "model", "options"])
        guard let text = try fields.string("text"), !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
            throw APIError.badRequest("\(field).text must be a non-empty string")
        }
        guard let model = try fields.string("model") else { throw APIError.badRequest("\(field).model is required: a model this server serves") }
        self.text = text
        self.model = model
    }

    /// Embeds `texts` with the served models they name, one request per model; 404 for a model not served, 400
    /// for a lexical one.
    static func embed(_ texts: [QdrantDocumentText], models: ServedModels) async throws -> [[Float]] {
        var vectors = [[Float]](repeating: [], count: texts.count)
        for model in Set(texts.map(\.model)).sorted() {
            let positions = texts.indices.filter { texts[$0].model == model }
            let embeddings = try await models.named(model).embed(positions.map { texts[$0].text })
            for (position, embedding) in zip(positions, embeddings) { vectors[position] = embedding.vector }
        }
        return vectors
    }
}

/// One point of an upsert, checked against the collection before any write: its id, its vectors by Qdrant name
/// ("" for the unnamed one), its payload as the metadata JSON vecdb stores.
struct QdrantPoint: Sendable {
    var id: QdrantPointID
    var vectors: [String: [Float]]
    /// Vectors given as texts, until `embedTexts` turns them into vectors.
    var texts: [String: QdrantDocumentText] = [:]
    var payloadJSON: String?

    init(point fields: JSONFields, in config: QdrantCollectionConfig) throws {
        try fields.rejectUnknown(["id", "vector", "payload"])
        guard let id = fields.raw("id") else { throw APIError.badRequest("\(fields.name("id")) is required") }
        self.id = try QdrantPointID(id, field: fields.name("id"))
        guard let vector = fields.raw("vector") else { throw APIError.badRequest("\(fields.name("vector")) is required") }
        (vectors, texts) = try QdrantPoint.vectors(vector, field: fields.name("vector"), config: config)
        payloadJSON = try QdrantPoint.payload(fields.raw("payload"), field: fields.name("payload"))
    }

    init(id: QdrantPointID, vectors: (values: [String: [Float]], texts: [String: QdrantDocumentText]), payloadJSON: String?) {
        self.id = id
        self.vectors = vectors.values
        texts = vectors.texts
        self.payloadJSON = payloadJSON
    }

    /// Every point's texts embedded by the models they name (one forward pass per model for the whole request),
    /// each checked against its vector's size.
    static func embedTexts(_ points: inout [QdrantPoint], config: QdrantCollectionConfig, models: ServedModels) async throws {
        let pending = points.indices.flatMap { index in points[index].texts.map { (point: index, name: $0.key, text: $0.value) } }
        guard !pending.isEmpty else { return }
        let vectors = try await QdrantDocumentText.embed(pending.map(\.text), models: models)
        for (item, vector) in zip(pending, vectors) {
            let size = config.vector(named: item.name)!.size
            guard vector.count == size else {
                throw APIError.badRequest("model \(item.text.model) makes \(vector.count)-dimensional vectors; "
                    + "vector \"\(item.name)\" of point \(points[item.point].id.externalID) has size \(size)")
            }
            points[item.point].vectors[item.name] = vector
            points[item.point].texts[item.name] = nil
        }
    }

    /// `{"batch": {"ids": […], "vectors": […] or {name: […]}, "payloads": […]}}`.
    static func batch(_ fields: JSONFields, in config: QdrantCollectionConfig) throws -> [QdrantPoint] {
        try fields.rejectUnknown(["ids", "vectors", "payloads"])
        guard case .array(let ids)? = fields.raw("ids") else { throw APIError.badRequest("\(fields.name("ids")) must be an array of point ids") }
        var columns: [String: [JSONValue]] = [:]
        switch fields.raw("vectors") {
        case .array(let rows)?:
            guard config.unnamed else { throw APIError.badRequest("\(fields.name("vectors")): the collection has named vectors; give {name: [vectors]}") }
            columns[""] = rows
        case .object(let named)?:
            for (name, column) in named {
                guard case .array(let rows) = column else { throw APIError.badRequest("\(fields.name("vectors")).\(name) must be an array of vectors") }
                columns[name] = rows
            }
        default:
            throw APIError.badRequest("\(fields.name("vectors")) must be an array of vectors, or an object of them by name")
        }
        var payloads: [JSONValue]?
        if case .array(let rows)? = fields.raw("payloads") { payloads = rows } else if fields.has("payloads"), fields.raw("payloads") != .null {
            throw APIError.badRequest("\(fields.name("payloads")) must be an array of objects")
        }
        for (name, rows) in columns where rows.count != ids.count {
            throw APIError.badRequest("\(fields.name("vectors"))\(name.isEmpty ? "" : ".\(name)") has \(rows.count) vectors for \(ids.count) ids")
        }
        if let payloads, payloads.count != ids.count {
            throw APIError.badRequest("\(fields.name("payloads")) has \(payloads.count) payloads for \(ids.count) ids")
        }
        return try ids.enumerated().map { index, id in
            var vectors: [String: JSONValue] = [:]
            for (name, rows) in columns { vectors[name] = rows[index] }
            let vector: JSONValue = config.unnamed ? vectors[""]! : .object(vectors.map { (key: $0.key, value: $0.value) })
            return QdrantPoint(id: try QdrantPointID(id, field: "\(fields.name("ids"))[\(index)]"),
                               vectors: try QdrantPoint.vectors(vector, field: "\(fields.name("vectors"))[\(index)]", config: config),
                               payloadJSON: try QdrantPoint.payload(payloads?[index], field: "\(fields.name("payloads"))[\(index)]"))
        }
    }

    /// A point's vectors: an array (or a text to embed) for the unnamed vector, an object by name for named ones;
    /// each of the size its vector was created with.
    static func vectors(_ value: JSONValue, field: String, config: QdrantCollectionConfig) throws
        -> (values: [String: [Float]], texts: [String: QdrantDocumentText]) {
        var given: [(name: String, value: JSONValue)]
        switch value {
        case .array: given = [("", value)]
        case .object(let members) where members.contains(where: { ["text", "indices", "image", "object"].contains($0.key) })
                                    && !members.contains(where: { config.vector(named: $0.key) != nil }):
            if members.contains(where: { $0.key == "text" }) { given = [("", value)] } else {
                throw APIError.badRequest("\(field): vecdb takes dense vectors and texts here (sparse vectors, images and objects are not supported)")
            }
        case .object(let members): given = members.map { ($0.key, $0.value) }
        default: throw APIError.badRequest("\(field) must be a vector (an array of numbers) or an object of vectors by name")
        }
        var vectors: [String: [Float]] = [:]
        var texts: [String: QdrantDocumentText] = [:]
        for (name, item) in given {
            let here = name.isEmpty ? field : "\(field).\(name)"
            guard let vector = config.vector(named: name) else {
                throw APIError.badRequest(name.isEmpty
                    ? "\(here): Wrong input: the collection has named vectors (\(config.vectors.map(\.name).joined(separator: ", "))); give {name: vector}"
                    : "\(here): Wrong input: Not existing vector name error: \(name)")
            }
            if let text = try QdrantDocumentText(item, field: here) {
                texts[name] = text
                continue
            }
            let values = try floats(item, field: here)
            guard values.count == vector.size else {
                throw APIError.badRequest("\(here): Wrong input: Vector dimension error: expected dim: \(vector.size), got \(values.count)")
            }
            vectors[name] = values
        }
        return (vectors, texts)
    }

    static func floats(_ value: JSONValue, field: String) throws -> [Float] {
        guard case .array(let items) = value else { throw APIError.badRequest("\(field) must be an array of numbers") }
        return try items.enumerated().map { index, item in
            guard case .number(let number) = item, abs(number) <= Double(Float.greatestFiniteMagnitude) else {
                throw APIError.badRequest("\(field)[\(index)] must be a number a 32-bit float holds")
            }
            return Float(number)
        }
    }

    static func payload(_ value: JSONValue?, field: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .object?: return QdrantPayload.metadataJSON(value!)
        default: throw APIError.badRequest("\(field) must be an object")
        }
    }
}

/// Which points a delete or payload change is for: `{"points": [ids]}` or `{"filter": …}`.
enum QdrantSelector: Sendable {
    case ids([QdrantPointID])
    case filter(MetadataFilter?)

    init(_ body: JSONFields) throws {
        switch (body.raw("points"), body.raw("filter")) {
        case (.array(let items)?, nil), (.array(let items)?, .null?):
            guard !items.isEmpty else { throw APIError.badRequest("points is empty: give the ids of the points") }
            self = .ids(try items.enumerated().map { try QdrantPointID($1, field: "points[\($0)]") })
        case (nil, let filter?), (.null?, let filter?):
            self = .filter(filter == .null ? nil : try QdrantFilter.translate(filter, at: "filter"))
        case (_?, _?): throw APIError.badRequest("give points or filter, not both")
        case (_?, nil): throw APIError.badRequest("points must be an array of point ids")
        case (nil, nil): throw APIError.badRequest("points or filter is required")
        }
    }

    /// The documents selected, in `snapshot`; with `requireAll`, an id without a point is 404.
    func documents(in snapshot: Snapshot, requireAll: Bool = false) throws -> [UInt64] {
        switch self {
        case .ids(let ids):
            return try ids.compactMap { id in
                let document = try snapshot.documentID(externalID: id.externalID)
                if document == nil, requireAll { throw APIError.notFound("No point with id \(id.externalID) found") }
                return document
            }
        case .filter(let filter?): return try snapshot.documents(matching: filter).ids
        case .filter(nil): return try snapshot.documents(matching: .and([])).ids
        }
    }
}

/// Payloads: a point's metadata as a JSON object, and Qdrant's edits and selectors of it.
enum QdrantPayload {
    static func payload(of document: Document) -> JSONValue {
        guard let json = document.metadataJSON, let value = try? JSONValue(parsing: json), case .object = value else { return .object([]) }
        return value
    }

    /// The metadata JSON a payload is stored as (sorted keys, as `vecdb ingest` stores metadata); nil when empty.
    static func metadataJSON(_ payload: JSONValue) -> String? {
        if case .object(let members) = payload, members.isEmpty { return nil }
        return String(decoding: JSONText.data(payload, escapingSlashes: true), as: UTF8.self)
    }

    static func path(_ text: String, field: String) throws -> MetadataPath {
        do { return try MetadataPath(text) } catch let error as VecDBError { throw APIError.badRequest("\(field): \(error)") }
    }

    /// `given`'s keys set in `payload` (in the object at `path` when given, made an object when it was not one); a
    /// key set to null is removed.
    static func merging(_ given: [(key: String, value: JSONValue)], into payload: JSONValue, at path: MetadataPath?) -> JSONValue {
        func merge(_ target: JSONValue) -> JSONValue {
            var members: [(key: String, value: JSONValue)] = []
            if case .object(let existing) = target { members = existing }
            for (key, value) in given {
                members.removeAll { $0.key == key }
                if value != .null { members.append((key, value)) }
            }
            return .object(members)
        }
        guard let path else { return merge(payload) }
        return updating(path.steps[...], in: payload, with: merge)
    }

    /// `payload` with the value at `steps` (key steps; created as objects where missing) replaced by `change` of it.
    private static func updating(_ steps: ArraySlice<MetadataPath.Step>, in value: JSONValue, with change: (JSONValue) -> JSONValue) -> JSONValue {
        guard let step = steps.first else { return change(value) }
        switch (step, value) {
        case (.key(let name), .object(var members)):
            let current = members.first { $0.key == name }?.value ?? .object([])
            members.removeAll { $0.key == name }
            members.append((name, updating(steps.dropFirst(), in: current, with: change)))
            return .object(members)
        case (.key(let name), _):
            return .object([(name, updating(steps.dropFirst(), in: .object([]), with: change))])
        case (.everyElement, .array(let items)):
            return .array(items.map { updating(steps.dropFirst(), in: $0, with: change) })
        case (.element(let index), .array(var items)) where index < items.count:
            items[index] = updating(steps.dropFirst(), in: items[index], with: change)
            return .array(items)
        default:
            return value
        }
    }

    /// `value` without what `steps` reach: `a` removes key a, `a.b` key b of object a, `a[].b` key b of every
    /// element, `a[]` empties array a.
    static func removing(_ steps: ArraySlice<MetadataPath.Step>, from value: JSONValue) -> JSONValue {
        guard let step = steps.first else { return value }
        let last = steps.count == 1
        switch (step, value) {
        case (.key(let name), .object(let members)):
            if last { return .object(members.filter { $0.key != name }) }
            return .object(members.map { $0.key == name ? ($0.key, removing(steps.dropFirst(), from: $0.value)) : $0 })
        case (.everyElement, .array(let items)):
            return last ? .array([]) : .array(items.map { removing(steps.dropFirst(), from: $0) })
        case (.element(let index), .array(var items)) where index < items.count && !last:
            items[index] = removing(steps.dropFirst(), from: items[index])
            return .array(items)
        default:
            return value
        }
    }

    /// `with_payload`: all, none, or the paths to include or exclude.
    enum Selector: Equatable, Sendable {
        case all, none
        case include([MetadataPath])
        case exclude([MetadataPath])

        init(_ value: JSONValue?, field: String, default all: Bool) throws {
            switch value {
            case nil, .null?: self = all ? .all : .none
            case .bool(let flag)?: self = flag ? .all : .none
            case .array(let items)?: self = .include(try Selector.paths(items, field: field))
            case .object(let members)? where members.count == 1 && ["include", "exclude"].contains(members[0].key):
                guard case .array(let items) = members[0].value else { throw APIError.badRequest("\(field).\(members[0].key) must be an array of keys") }
                let paths = try Selector.paths(items, field: "\(field).\(members[0].key)")
                self = members[0].key == "include" ? .include(paths) : .exclude(paths)
            default:
                throw APIError.badRequest("\(field) must be true, false, an array of keys, {\"include\": […]} or {\"exclude\": […]}")
            }
        }

        private static func paths(_ items: [JSONValue], field: String) throws -> [MetadataPath] {
            try items.enumerated().map { index, item in
                guard case .string(let key) = item else { throw APIError.badRequest("\(field)[\(index)] must be a key") }
                return try QdrantPayload.path(key, field: "\(field)[\(index)]")
            }
        }

        /// The payload as selected, as JSON writes it.
        func apply(to payload: JSONValue) -> JSONValue {
            switch self {
            case .all, .none: return payload
            case .exclude(let paths): return paths.reduce(payload) { QdrantPayload.removing($1.steps[...], from: $0) }
            case .include(let paths):
                return paths.reduce(JSONValue.object([])) { selected, path in
                    guard let part = Selector.extract(path.steps[...], from: payload) else { return selected }
                    return Selector.merge(selected, part)
                }
            }
        }

        /// The part of `value` that `steps` reach, with the objects above it; nil when they reach nothing.
        private static func extract(_ steps: ArraySlice<MetadataPath.Step>, from value: JSONValue) -> JSONValue? {
            guard let step = steps.first else { return value }
            switch (step, value) {
            case (.key(let name), .object(let members)):
                guard let member = members.first(where: { $0.key == name }) else { return nil }
                // An object on the path stays, emptied, when the rest of the path is not in it (as Qdrant answers).
                guard let inner = extract(steps.dropFirst(), from: member.value) else {
                    if case .object = member.value { return .object([(name, .object([]))]) }
                    return nil
                }
                return .object([(name, inner)])
            case (.everyElement, .array(let items)):
                return .array(items.compactMap { extract(steps.dropFirst(), from: $0) })
            default:
                return nil
            }
        }

        private static func merge(_ a: JSONValue, _ b: JSONValue) -> JSONValue {
            guard case .object(var members) = a, case .object(let others) = b else { return b }
            for (key, value) in others {
                if let index = members.firstIndex(where: { $0.key == key }) {
                    members[index].value = merge(members[index].value, value)
                } else {
                    members.append((key, value))
                }
            }
            return .object(members)
        }
    }
}

/// `with_vector`: the Qdrant names of the vectors to return (none for false).
struct QdrantVectorSelector: Sendable {
    var names: Set<String>

    init(_ value: JSONValue?, field: String, default all: Bool, config: QdrantCollectionConfig) throws {
        switch value {
        case nil, .null?: names = all ? Set(config.vectors.map(\.name)) : []
        case .bool(let flag)?: names = flag ? Set(config.vectors.map(\.name)) : []
        case .array(let items)?:
            names = Set(try items.enumerated().map { index, item in
                guard case .string(let name) = item else { throw APIError.badRequest("\(field)[\(index)] must be a vector name") }
                return name
            })
        default:
            throw APIError.badRequest("\(field) must be true, false or an array of vector names")
        }
    }
}
