/// Why a GGUF file could not be read: names the file, the field or tensor, and what was wrong with it.
public struct GGUFError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (path or the name given for an in-memory buffer).
    public let file: String
    /// The header field, metadata key or tensor the problem was found in.
    public let field: String
    /// What was wrong.
    public let reason: String

    public init(file: String, field: String, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    /// One line: control characters from keys and names inside the file are escaped.
    public var description: String { "GGUF \(file): \(field): \(reason)".escapingControlCharacters }
}
