import Foundation

extension BPETokenizer {
    /// Builds the tokenizer from a Hugging Face `tokenizer.json` describing byte-level BPE.
    ///
    /// Accepted shape:
    /// - `model.type` is `"BPE"`; `model.vocab` maps token → id; `model.merges` lists merges in rank order,
    ///   either as `"left right"` strings or as `["left", "right"]` arrays. Every merge's parts and result must
    ///   be in the vocabulary. `byte_fallback`, `ignore_merges`, a `continuing_subword_prefix` or an
    ///   `end_of_word_suffix` would change the algorithm and are rejected.
    /// - `added_tokens` (`id`, `content`, `special`): special ones become control tokens (type 3, matched in
    ///   the raw text before pre-tokenization), the others user-defined (type 4). An added token may reuse its
    ///   vocabulary id (same content) or take an id the vocabulary lacks.
    /// - `pre_tokenizer`: `Sequence[Digits(individual_digits: true), ByteLevel]` is the `smollm` kind, a plain
    ///   `ByteLevel` the `gpt-2` kind; `ByteLevel` must have `add_prefix_space` false and `use_regex` true.
    /// - `normalizer` is null or absent.
    ///
    /// The ids of vocabulary and added tokens together must be exactly 0..<n. Every problem throws a
    /// `BPETokenizerError` whose one-line reason names the file and the field.
    public convenience init(tokenizerJSON url: URL) throws {
        let file = url.lastPathComponent
        func fail(_ field: String, _ why: String) -> BPETokenizerError {
            BPETokenizerError(reason: "\(file): \(field): \(why)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw BPETokenizerError(reason: "\(file): cannot be read (\(url.path))")
        }
        let root: TokenizerJSONValue
        do {
            root = try TokenizerJSONParser.parse(Array(data))
        } catch let e as TokenizerJSONParser.SyntaxError {
            throw fail("JSON", "malformed at byte \(e.offset): \(e.why)")
        }
        guard case .object = root else { throw fail("JSON", "the top level is not an object") }

        // normalizer
        if let n = root["normalizer"], !n.isNull {
            throw fail("normalizer", "\(n["type"]?.string.map { "'\($0)'" } ?? "a non-null value") is not supported (only null)")
        }

        // pre_tokenizer
        guard let pre = root["pre_tokenizer"], !pre.isNull else {
            throw fail("pre_tokenizer", "missing (expected ByteLevel or Sequence[Digits, ByteLevel])")
        }
        func checkByteLevel(_ v: TokenizerJSONValue, _ field: String) throws {
            if let a = v["add_prefix_space"], a.bool != false {
                throw fail("\(field).add_prefix_space", "must be false")
            }
            if let r = v["use_regex"], r.bool != true {
                throw fail("\(field).use_regex", "must be true")
            }
        }
        let kind: BPEPreTokenizer.Kind
        switch pre["type"]?.string {
        case "ByteLevel":
            try checkByteLevel(pre, "pre_tokenizer")
            kind = .gpt2
        case "Sequence":
            guard let steps = pre["pretokenizers"]?.array else {
                throw fail("pre_tokenizer.pretokenizers", "missing or not an array")
            }
            guard steps.count == 2, steps[0]["type"]?.string == "Digits", steps[1]["type"]?.string == "ByteLevel" else {
                let names = steps.map { $0["type"]?.string ?? "?" }.joined(separator: ", ")
                throw fail("pre_tokenizer", "Sequence[\(names)] is not supported (ByteLevel or Sequence[Digits, ByteLevel])")
            }
            guard steps[0]["individual_digits"]?.bool == true else {
                throw fail("pre_tokenizer.pretokenizers[0].individual_digits", "must be true")
            }
            try checkByteLevel(steps[1], "pre_tokenizer.pretokenizers[1]")
            kind = .smollm
        case let other:
            throw fail("pre_tokenizer", "type \(other.map { "'\($0)'" } ?? "missing") is not supported (ByteLevel or Sequence[Digits, ByteLevel])")
        }

        // model
        guard let model = root["model"], case .object = model else { throw fail("model", "missing or not an object") }
        guard let type = model["type"]?.string else { throw fail("model.type", "missing (expected \"BPE\")") }
        guard type == "BPE" else { throw fail("model.type", "'\(type)' is not supported (only BPE)") }
        if let b = model["byte_fallback"], b.bool == true { throw fail("model.byte_fallback", "true is not supported") }
        if let b = model["ignore_merges"], b.bool == true { throw fail("model.ignore_merges", "true is not supported") }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key], !v.isNull, v.string != "" { throw fail("model.\(key)", "is not supported") }
        }
        guard case .object(let vocabEntries)? = model["vocab"] else { throw fail("model.vocab", "missing or not an object") }

