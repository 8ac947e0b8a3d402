import VecDB

/// Qdrant's filter JSON translated to `MetadataFilter`, the engine `vecdb query --where` uses: one engine, two
/// syntaxes. `must` is `and`, `should` is `or` (an empty one no constraint), `must_not` is `not` of the `or`,
/// `min_should` is `atLeast`; field conditions become `path` conditions, `has_id` becomes `hasID`.
///
/// The semantics are Qdrant's, as its reference implementation (qdrant-client's local mode) has them: a
/// comparison holds when any value at the key does, never for a missing key; `except` needs a value that is not
/// null; `is_empty` holds for a missing key, null or `[]`; `is_null` for null or an array holding one.
enum QdrantFilter {
    /// Translates `value` (the request's `filter`, at `field`), 400 naming the place on anything malformed.
    static func translate(_ value: JSONValue, at field: String) throws -> MetadataFilter {
        guard case .object(let members) = value else { throw APIError.badRequest("\(field) must be a filter object") }
        var parts: [MetadataFilter] = []
        for (key, clause) in members {
            let here = "\(field).\(key)"
            switch key {
            case "must":
                if case .null = clause { continue }
                parts += try conditions(clause, at: here)
            case "should":
                if case .null = clause { continue }
                let any = try conditions(clause, at: here)
                if !any.isEmpty { parts.append(.or(any)) }
            case "must_not":
                if case .null = clause { continue }
                let none = try conditions(clause, at: here)
                if !none.isEmpty { parts.append(.not(.or(none))) }
            case "min_should":
                if case .null = clause { continue }
                guard case .object(let fields) = clause else { throw APIError.badRequest("\(here) must be an object") }
                try rejectUnknown(fields, allowed: ["conditions", "min_count"], at: here)
                guard let list = fields.first(where: { $0.key == "conditions" })?.value else {
                    throw APIError.badRequest("\(here).conditions is required")
                }
                guard case .number(let count)? = fields.first(where: { $0.key == "min_count" })?.value,
                      count >= 1, count.rounded() == count, let minimum = Int(exactly: count) else {
                    throw APIError.badRequest("\(here).min_count must be an integer of at least 1")
                }
                parts.append(.atLeast(minimum, try conditions(list, at: "\(here).conditions")))
            default:
                throw APIError.badRequest("\(here): unknown clause (a filter has must, should, must_not, min_should)")
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// A clause: one condition or an array of them.
    private static func conditions(_ value: JSONValue, at field: String) throws -> [MetadataFilter] {
        if case .array(let items) = value {
            return try items.enumerated().map { try condition($1, at: "\(field)[\($0)]") }
        }
        return [try condition(value, at: field)]
    }

    /// One condition: a field condition, `has_id`, `is_empty`, `is_null`, or a nested filter.
    private static func condition(_ value: JSONValue, at field: String) throws -> MetadataFilter {
        guard case .object(let members) = value else { throw APIError.badRequest("\(field) must be a condition object") }
        let keys = Set(members.map(\.key))
        func member(_ name: String) -> JSONValue? { members.first { $0.key == name }?.value }
        if keys.contains("key") {
            return try fieldCondition(members, at: field)
        }
        if let ids = member("has_id") {
            guard case .array(let items) = ids else { throw APIError.badRequest("\(field).has_id must be an array of point ids") }
            try rejectUnknown(members, allowed: ["has_id"], at: field)
            return .hasID(try items.enumerated().map { try QdrantPointID($1, field: "\(field).has_id[\($0)]").externalID })
        }
        for (name, test) in [("is_empty", PathCondition.isEmpty), ("is_null", .isNull)] {
            guard let operand = member(name) else { continue }
            try rejectUnknown(members, allowed: [name], at: field)
            guard case .object(let inner) = operand, case .string(let key)? = inner.first(where: { $0.key == "key" })?.value else {
                throw APIError.badRequest("\(field).\(name) must be {\"key\": \"…\"}")
            }
            try rejectUnknown(inner, allowed: ["key"], at: "\(field).\(name)")
            return .path(try path(key, at: "\(field).\(name).key"), test)
        }
        if keys.isSubset(of: ["must", "should", "must_not", "min_should"]), !keys.isEmpty {
            return try translate(value, at: field)
        }
        let supported = "key (with match or range), has_id, is_empty, is_null, or a nested filter"
        if let other = keys.sorted().first(where: { ["nested", "has_vector", "geo_bounding_box", "geo_radius", "geo_polygon", "values_count"].contains($0) }) {
            throw APIError.badRequest("\(field): the \(other) condition is not supported by vecdb (use \(supported))")
        }
        throw APIError.badRequest("\(field): expected a condition: \(supported)")
    }

    /// `{"key": K, "match": …}` or `{"key": K, "range": …}` (or `is_empty`/`is_null` flags on the key).
    private static func fieldCondition(_ members: [(key: String, value: JSONValue)], at field: String) throws -> MetadataFilter {
        func member(_ name: String) -> JSONValue? { members.first { $0.key == name }?.value }
        guard case .string(let key)? = member("key") else { throw APIError.badRequest("\(field).key must be a string") }
        let at = try path(key, at: "\(field).key")
        let given = members.filter { $0.key != "key" && $0.value != .null }
        guard given.count == 1, let (kind, operand) = given.first.map({ ($0.key, $0.value) }) else {
            throw APIError.badRequest("\(field): a field condition has exactly one of match, range, is_empty, is_null")
        }
        switch kind {
        case "match": return .path(at, try match(operand, at: "\(field).match"))
        case "range": return .path(at, try range(operand, at: "\(field).range"))
        case "is_empty", "is_null":
            guard case .bool(let flag) = operand else { throw APIError.badRequest("\(field).\(kind) must be true or false") }
            let test: MetadataFilter = .path(at, kind == "is_empty" ? .isEmpty : .isNull)
            return flag ? test : .not(test)
        case "geo_bounding_box", "geo_radius", "geo_polygon", "values_count", "datetime_range":
            throw APIError.badRequest("\(field).\(kind) is not supported by vecdb (match, range, is_empty, is_null are)")
        default:
            throw APIError.badRequest("\(field).\(kind): unknown field condition (match, range, is_empty, is_null)")
        }
    }

    private static func match(_ value: JSONValue, at field: String) throws -> PathCondition {
        guard case .object(let members) = value, members.count == 1, let (kind, operand) = members.first.map({ ($0.key, $0.value) }) else {
            throw APIError.badRequest("\(field) must be an object with one of value, any, except, text")
        }
        switch kind {
        case "value":
            return .oneOf([try keyword(operand, at: "\(field).value")])
        case "any", "except":
            guard case .array(let items) = operand else { throw APIError.badRequest("\(field).\(kind) must be an array") }
            let values = try items.enumerated().map { try keyword($1, at: "\(field).\(kind)[\($0)]") }
            return kind == "any" ? .oneOf(values) : .noneOf(values)
        case "text":
            guard case .string(let text) = operand else { throw APIError.badRequest("\(field).text must be a string") }
            return .words(text)
        case "text_any", "phrase", "prefix", "substring":
            throw APIError.badRequest("\(field).\(kind) is not supported by vecdb (value, any, except, text are)")
        default:
            throw APIError.badRequest("\(field).\(kind): unknown match (value, any, except, text)")
        }
    }

    /// A value `match` compares with: a string, an integer or a boolean, as Qdrant's keyword, integer and bool
    /// matches take.
    private static func keyword(_ value: JSONValue, at field: String) throws -> JSONValue {
        switch value {
        case .string, .bool: return value
        case .number(let number) where number.rounded() == number: return value
        default: throw APIError.badRequest("\(field) must be a string, an integer or a boolean")
        }
    }

    private static func range(_ value: JSONValue, at field: String) throws -> PathCondition {
        guard case .object(let members) = value else { throw APIError.badRequest("\(field) must be an object of gt, gte, lt, lte") }
        try rejectUnknown(members, allowed: ["gt", "gte", "lt", "lte"], at: field)
        func bound(_ name: String) throws -> Double? {
            switch members.first(where: { $0.key == name })?.value {
            case nil, .null?: return nil
            case .number(let number)?: return number
            default: throw APIError.badRequest("\(field).\(name) must be a number (datetime ranges are not supported)")
            }
        }
        return .range(greaterThan: try bound("gt"), atLeast: try bound("gte"), lessThan: try bound("lt"), atMost: try bound("lte"))
    }

    private static func path(_ key: String, at field: String) throws -> MetadataPath {
        do { return try MetadataPath(key) } catch let error as VecDBError { throw APIError.badRequest("\(field): \(error)") }
    }

    private static func rejectUnknown(_ members: [(key: String, value: JSONValue)], allowed: [String], at field: String) throws {
        if let unknown = members.map(\.key).first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest("\(field).\(unknown): unknown field (allowed: \(allowed.joined(separator: ", ")))")
        }
    }
}
