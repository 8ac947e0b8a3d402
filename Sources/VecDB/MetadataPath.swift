/// A path into a document's metadata: `a`, `a.b` (into objects), `a[]` (every element of an array), `a[2]` (one
/// element), `"quoted.key"` (a key holding dots). Qdrant's payload paths spell it so; the metadata table indexes
/// top-level fields only, so a condition on a path is evaluated by reading each document's metadata.
public struct MetadataPath: Equatable, Hashable, Sendable, CustomStringConvertible {
    public enum Step: Equatable, Hashable, Sendable {
        case key(String)
        case everyElement
        case element(Int)
    }

    public let steps: [Step]
    /// The path as given.
    public let description: String

    /// Parses `text`; a malformed path throws `VecDBError.invalidFilter` naming the character.
    public init(_ text: String) throws {
        description = text
        var steps: [Step] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        func fail(_ expected: String) -> VecDBError {
            .invalidFilter(at: "key \"\(text)\"", "character \(i + 1): expected \(expected)")
        }
        var expectKey = true
        while i < scalars.count {
            if expectKey {
                if scalars[i] == "\"" {
                    guard let close = scalars[(i + 1)...].firstIndex(of: "\"") else { throw fail("a closing quote") }
                    steps.append(.key(String(String.UnicodeScalarView(scalars[(i + 1)..<close]))))
                    i = close + 1
                } else {
                    var end = i
                    while end < scalars.count, scalars[end] != ".", scalars[end] != "[" { end += 1 }
                    guard end > i else { throw fail("a key") }
                    steps.append(.key(String(String.UnicodeScalarView(scalars[i..<end]))))
                    i = end
                }
                expectKey = false
            } else if scalars[i] == "." {
                i += 1
                expectKey = true
            } else if scalars[i] == "[" {
                guard let close = scalars[(i + 1)...].firstIndex(of: "]") else { throw fail("]") }
                let inside = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
                if inside.isEmpty {
                    steps.append(.everyElement)
                } else {
                    guard let index = Int(inside), index >= 0 else { throw fail("[] or [n] with n a non-negative integer") }
                    steps.append(.element(index))
                }
                i = close + 1
            } else {
                throw fail(". or [")
            }
        }
        guard !steps.isEmpty, !expectKey else { throw fail("a key") }
        self.steps = steps
    }

    /// The path of one top-level field, whatever characters its name holds.
    public init(field: String) {
        steps = [.key(field)]
        description = field
    }

    /// The top-level field when the path is one, else nil.
    public var field: String? {
        if steps.count == 1, case .key(let name) = steps[0] { return name }
        return nil
    }

    /// The values the path reaches in `metadata`, or nil when it reaches none (the field is "missing"). With
    /// `flattened`, an array at the end contributes its elements (so `[]` contributes none), as comparisons want;
    /// without, the array itself is one value, as emptiness and null tests want.
    public func values(in metadata: JSONValue, flattened: Bool) -> [JSONValue]? {
        var current = [metadata]
        for step in steps {
            var next: [JSONValue] = []
            for value in current {
                switch (step, value) {
                case let (.key(name), .object(members)):
                    if let member = members.first(where: { $0.key == name }) { next.append(member.value) }
                case let (.element(index), .array(items)):
                    if index < items.count { next.append(items[index]) }
                case let (.everyElement, .array(items)):
                    next += items
                default:
                    break
                }
            }
            current = next
        }
        if flattened {
            current = current.flatMap { value -> [JSONValue] in
                if case .array(let items) = value { return items }
                return [value]
            }
        }
        return current.isEmpty ? nil : current
    }
}

/// What a path condition asks of the values its path reaches (`MetadataFilter.path`). Comparisons hold when any
/// value satisfies them, and never for a missing path; types are strict (`true` is not `1`).
public enum PathCondition: Equatable, Sendable {
    /// Some value equals one of these.
    case oneOf([JSONValue])
    /// Some value is neither null nor one of these.
    case noneOf([JSONValue])
    /// Some value is a number within the bounds given.
    case range(greaterThan: Double?, atLeast: Double?, lessThan: Double?, atMost: Double?)
    /// Some value is a string holding every word of this text (words: runs of letters and digits, case folded).
    case words(String)
    /// The path is missing, or every value is null or an empty array.
    case isEmpty
    /// Some value is null, or an array holding null.
    case isNull

    /// Whether the metadata `metadata` satisfies this condition at `path`.
    public func holds(at path: MetadataPath, in metadata: JSONValue) -> Bool {
        switch self {
        case .isEmpty:
            guard let values = path.values(in: metadata, flattened: false) else { return true }
            return values.allSatisfy { value in
                if case .null = value { return true }
                if case .array(let items) = value { return items.isEmpty }
                return false
            }
        case .isNull:
            guard let values = path.values(in: metadata, flattened: false) else { return false }
            return values.contains { value in
                if case .null = value { return true }
                if case .array(let items) = value { return items.contains(.null) }
                return false
            }
        default:
            guard let values = path.values(in: metadata, flattened: true) else { return false }
            return values.contains(where: satisfied)
        }
    }

    private func satisfied(by value: JSONValue) -> Bool {
        switch self {
        case .oneOf(let operands): return operands.contains(value)
        case .noneOf(let operands): return value != .null && !operands.contains(value)
        case let .range(gt, gte, lt, lte):
            guard case .number(let x) = value else { return false }
            return gt.map { x > $0 } ?? true && gte.map { x >= $0 } ?? true && lt.map { x < $0 } ?? true && lte.map { x <= $0 } ?? true
        case .words(let text):
            guard case .string(let string) = value else { return false }
            let wanted = PathCondition.words(of: text)
            guard !wanted.isEmpty else { return false }
            let held = Set(PathCondition.words(of: string))
            return wanted.allSatisfy(held.contains)
        case .isEmpty, .isNull:
            return false
        }
    }

    /// Runs of letters and digits (`_` separates), lowercased.
    static func words(of text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar != "_" && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil) {
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current).lowercased())
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { words.append(String(current).lowercased()) }
        return words
    }
}
