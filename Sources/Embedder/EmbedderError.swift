/// Why a model folder, weight file or tokenizer could not be used.
///
/// The message always names the file and, where there is one, the field or tensor at fault, because the
/// user usually has to go and look at that file.
public struct EmbedderError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String

    /// `description` is kept on one line: control characters in it (from names inside a file) are escaped.
    public init(_ description: String) {
        self.description = description.escapingControlCharacters
    }

    /// `file: message`, with only the last path component of `file` so that messages stay short.
    static func file(_ path: String, _ message: String) -> EmbedderError {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return EmbedderError("\(name): \(message)")
    }
}
