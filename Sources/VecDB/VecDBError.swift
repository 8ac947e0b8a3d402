/// A failure a user can act on, worded as one line that names the file, line, field or command involved.
public struct VecDBError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
