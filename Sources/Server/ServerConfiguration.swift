import Foundation
import NIOCore

/// How `vecdb serve` listens, whom it lets in, and how much work it takes on.
public struct ServerConfiguration: Sendable {
    /// The address to bind: loopback unless an API key is set.
    public var host = "127.0.0.1"
    /// The port; 0 lets the system choose (tests).
    public var port = 8080
    /// The key that may do everything (`Authorization: Bearer KEY`, or the `api-key` header Qdrant clients send).
    public var apiKey: String?
    /// A key that may read (info, documents, query, embed) but not write; needs `apiKey`.
    public var readOnlyKey: String?
    /// Largest request body, in bytes; a larger one is refused with 413 before it is read.
    public var maxBodyBytes = 32 * 1024 * 1024
    /// Write requests admitted at once (running or waiting for the writer); more are refused with 429.
    public var writeQueueLimit = 64
    /// Threads that run reads (LMDB read transactions, searches) next to the event loops.
    public var readThreads = max(4, 2 * ProcessInfo.processInfo.activeProcessorCount)

    public init() {}

    /// Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost), where binding without a key is allowed.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Refuses settings that would expose the database: a non-loopback bind without a key, a read-only key alone, an
    /// empty key, limits that are not positive.
    public func validated() throws -> ServerConfiguration {
        if let apiKey, apiKey.isEmpty { throw ServerConfigurationError("the API key is empty") }
        if let readOnlyKey {
            guard !readOnlyKey.isEmpty else { throw ServerConfigurationError("the read-only key is empty") }
            guard apiKey != nil else { throw ServerConfigurationError("a read-only key needs an API key beside it (--api-key)") }
            guard readOnlyKey != apiKey else { throw ServerConfigurationError("the read-only key equals the API key") }
        }
        guard apiKey != nil || ServerConfiguration.isLoopback(host) else {
            throw ServerConfigurationError("binding \(host), beyond loopback, needs an API key (--api-key or VECDB_API_KEY)")
        }
        guard (0...65535).contains(port) else { throw ServerConfigurationError("port \(port) is not in 0...65535") }
        guard maxBodyBytes > 0, writeQueueLimit > 0, readThreads > 0 else {
            throw ServerConfigurationError("body limit, write queue and read threads must be positive")
        }
        return self
    }
}

/// A server setting that cannot be used; the CLI reports it as a usage error.
public struct ServerConfigurationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Why the server could not start listening, in words: the system's for a socket error (`address already in use`),
/// else the error's own.
public func listenFailure(_ error: Error) -> String {
    if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
    return "\(error)"
}