        var byId: [Int: String] = [:]
        byId.reserveCapacity(vocabEntries.count)
        var seen = Set<[UInt8]>()
        seen.reserveCapacity(vocabEntries.count)
        for (token, value) in vocabEntries {
            guard let id = value.int, id >= 0, id < Int(Int32.max) else {
                throw fail("model.vocab", "token '\(token.debugEscaped)' has id \(value.brief), not a non-negative integer")
            }
            guard seen.insert(Array(token.utf8)).inserted else {
                throw fail("model.vocab", "token '\(token.debugEscaped)' appears twice")
            }
            if let other = byId[id] {
                throw fail("model.vocab", "id \(id) is given to both '\(other.debugEscaped)' and '\(token.debugEscaped)'")
            }
            byId[id] = token
        }

        // added_tokens
        var addedType: [Int: Int32] = [:]
        if let added = root["added_tokens"], !added.isNull {
            guard let list = added.array else { throw fail("added_tokens", "not an array") }
            for (k, entry) in list.enumerated() {
                guard let id = entry["id"]?.int, id >= 0, id < Int(Int32.max) else {
                    throw fail("added_tokens[\(k)].id", "missing or not a non-negative integer")
                }
                guard let content = entry["content"]?.string, !content.isEmpty else {
                    throw fail("added_tokens[\(k)].content", "missing, empty or not a string")
                }
                let special = entry["special"]?.bool ?? false
                if let existing = byId[id] {
                    guard Array(existing.utf8) == Array(content.utf8) else {
                        throw fail("added_tokens[\(k)]", "id \(id) is '\(content.debugEscaped)' but the vocabulary has '\(existing.debugEscaped)'")
                    }
                } else {
                    guard seen.insert(Array(content.utf8)).inserted else {
                        throw fail("added_tokens[\(k)]", "'\(content.debugEscaped)' already has another id")
                    }
                    byId[id] = content
                }
                addedType[id] = special ? 3 : 4
            }
        }

        // Dense ids.
        let n = byId.count
        guard n > 0 else { throw fail("model.vocab", "empty") }
        var tokens: [String] = []
        tokens.reserveCapacity(n)
        for id in 0..<n {
            guard let t = byId[id] else {
                let top = byId.keys.max() ?? 0
                throw fail("model.vocab", "id \(id) is missing (ids must be 0..<\(n), the largest is \(top))")
            }
            tokens.append(t)
        }
        var types = [Int32](repeating: 1, count: n)
        for (id, t) in addedType { types[id] = t }

        // merges
        guard let mergeList = model["merges"]?.array else { throw fail("model.merges", "missing or not an array") }
        var pairs: [(left: [UInt8], right: [UInt8])] = []
        pairs.reserveCapacity(mergeList.count)
        for (rank, m) in mergeList.enumerated() {
            let left: [UInt8], right: [UInt8]
            if let s = m.string {
                let bytes = Array(s.utf8)
                guard let space = bytes.firstIndex(of: 0x20), space > 0, space < bytes.count - 1,
                      !bytes[(space + 1)...].contains(0x20) else {
                    throw fail("model.merges[\(rank)]", "'\(s.debugEscaped)' is not two tokens separated by one space")
                }
                left = Array(bytes[..<space])
                right = Array(bytes[(space + 1)...])
            } else if let a = m.array, a.count == 2, let l = a[0].string, let r = a[1].string {
                left = Array(l.utf8)
                right = Array(r.utf8)
            } else {
                throw fail("model.merges[\(rank)]", "neither a \"left right\" string nor a [left, right] pair of strings")
            }
            for part in [left, right, left + right] where !seen.contains(part) {
                throw fail("model.merges[\(rank)]", "'\(String(decoding: part, as: UTF8.self).debugEscaped)' is not in the vocabulary")
            }
            pairs.append((left, right))
        }

        do {
            try self.init(tokens: tokens, tokenTypes: types, mergePairs: pairs, preTokenizer: BPEPreTokenizer(kind: kind))
        } catch let e as BPETokenizerError {
            throw BPETokenizerError(reason: "\(file): \(e.reason)")
        }
    }
}

