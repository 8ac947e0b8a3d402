/// A condition on documents' metadata, in the filter language Chroma and MongoDB users know, given as JSON:
///
/// `{"field": value}` (= `$eq`), `{"field": {"$eq"|"$ne"|"$gt"|"$gte"|"$lt"|"$lte": v}}`,
/// `{"field": {"$in"|"$nin": [v, …]}}`, `{"field": {"$exists": true|false}}`, `{"$and": [f, …]}`,
/// `{"$or": [f, …]}`, `{"$not": f}`. Several keys in one object must all hold. A field holding an array matches
/// when any element does. Values are strings, numbers or booleans.
///
/// Negations follow MongoDB: `$ne`, `$nin` and `$not` also match documents that lack the field, so
/// `{"$not": F}` is always the complement of `F`.
///
/// Qdrant's filter JSON (`vecdb serve`'s Qdrant API) is translated to the same cases, with three more that JSON
/// syntax has no spelling for: `path` (nested keys, null and emptiness tests, words in text), `hasID` and `atLeast`.
public indirect enum MetadataFilter: Equatable, Sendable {
    public enum Comparison: String, Sendable, CaseIterable {
        case eq = "$eq", ne = "$ne", gt = "$gt", gte = "$gte", lt = "$lt", lte = "$lte"
    }

    case compare(field: String, Comparison, JSONValue)
    /// `$in` (`negated` false) or `$nin`.
    case oneOf(field: String, [JSONValue], negated: Bool)
    case exists(field: String, Bool)
    /// Every one holds (`and([])`: every document).
    case and([MetadataFilter])
    /// Some one holds (`or([])`: no document).
    case or([MetadataFilter])
    case not(MetadataFilter)
    /// A condition on the values `MetadataPath` reaches, evaluated by reading the documents' metadata.
    case path(MetadataPath, PathCondition)
    /// Documents with one of these external ids.
    case hasID([String])
    /// Documents satisfying at least `count` of the filters.
    case atLeast(Int, [MetadataFilter])

    /// Filters longer than this are refused before parsing: a filter is a condition, not a data set.
    public static let maxLength = 64 * 1024
    /// Nesting limit of the JSON (arrays and objects), so a hostile filter cannot exhaust the stack.
    public static let maxDepth = 32

    /// Parses `text`; a malformed filter throws `VecDBError.invalidFilter` naming where and what was expected.
    public init(json text: String) throws {
        guard text.utf8.count <= MetadataFilter.maxLength else {
            throw VecDBError.invalidFilter(at: "the filter", "is \(text.utf8.count) bytes; at most \(MetadataFilter.maxLength) are accepted")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text, maxDepth: MetadataFilter.maxDepth)
        } catch {
            throw VecDBError.invalidFilter(at: "character \(error.position)", "expected \(error.expected)")
        }
        self = try MetadataFilter.parse(value, path: "")
    }

    /// The filter `value` spells (a JSON object already parsed, e.g. inside a request body).
    public init(_ value: JSONValue) throws {
        self = try MetadataFilter.parse(value, path: "")
    }

    private static func parse(_ value: JSONValue, path: String) throws -> MetadataFilter {
        guard case .object(let members) = value else {
            throw VecDBError.invalidFilter(at: path.isEmpty ? "the top" : path, "expected an object, found \(value.kind)")
        }
        guard !members.isEmpty else { throw VecDBError.invalidFilter(at: path.isEmpty ? "the top" : path, "expected a condition, found {}") }
        let parts = try members.map { key, value -> MetadataFilter in
            let here = path.isEmpty ? key : "\(path).\(key)"
            switch key {
            case "$and", "$or":
                guard case .array(let items) = value, !items.isEmpty else {
                    throw VecDBError.invalidFilter(at: here, "expected a non-empty array of conditions")
                }
                let filters = try items.enumerated().map { try parse($1, path: "\(here)[\($0)]") }
                return key == "$and" ? .and(filters) : .or(filters)
            case "$not":
                return .not(try parse(value, path: here))
            default:
                guard !key.hasPrefix("$") else {
                    throw VecDBError.invalidFilter(at: here, "unknown operator (use $and, $or, $not, or a field name)")
                }
                return try fieldCondition(key, value, path: here)
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    private static func fieldCondition(_ field: String, _ value: JSONValue, path: String) throws -> MetadataFilter {
        guard case .object(let operators) = value else {
            return .compare(field: field, .eq, try scalar(value, path: path))
        }
        guard !operators.isEmpty else { throw VecDBError.invalidFilter(at: path, "expected an operator, found {}") }
        let parts = try operators.map { key, operand -> MetadataFilter in
            let here = "\(path).\(key)"
            if let comparison = Comparison(rawValue: key) {
                let operand = try scalar(operand, path: here)
                if comparison != .eq && comparison != .ne, case .bool = operand {
                    throw VecDBError.invalidFilter(at: here, "expected a number or a string, found a boolean")
                }
                return .compare(field: field, comparison, operand)
            }
            switch key {
            case "$in", "$nin":
                guard case .array(let items) = operand else { throw VecDBError.invalidFilter(at: here, "expected an array") }
                return .oneOf(field: field, try items.enumerated().map { try scalar($1, path: "\(here)[\($0)]") }, negated: key == "$nin")
            case "$exists":
                guard case .bool(let flag) = operand else { throw VecDBError.invalidFilter(at: here, "expected true or false") }
                return .exists(field: field, flag)
            default:
                throw VecDBError.invalidFilter(at: here, "unknown operator (use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists)")
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// A value a condition compares with: a string, number or boolean.
    private static func scalar(_ value: JSONValue, path: String) throws -> JSONValue {
        switch value {
        case .string, .number, .bool: return value
        case .null: throw VecDBError.invalidFilter(at: path, "expected a string, number or boolean, found null (null is not indexed: use $exists)")
        default: throw VecDBError.invalidFilter(at: path, "expected a string, number or boolean, found \(value.kind)")
        }
    }
}
