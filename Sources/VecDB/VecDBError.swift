/// Why the store refused or failed an operation: cases a program can switch on (a server maps them to HTTP statuses,
/// the CLI to its messages and exit code), each worded as one line naming the file, line, field or object involved.
///
/// The words say what happened, never what to type: advice such as "run `vecdb check`" or "--db" belongs to the
/// program that knows its own commands (the CLI adds it in one place, `ErrorReport`).
public enum VecDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What a `notFound` or `alreadyExists` error is about.
    public enum Entity: Equatable, Sendable {
        /// A collection (vector space) by name; `available` lists the database's collections for the message.
        case collection(String, available: [String] = [])
        case document(UInt64)
        /// A document by its JSONL / API `id`.
        case externalID(String)
        case adapter(String)
    }

    /// The folder is absent or holds no database (`interrupted`: an older vecdb began creating it and stopped).
    case noDatabase(path: String, interrupted: Bool = false)
    /// Something at `path` that vecdb cannot use as a database; `reason` says what it is.
    case notADatabase(path: String, reason: String)
    /// The operating system refused access to the database at `path` (for `operation`: reading, writing…, when known).
    case permissionDenied(path: String, operation: String?, reason: String)
    /// The database's layout version is newer than this build reads.
    case unsupportedFormat(path: String, version: UInt32, supported: UInt32)
    /// Opened read-only, the database lacks a table this version adds on its first writable open.
    case needsUpgrade(path: String, table: String)
    /// The transaction outgrew the map size; it was rolled back.
    case full(path: String, mapSize: Int)
    /// The disk refused the write (full, a file size limit, an I/O error); the transaction was rolled back.
    case writeFailed(path: String, reason: String)
    /// Stored data that does not decode or contradicts the format: `check` finds and, where safe, repairs it.
    case corrupted(String)
    case notFound(Entity)
    case alreadyExists(Entity)
    /// Vectors made another way (other weights, dimensions, pooling, prompt, token limit) than the collection's.
    case incompatibleSpace(collection: String, reason: String)
    /// Bad input data, at `location`.
    case invalidInput(InputLocation, String)
    /// A metadata filter that does not parse or cannot be applied; `at` names the place (a character position, or a
    /// path such as `$and[1].year.$gt`).
    case invalidFilter(at: String, String)
    /// A call's argument that cannot be used (a vector of the wrong length or without direction, an empty name).
    case invalidArgument(String)
    /// Another writer changed what this operation depended on between its read and its write.
    case conflict(String)
    /// `error`, met after `committedLines` lines of a stream were already committed (they stay).
    indirect case afterCommits(VecDBError, committedLines: Int)

    public var description: String {
        switch self {
        case .noDatabase(let path, let interrupted):
            return "no vecdb database at \(path)" + (interrupted ? " (its creation was interrupted)" : "")
        case .notADatabase(let path, let reason):
            return "\(path) \(reason)"
        case .permissionDenied(let path, let operation, let reason):
            return "cannot open database \(path)\(operation.map { " for \($0)" } ?? ""): permission denied (\(reason))"
        case .unsupportedFormat(let path, let version, let supported):
            return "\(path) has format version \(version); this vecdb reads up to \(supported)"
        case .needsUpgrade(let path, let table):
            return "\(path) predates the '\(table)' table; open it once for writing to add it"
        case .full(let path, let mapSize):
            return "database \(path) is full: it reached its map size of \(mapSize) bytes (set VECDB_MAP_SIZE to allow more); "
                + "the transaction was rolled back, earlier commits are intact"
        case .writeFailed(let path, let reason):
            return "database \(path): could not write (\(reason)): the disk is full, a file size limit was reached, "
                + "or the disk failed; the transaction was rolled back, earlier commits are intact"
        case .corrupted(let what):
            return what
        case .notFound(let entity):
            switch entity {
            case .collection(let name, let available):
                return "no collection '\(name)'" + (available.isEmpty ? "" : " (the database has: \(available.joined(separator: ", ")))")
            case .document(let id): return "no document \(id)"
            case .externalID(let id): return "no document with id \"\(id)\""
            case .adapter(let name): return "no adapter '\(name)'"
            }
        case .alreadyExists(let entity):
            switch entity {
            case .collection(let name, _): return "collection '\(name)' exists already"
            case .document(let id): return "document \(id) exists already"
            case .externalID(let id): return "a document with id \"\(id)\" exists already"
            case .adapter(let name): return "adapter '\(name)' exists already"
            }
        case .incompatibleSpace(let collection, let reason):
            return "collection '\(collection)' \(reason)"
        case .invalidInput(let location, let reason):
            return "\(location): \(reason)"
        case .invalidFilter(let place, let reason):
            return "invalid filter at \(place): \(reason)"
        case .invalidArgument(let reason), .conflict(let reason):
            return reason
        case .afterCommits(let error, let lines):
            return "\(error) (\(lines) lines before it are committed)"
        }
    }
}

/// Where in some input a problem lies: a file (or `stdin`, or a request), a 1-based line, a field.
public struct InputLocation: Equatable, Sendable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var field: String?

    public init(_ source: String, line: Int? = nil, field: String? = nil) {
        self.source = source
        self.line = line
        self.field = field
    }

    /// `source:line: field`, the form compilers use, so editors and people find the place.
    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        if let field { text += ": \(field)" }
        return text
    }
}
