import Foundation
import Hummingbird
import VecDB

/// A request's JSON object, read field by field: each getter names the field (with its path, `documents[3].text`)
/// in its error, and `rejectUnknown` refuses fields the route does not take, so a misspelt option is an error
/// instead of a silent default. Bodies are parsed by the store's strict parser (`JSONValue`: RFC 8259, nesting
/// bounded, the position of an error), which is also many times faster than Foundation's on Linux.
struct JSONFields {
    private let members: [String: JSONValue]
    /// Where this object sits in the request (`documents[3]`), empty for the body itself.
    let path: String

    /// Nesting a request body may have: a filter's own limit is below it.
    static let maxDepth = 64

    private init(_ members: [(key: String, value: JSONValue)], path: String) throws {
        var byKey: [String: JSONValue] = [:]
        for member in members {
            guard byKey.updateValue(member.value, forKey: member.key) == nil else {
                throw APIError.badRequest("\(path.isEmpty ? member.key : "\(path).\(member.key)") is given twice")
            }
        }
        self.members = byKey
        self.path = path
    }

    /// Parses a request body: a JSON object, else 400 naming what is wrong.
    static func parse(_ data: Data) throws -> JSONFields {
        guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; a JSON object is expected") }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw APIError(.badRequest, "invalid_json", "the request body is not valid UTF-8")
        }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: text, maxDepth: maxDepth)
        } catch {
            throw APIError(.badRequest, "invalid_json", "the request body is not valid JSON: \(error)")
        }
        guard case .object(let members) = value else { throw APIError.badRequest("the request body must be a JSON object") }
        return try JSONFields(members, path: "")
    }

    /// The fields of `value`, a JSON object found at `path` of a request.
    init(object value: JSONValue, path: String) throws {
        guard case .object(let members) = value else { throw APIError.badRequest("\(path) must be an object") }
        try self.init(members, path: path)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the field is given. `null` counts as given (and then fails its type check): an explicit null is
    /// refused, not read as "absent", so a client's bug is not taken for a default.
    func has(_ key: String) -> Bool { members[key] != nil }

    /// Refuses any field not in `allowed`.
    func rejectUnknown(_ allowed: [String]) throws {
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.unknownField(name(unknown), allowed: allowed)
        }
    }

    func raw(_ key: String) -> JSONValue? { members[key] }

    func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard case .string(let string) = value else { throw APIError.badRequest("\(name(key)) must be a string") }
        return string
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        guard case .bool(let bool) = value else { throw APIError.badRequest("\(name(key)) must be true or false") }
        return bool
    }

    /// An integer in `range`.
    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard case .number(let number) = value, number.rounded() == number, let int = Int(exactly: number), range.contains(int) else {
            throw APIError.badRequest("\(name(key)) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw APIError.badRequest("\(name(key)) must be an array of strings") }
        return try items.enumerated().map { index, item in
            guard case .string(let string) = item else { throw APIError.badRequest("\(name(key))[\(index)] must be a string") }
            return string
        }
    }

    /// Document numbers: non-negative integers.
    func documentNumbers(_ key: String) throws -> [UInt64]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw APIError.badRequest("\(name(key)) must be an array of document numbers") }
        return try items.enumerated().map { index, item in
            guard case .number(let number) = item, number >= 0, number.rounded() == number, let id = UInt64(exactly: number) else {
                throw APIError.badRequest("\(name(key))[\(index)] must be a document number (a non-negative integer)")
            }
            return id
        }
    }

    /// A vector: an array of numbers a Float holds.
    func floats(_ key: String) throws -> [Float]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw APIError.badRequest("\(name(key)) must be an array of numbers") }
        return try items.enumerated().map { index, item in
            guard case .number(let number) = item, abs(number) <= Double(Float.greatestFiniteMagnitude) else {
                throw APIError.badRequest("\(name(key))[\(index)] must be a number a 32-bit float holds")
            }
            return Float(number)
        }
    }

    /// An object field; nil when absent or null.
    func object(_ key: String) throws -> JSONFields? {
        guard let value = raw(key), value != .null else { return nil }
        return try JSONFields(object: value, path: name(key))
    }

    func objects(_ key: String) throws -> [JSONFields]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else { throw APIError.badRequest("\(name(key)) must be an array of objects") }
        return try items.enumerated().map { index, item in
            guard case .object(let members) = item else { throw APIError.badRequest("\(name(key))[\(index)] must be an object") }
            return try JSONFields(members, path: "\(name(key))[\(index)]")
        }
    }

    /// An object field as stored metadata: its JSON text with sorted keys, byte for byte what `vecdb ingest` stores
    /// for the same fields (`IngestRecord.metadataJSON`); nil when absent or empty.
    func metadataJSON(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard case .object(let members) = value else { throw APIError.badRequest("\(name(key)) must be an object") }
        if members.isEmpty { return nil }
        return String(decoding: JSONText.data(value, escapingSlashes: true), as: UTF8.self)
    }

    /// A document's `id`: a non-empty string, or a number in the decimal form `vecdb ingest` keeps of it.
    func externalID(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        switch value {
        case .string(let string) where !string.isEmpty: return string
        case .number(let number) where number.rounded() == number && abs(number) < 9_007_199_254_740_992:
            return String(Int64(number))
        case .number(let number) where number.rounded() != number:
            return number.description
        default:
            throw APIError.badRequest("\(name(key)) must be a non-empty string or a number (integers beyond 2^53 as strings)")
        }
    }

    /// A metadata filter, in `vecdb query --where`'s syntax, given as a JSON object.
    func filter(_ key: String) throws -> MetadataFilter? {
        guard let value = raw(key) else { return nil }
        guard case .object = value else {
            throw APIError(.badRequest, "invalid_filter", "\(name(key)) must be a filter object, e.g. {\"year\": {\"$gte\": 2020}}")
        }
        return try MetadataFilter(value)
    }
}

extension Request {
    /// The body as a JSON object, at most `limit` bytes: a larger declared or sent body is 413 before more is read.
    mutating func jsonFields(limit: Int) async throws -> JSONFields {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit { throw APIError.bodyTooLarge(limit: limit) }
        do {
            return try JSONFields.parse(Data(try await collectBody(upTo: limit).readableBytesView))
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(limit: limit)
        }
    }
}
