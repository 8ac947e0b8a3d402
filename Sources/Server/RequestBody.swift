import Foundation
import Hummingbird
import VecDB

/// A request's JSON object, read field by field: each getter names the field (with its path, `documents[3].text`)
/// in its error, and `rejectUnknown` refuses fields the route does not take, so a misspelt option is an error
/// instead of a silent default.
struct JSONFields {
    private let object: [String: Any]
    /// Where this object sits in the request (`documents[3]`), empty for the body itself.
    let path: String

    init(_ object: [String: Any], path: String = "") {
        self.object = object
        self.path = path
    }

    /// Parses a request body: a JSON object, else 400 naming what is wrong.
    static func parse(_ data: Data) throws -> JSONFields {
        guard !data.isEmpty else { throw APIError.badRequest("the request body is empty; a JSON object is expected") }
        let value: Any
        do {
            value = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            guard let text = String(validating: data, as: UTF8.self) else {
                throw APIError(.badRequest, "invalid_json", "the request body is not valid UTF-8")
            }
            // Foundation's parser does not say where; the store's own does.
            do {
                _ = try JSONValue(parsing: text, maxDepth: 512)
            } catch {
                throw APIError(.badRequest, "invalid_json", "the request body is not valid JSON: \(error)")
            }
            throw APIError(.badRequest, "invalid_json", "the request body is not valid JSON")
        }
        guard let object = value as? [String: Any] else { throw APIError.badRequest("the request body must be a JSON object") }
        return JSONFields(object)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Whether the field is given. `null` counts as given (and then fails its type check): an explicit null is
    /// refused, not read as "absent", so a client's bug is not taken for a default.
    func has(_ key: String) -> Bool { object[key] != nil }

    /// Refuses any field not in `allowed`.
    func rejectUnknown(_ allowed: [String]) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.unknownField(name(unknown), allowed: allowed)
        }
    }

    func raw(_ key: String) -> Any? { object[key] }

    func string(_ key: String) throws -> String? {
        guard let value = raw(key) else { return nil }
        guard let string = value as? String else { throw APIError.badRequest("\(name(key)) must be a string") }
        return string
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = raw(key) else { return nil }
        guard let number = value as? NSNumber, JSONFields.isBoolean(number) else {
            throw APIError.badRequest("\(name(key)) must be true or false")
        }
        return number.boolValue
    }

    /// An integer in `range`.
    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = raw(key) else { return nil }
        guard let number = value as? NSNumber, !JSONFields.isBoolean(number), let double = Double(exactly: number.doubleValue),
              double.rounded() == double, let int = Int(exactly: double), range.contains(int) else {
            throw APIError.badRequest("\(name(key)) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return int
    }

    func strings(_ key: String) throws -> [String]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any], let strings = array as? [String] else {
            throw APIError.badRequest("\(name(key)) must be an array of strings")
        }
        return strings
    }

    /// A vector: an array of finite numbers.
    func floats(_ key: String) throws -> [Float]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw APIError.badRequest("\(name(key)) must be an array of numbers") }
        return try array.enumerated().map { index, element in
            guard let number = element as? NSNumber, !JSONFields.isBoolean(number), number.doubleValue.isFinite,
                  abs(number.doubleValue) <= Double(Float.greatestFiniteMagnitude) else {
                throw APIError.badRequest("\(name(key))[\(index)] must be a finite number")
            }
            return number.floatValue
        }
    }

    func objects(_ key: String) throws -> [JSONFields]? {
        guard let value = raw(key) else { return nil }
        guard let array = value as? [Any] else { throw APIError.badRequest("\(name(key)) must be an array of objects") }
        return try array.enumerated().map { index, element in
            guard let object = element as? [String: Any] else {
                throw APIError.badRequest("\(name(key))[\(index)] must be an object")
            }
            return JSONFields(object, path: "\(name(key))[\(index)]")
        }
    }

    func object(_ key: String) throws -> [String: Any]? {
        guard let value = raw(key) else { return nil }
        guard let object = value as? [String: Any] else { throw APIError.badRequest("\(name(key)) must be an object") }
        return object
    }

    /// A metadata filter, in `vecdb query --where`'s syntax, given as a JSON object.
    func filter(_ key: String) throws -> MetadataFilter? {
        guard let value = raw(key) else { return nil }
        guard value is [String: Any] else {
            throw APIError(.badRequest, "invalid_filter", "\(name(key)) must be a filter object, e.g. {\"year\": {\"$gte\": 2020}}")
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
        return try MetadataFilter(json: text)
    }

    /// JSON's true and false arrive as NSNumber, with Objective-C type "c".
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }
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
