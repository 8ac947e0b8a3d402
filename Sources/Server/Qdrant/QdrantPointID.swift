import VecDB

/// A Qdrant point id — an unsigned integer or a UUID — and the external id vecdb stores it as: the integer in
/// decimal (`42`), the UUID in its canonical lowercase hyphenated form, whatever spelling the client used (Qdrant
/// accepts the 32-hex-digit form too and answers with the hyphenated one).
enum QdrantPointID: Hashable, Sendable, Comparable {
    case number(UInt64)
    case uuid(String)

    /// Reads an id from JSON; `field` names it in the 400 error.
    init(_ value: JSONValue, field: String) throws {
        switch value {
        case .number(let number) where number >= 0 && number.rounded() == number && number < 18_446_744_073_709_551_616:
            guard let id = UInt64(exactly: number) else { throw QdrantPointID.invalid(field) }
            self = .number(id)
        case .string(let text):
            guard let uuid = QdrantPointID.canonicalUUID(text) else { throw QdrantPointID.invalid(field) }
            self = .uuid(uuid)
        default:
            throw QdrantPointID.invalid(field)
        }
    }

    /// The id a stored external id stands for; nil for one no Qdrant client wrote (a document of `vecdb ingest`).
    init?(externalID: String) {
        if let number = UInt64(externalID), String(number) == externalID {
            self = .number(number)
        } else if let uuid = QdrantPointID.canonicalUUID(externalID), uuid == externalID {
            self = .uuid(uuid)
        } else {
            return nil
        }
    }

    var externalID: String {
        switch self {
        case .number(let number): return String(number)
        case .uuid(let uuid): return uuid
        }
    }

    /// The id as JSON writes it: a number or a string.
    var json: Any {
        switch self {
        case .number(let number): return number
        case .uuid(let uuid): return uuid
        }
    }

    /// Qdrant's order of ids (scroll's): every integer, ascending, then every UUID by its canonical text.
    static func < (a: QdrantPointID, b: QdrantPointID) -> Bool {
        switch (a, b) {
        case let (.number(x), .number(y)): return x < y
        case (.number, .uuid): return true
        case (.uuid, .number): return false
        case let (.uuid(x), .uuid(y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        }
    }

    /// A UUID in its hyphenated (8-4-4-4-12) or plain 32-hex-digit spelling, or as a `urn:uuid:` or in braces,
    /// lowercased and hyphenated; nil when `text` is none of these.
    static func canonicalUUID(_ text: String) -> String? {
        var hex = Substring(text.lowercased())
        if hex.hasPrefix("urn:uuid:") { hex = hex.dropFirst(9) }
        if hex.hasPrefix("{") && hex.hasSuffix("}") { hex = hex.dropFirst().dropLast() }
        let digits: [Character]
        if hex.count == 36 {
            let characters = Array(hex)
            guard [8, 13, 18, 23].allSatisfy({ characters[$0] == "-" }) else { return nil }
            digits = characters.enumerated().filter { ![8, 13, 18, 23].contains($0.offset) }.map(\.element)
        } else {
            digits = Array(hex)
        }
        guard digits.count == 32, digits.allSatisfy({ $0.isHexDigit && $0.isASCII }) else { return nil }
        let text = String(digits)
        let cuts = [0, 8, 12, 16, 20, 32]
        return (0..<5).map { i in
            String(text[text.index(text.startIndex, offsetBy: cuts[i])..<text.index(text.startIndex, offsetBy: cuts[i + 1])])
        }.joined(separator: "-")
    }

    private static func invalid(_ field: String) -> APIError {
        APIError.badRequest("\(field): a point id is an unsigned integer or a UUID")
    }
}