private extension String {
    /// The string with quotes, backslashes and control characters escaped, short enough for a one-line error.
    var debugEscaped: String {
        let d = String(debugDescription.dropFirst().dropLast())
        return d.count > 60 ? String(d.prefix(60)) + "…" : d
    }
}

/// A parsed JSON value. Objects keep their members in order as (key, value) pairs, so keys that are distinct
/// as UTF-8 but canonically equivalent as `String`s never collapse (a Swift dictionary would merge them).
enum TokenizerJSONValue {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TokenizerJSONValue])
    case object([(String, TokenizerJSONValue)])

    /// The first member named `key` (compared as UTF-8) of an object, nil otherwise.
    subscript(key: String) -> TokenizerJSONValue? {
        guard case .object(let members) = self else { return nil }
        let k = Array(key.utf8)
        return members.first { $0.0.utf8.elementsEqual(k) }?.1
    }

    var isNull: Bool { if case .null = self { true } else { false } }
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [TokenizerJSONValue]? { if case .array(let a) = self { a } else { nil } }
    /// The value as an integer when it is a number with no fractional part and within ±2^53.
    var int: Int? {
        guard case .number(let d) = self, d.rounded() == d, abs(d) <= 9_007_199_254_740_992 else { return nil }
        return Int(d)
    }

    /// A short description for error messages.
    var brief: String {
        switch self {
        case .null: "null"
        case .bool(let b): "\(b)"
        case .number(let d): "\(d)"
        case .string(let s): "\"\(s.prefix(20))\""
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes. Errors carry the byte offset; nesting is limited so hostile
/// input cannot overflow the stack.
enum TokenizerJSONParser {
    struct SyntaxError: Error {
        let offset: Int
        let why: String
    }

    static let maxDepth = 256

    static func parse(_ bytes: [UInt8]) throws -> TokenizerJSONValue {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == bytes.count else { throw SyntaxError(offset: p.i, why: "unexpected text after the value") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func error(_ why: String) -> SyntaxError { SyntaxError(offset: i, why: why) }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func expect(_ literal: String, _ v: TokenizerJSONValue) throws -> TokenizerJSONValue {
            let l = Array(literal.utf8)
            guard bytes.count - i >= l.count, bytes[i..<(i + l.count)].elementsEqual(l) else { throw error("invalid literal") }
            i += l.count
            return v
        }

        mutating func value(depth: Int) throws -> TokenizerJSONValue {
            guard depth < TokenizerJSONParser.maxDepth else { throw error("nested deeper than \(TokenizerJSONParser.maxDepth)") }
            guard i < bytes.count else { throw error("unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var members: [(String, TokenizerJSONValue)] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                    i += 1
                    skipSpace()
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard i < bytes.count else { throw error("unexpected end of input in an object") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(members) }
                    throw error("expected ',' or '}'")
                }
            case UInt8(ascii: "["):
                i += 1
                var items: [TokenizerJSONValue] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard i < bytes.count else { throw error("unexpected end of input in an array") }
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                    throw error("expected ',' or ']'")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try number()
            default:
                throw error("unexpected character")
            }
        }

        mutating func number() throws -> TokenizerJSONValue {
            let start = i
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            let n = digits()
            guard n > 0, !(n > 1 && bytes[intStart] == 0x30) else { throw error("invalid number") }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw error("invalid number") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw error("invalid number") }
            }
            guard let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)), d.isFinite else {
                throw SyntaxError(offset: start, why: "invalid number")
            }
            return .number(d)
        }

        /// Parses a string starting at the opening quote.
        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            var runStart = i
            while true {
                guard i < bytes.count else { throw error("unterminated string") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<i])
                    i += 1
                    break
                }
                if b < 0x20 { throw error("control character in a string") }
                if b != UInt8(ascii: "\\") { i += 1; continue }
                out.append(contentsOf: bytes[runStart..<i])
                i += 1
                guard i < bytes.count else { throw error("unterminated escape") }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate escape")
                        }
                        i += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw error("unpaired surrogate escape")
                    }
                    out.append(contentsOf: UTF8.encode(Unicode.Scalar(code)!)!)
                default:
                    throw error("invalid escape")
                }
                runStart = i
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
            return s
        }

        mutating func hex4() throws -> UInt32 {
            guard bytes.count - i >= 4 else { throw error("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw error("invalid \\u escape")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }
    }
}
