import Foundation

/// Writes a tree of Swift values (dictionaries, arrays, strings, numbers, booleans, `NSNull`, `JSONValue`) as JSON
/// text: keys sorted by Unicode code point, numbers in Swift's shortest round-trip form (integral ones without
/// ".0"), strings with `"`, `\` and control characters escaped (and `/` when `escapingSlashes`). The one writer of
/// every JSON vecdb prints, serves or stores (metadata), because Foundation's `JSONSerialization` costs milliseconds
/// on Linux for a query's answer, more than the search itself. For vecdb's own keys and values the bytes are
/// Foundation's (`JSONTextTests`); Foundation orders other keys by a locale-style collation, this by code point.
public struct JSONText {
    private var bytes: [UInt8] = []
    private let escapingSlashes: Bool

    private init(escapingSlashes: Bool) {
        self.escapingSlashes = escapingSlashes
        bytes.reserveCapacity(4096)
    }

    /// The JSON text of `value`; a value of a type JSON has no form for is written as `null`.
    public static func data(_ value: Any, escapingSlashes: Bool = false) -> Data {
        var writer = JSONText(escapingSlashes: escapingSlashes)
        writer.write(value)
        return Data(writer.bytes)
    }

    /// Dispatches on the value's exact type: `as?` alone would bridge (an `NSNumber` 1 casts to `true`, an array of
    /// Foundation numbers to `[Double]`).
    private mutating func write(_ value: Any) {
        let type = Swift.type(of: value)
        if type == String.self { return write(string: value as! String) }
        if type == Bool.self { return append(value as! Bool ? "true" : "false") }
        if type == Int.self { return append(String(value as! Int)) }
        if type == Double.self { return write(double: value as! Double) }
        if type == UInt64.self { return append(String(value as! UInt64)) }
        if type == Int64.self { return append(String(value as! Int64)) }
        if type == Float.self { return write(float: value as! Float) }
        if type == [Double].self { return writeArray(value as! [Double]) { $0.write(double: $1) } }
        if type == [Float].self { return writeArray(value as! [Float]) { $0.write(float: $1) } }
        if type == [Int].self { return writeArray(value as! [Int]) { $0.append(String($1)) } }
        if type == [UInt64].self { return writeArray(value as! [UInt64]) { $0.append(String($1)) } }
        if type == [String].self { return writeArray(value as! [String]) { $0.write(string: $1) } }
        if type == JSONValue.self { return write(json: value as! JSONValue) }
        if type is NSNumber.Type { return write(number: value as! NSNumber) }
        if type is NSNull.Type { return append("null") }
        if let string = value as? String { return write(string: string) }
        if let object = value as? [String: Any] { return write(object: object) }
        if let array = value as? [Any] { return writeArray(array) { $0.write($1) } }
        append("null")
    }

    private mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    private mutating func writeArray<Element>(_ array: [Element], _ element: (inout JSONText, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, item) in array.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            element(&self, item)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func write(object: [String: Any]) {
        bytes.append(UInt8(ascii: "{"))
        for (index, key) in JSONText.sorted(object.keys).enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(string: key)
            bytes.append(UInt8(ascii: ":"))
            write(object[key]!)
        }
        bytes.append(UInt8(ascii: "}"))
    }

    private mutating func write(json: JSONValue) {
        switch json {
        case .null: append("null")
        case .bool(let bool): append(bool ? "true" : "false")
        case .number(let number): write(double: number)
        case .string(let string): write(string: string)
        case .array(let items): writeArray(items) { $0.write(json: $1) }
        case .object(let members):
            // Sorted as a dictionary's keys are; a repeated key keeps its last value, as Foundation's parser does.
            var last: [String: JSONValue] = [:]
            for member in members { last[member.key] = member.value }
            bytes.append(UInt8(ascii: "{"))
            for (index, key) in JSONText.sorted(last.keys).enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(string: key)
                bytes.append(UInt8(ascii: ":"))
                write(json: last[key]!)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Keys by their Unicode scalars, as written (String's `<` would compare canonically equivalent forms equal).
    static func sorted(_ keys: Dictionary<String, some Any>.Keys) -> [String] {
        keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// Numbers Foundation's parser made: booleans, integers and doubles each as it writes them.
    private mutating func write(number: NSNumber) {
        switch String(cString: number.objCType) {
        case "c", "B": append(number.boolValue ? "true" : "false")
        case "f": write(float: number.floatValue)
        case "d": write(double: number.doubleValue)
        case "Q", "L", "I", "S", "C": append(String(number.uint64Value))
        default: append(String(number.int64Value))
        }
    }

    /// Swift's shortest round-trip form, without the ".0" of an integral value (`3`, `-0`, `1e+20`), as Foundation.
    private mutating func write(double: Double) {
        guard double.isFinite else { return append("null") }
        var text = double.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        append(text)
    }

    private mutating func write(float: Float) {
        guard float.isFinite else { return append("null") }
        var text = float.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        append(text)
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func write(string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case UInt8(ascii: "/") where escapingSlashes: bytes.append(contentsOf: [0x5C, 0x2F])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x00..<0x20:
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          JSONText.hex[Int(byte >> 4)], JSONText.hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
