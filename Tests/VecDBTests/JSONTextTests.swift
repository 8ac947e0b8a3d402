import Foundation
import VecDB
import XCTest

/// `JSONText` against Foundation's `JSONSerialization` on random trees: the same value when Foundation reads it back,
/// keys in code point order at every level, and the same bytes for the keys and values vecdb itself writes.
final class JSONTextTests: XCTestCase {
    private struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    private func string(_ random: inout Random) -> String {
        let pieces = ["a", "Z", "é", "日本", "🙂", "\"", "\\", "/", "\n", "\t", "\r", "\u{8}", "\u{c}", "\u{1}", "\u{1f}", "\u{7f}",
                      "\u{2028}", " ", "key", "e\u{301}"]
        return (0..<random.below(6)).map { _ in pieces[random.below(pieces.count)] }.joined()
    }

    private func number(_ random: inout Random) -> Any {
        switch random.below(7) {
        case 0: return random.below(2001) - 1000
        case 1: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (random.below(2) == 0 ? 1 : -1)
        case 2: return Double(random.below(1000)) / 8
        case 3: return Float(bitPattern: UInt32(truncatingIfNeeded: random.next()) & 0x7F7F_FFFF)
        case 4: return UInt64.max - UInt64(random.below(10))
        case 5: return [0.0, -0.0, 1e20, 1e21, 1e-7, 5e-324, 0.1, 2.0 / 61][random.below(8)]
        default: return random.below(2) == 0
        }
    }

    private func tree(_ random: inout Random, depth: Int) -> Any {
        switch depth > 3 ? random.below(3) : random.below(7) {
        case 0: return string(&random)
        case 1: return number(&random)
        case 2: return NSNull()
        case 3: return (0..<random.below(5)).map { _ in tree(&random, depth: depth + 1) }
        case 4: return (0..<random.below(6)).map { _ in Double(bitPattern: random.next() >> 2) }
        case 5: return (0..<random.below(6)).map { _ in UInt64(random.below(1 << 20)) }
        default:
            var object: [String: Any] = [:]
            for _ in 0..<random.below(5) { object[string(&random)] = tree(&random, depth: depth + 1) }
            return object
        }
    }

    /// `value` with every object's members in code point order, so two writers' outputs compare as values.
    private func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            var last: [String: JSONValue] = [:]
            for member in members { last[member.key] = canonical(member.value) }
            return .object(last.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }.map { ($0, last[$0]!) })
        case .array(let items): return .array(items.map(canonical))
        default: return value
        }
    }

    private func parse(_ data: Data) throws -> JSONValue { try JSONValue(parsing: String(decoding: data, as: UTF8.self)) }

    func testSameValueAsFoundationKeysInCodePointOrder() throws {
        var random = Random(state: 20261202)
        for _ in 0..<3000 {
            let value: [String: Any] = ["v": tree(&random, depth: 0)]
            let reference = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
            let written = JSONText.data(value)
            XCTAssertEqual(try parse(written), canonical(try parse(reference)), String(decoding: written, as: UTF8.self))
            let escaped = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
            XCTAssertEqual(try parse(JSONText.data(value, escapingSlashes: true)), canonical(try parse(escaped)))
            XCTAssertFalse(String(decoding: JSONText.data(value, escapingSlashes: true), as: UTF8.self).contains { $0 == "/" }
                           && !String(decoding: JSONText.data(value, escapingSlashes: true), as: UTF8.self).contains("\\/"))
            // What Foundation's parser makes of the text (NSNumber booleans and integers, not Swift values) too; only
            // for integers, as Foundation's parser reads fractions imprecisely (0.0327868852459016**34** for 2/61).
            let text = String(decoding: reference, as: UTF8.self)
            guard !text.contains(".") && !text.contains("e") else { continue }
            let parsed = try JSONSerialization.jsonObject(with: reference)
            let again = try JSONSerialization.data(withJSONObject: parsed, options: [.sortedKeys, .withoutEscapingSlashes])
            XCTAssertEqual(try parse(JSONText.data(parsed)), canonical(try parse(again)))
        }
    }

    /// The shapes of vecdb's own output — lowercase ASCII keys, integers, scores, texts — come out as Foundation
    /// writes them, so `--json` output kept its bytes when JSONText replaced Foundation.
    func testSameBytesAsFoundationForVecdbShapes() throws {
        var random = Random(state: 7)
        let keys = ["id", "text", "score", "external_id", "metadata", "results", "snapshot", "ranks", "already_present", "m", "ef_construction"]
        for _ in 0..<2000 {
            var object: [String: Any] = [:]
            for _ in 0..<random.below(8) {
                let key = keys[random.below(keys.count)]
                switch random.below(6) {
                case 0: object[key] = random.below(1_000_000)
                case 1: object[key] = Double(random.below(1 << 30)) / Double(1 << 30)
                case 2: object[key] = string(&random)
                case 3: object[key] = (0..<random.below(5)).map { _ in Double(Float(Double(random.below(1 << 20)) / Double(1 << 20))) }
                case 4: object[key] = ["minilm": random.below(100), "bm25": NSNull()] as [String: Any]
                default: object[key] = random.below(2) == 0
                }
            }
            let reference = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            XCTAssertEqual(String(decoding: JSONText.data(object), as: UTF8.self), String(decoding: reference, as: UTF8.self))
            let escaped = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            XCTAssertEqual(String(decoding: JSONText.data(object, escapingSlashes: true), as: UTF8.self), String(decoding: escaped, as: UTF8.self))
        }
    }

    /// A parsed `JSONValue` reads back as the same value, a repeated key keeping its last value as Foundation's
    /// parser does.
    func testJSONValueReadsBackTheSame() throws {
        for text in [#"{"b": [1, 2.5, 1e2, true, null], "a": {"z": "x/y", "é": "\u0001"}}"#, #"[{"k": 1, "k": 2}]"#, "[]", "{}"] {
            let written = JSONText.data(try JSONValue(parsing: text))
            XCTAssertEqual(try JSONSerialization.jsonObject(with: written) as? NSObject,
                           try JSONSerialization.jsonObject(with: Data(text.utf8)) as? NSObject, text)
        }
    }
}
