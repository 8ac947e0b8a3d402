import Foundation

/// One document to ingest, as read from a line of input.
public struct IngestRecord: Sendable {
    public var text: String
    /// JSONL `id` (a string, or a number written as such), or nil.
    public var externalID: String?
    /// The line's other JSONL fields as a JSON object with sorted keys, or nil.
    public var metadataJSON: String?
    /// 1-based line number in the input.
    public var line: Int

    public init(text: String, externalID: String? = nil, metadataJSON: String? = nil, line: Int) {
        self.text = text
        self.externalID = externalID
        self.metadataJSON = metadataJSON
        self.line = line
    }

    /// A JSON `id` value (from `JSONSerialization`) as stored: a non-empty string, or a number in its decimal form;
    /// nil for anything else.
    static func externalID(_ value: Any) -> String? {
        switch value {
        case let string as String where !string.isEmpty: return string
        // JSON true/false arrive as NSNumber too, with Objective-C type "c".
        case let number as NSNumber where String(cString: number.objCType) != "c": return number.stringValue
        default: return nil
        }
    }

    /// Metadata fields (from `JSONSerialization`) as stored: one JSON object with sorted keys, so the same fields
    /// always give the same text (an unchanged document is recognised as such).
    static func metadataJSON(_ fields: [String: Any]) -> String {
        String(decoding: JSONText.data(fields, escapingSlashes: true), as: UTF8.self)
    }
}

/// Reads ingest input line by line: plain text (one document per line) or JSON Lines.
///
/// Lines are split on bytes (`\n`, with a trailing `\r` removed), each validated as UTF-8 — never repaired —
/// so a bad byte is an error naming its line rather than a silently altered document. Blank lines are
/// skipped and counted.
public final class InputReader {
    public enum Format: String, Sendable, CaseIterable {
        case text, jsonl
    }

    private let handle: FileHandle?
    private let closeWhenDone: Bool
    /// The name used in error messages: the path, or "stdin".
    public let sourceName: String
    public let format: Format
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    /// Where the search for the next newline resumes: bytes before it (from `bufferStart`) hold none. Without it a
    /// line of n MiB would be rescanned once per MiB read, quadratic in its length.
    private var scanFrom = 0
    private var atEnd = false
    /// Lines read so far.
    public private(set) var lineNumber = 0
    /// Blank (empty or whitespace-only) lines skipped so far.
    public private(set) var blankLines = 0

    /// Opens `path`, or standard input for "-".
    public init(path: String, format: Format?) throws {
        if path == "-" {
            handle = FileHandle.standardInput
            closeWhenDone = false
            sourceName = "stdin"
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw VecDBError.invalidInput(InputLocation(path), "no such file")
            }
            guard !isDirectory.boolValue else { throw VecDBError.invalidInput(InputLocation(path), "is a folder, not a file") }
            guard let opened = FileHandle(forReadingAtPath: path) else {
                throw VecDBError.invalidInput(InputLocation(path), "cannot be read (permission denied?)")
            }
            handle = opened
            closeWhenDone = true
            sourceName = path
        }
        self.format = format ?? (path.lowercased().hasSuffix(".jsonl") ? .jsonl : .text)
    }

    /// Records already in memory (e.g. a BEIR corpus), served as a checked file would be.
    public init(records: [IngestRecord], sourceName: String) {
        handle = nil
        closeWhenDone = false
        self.sourceName = sourceName
        format = .jsonl
        preloaded = records
        lineNumber = records.last?.line ?? 0
        totalLines = lineNumber
    }

    deinit { if closeWhenDone { try? handle?.close() } }

    private var preloaded: [IngestRecord]?
    private var preloadedIndex = 0
    /// Lines in the whole input, once `validateAll` has read it.
    public private(set) var totalLines: Int?

    /// Reads and checks the whole input now, so that a bad line fails the ingest before anything is written;
    /// `next` then serves the checked records from the first line again.
    ///
    /// A regular file is read twice, keeping nothing from the first pass but its line count, so memory stays flat
    /// whatever the file's size; a file that changes between the passes can still fail in the second, after
    /// commits, and says so. Anything else (a named pipe, a device) cannot be read twice and is kept in memory.
    public func validateAll() throws {
        guard preloaded == nil, let handle else { return }
        if isRegularFile {
            while try readRecord() != nil {}
            totalLines = lineNumber
            do {
                try handle.seek(toOffset: 0)
            } catch {
                throw VecDBError.invalidInput(InputLocation(sourceName), "cannot be read again: \(error.localizedDescription)")
            }
            buffer = []
            bufferStart = 0
            scanFrom = 0
            atEnd = false
            lineNumber = 0
            blankLines = 0
        } else {
            var records: [IngestRecord] = []
            while let record = try readRecord() { records.append(record) }
            preloaded = records
            totalLines = lineNumber
        }
    }

    private var isRegularFile: Bool {
        guard closeWhenDone, let attributes = try? FileManager.default.attributesOfItem(atPath: sourceName) else { return false }
        return attributes[.type] as? FileAttributeType == .typeRegular
    }

    private var lookahead: IngestRecord?

    /// True when the input holds no document at all (reads ahead one record; `next` still returns it).
    public func hasNoRecords() throws -> Bool {
        if let preloaded { return preloaded.count == preloadedIndex }
        if lookahead == nil { lookahead = try readRecord() }
        return lookahead == nil
    }

    /// The next document, or nil at the end of input. Throws on a line that is not valid input, naming it.
    public func next() throws -> IngestRecord? {
        if let record = lookahead {
            lookahead = nil
            return record
        }
        if let preloaded {
            guard preloadedIndex < preloaded.count else { return nil }
            preloadedIndex += 1
            return preloaded[preloadedIndex - 1]
        }
        return try readRecord()
    }

    private func readRecord() throws -> IngestRecord? {
        while let bytes = try nextLine() {
            lineNumber += 1
            if bytes.contains(0) {
                throw VecDBError.invalidInput(InputLocation(sourceName, line: lineNumber), "contains a NUL byte (a binary file?)")
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw VecDBError.invalidInput(InputLocation(sourceName, line: lineNumber), "invalid UTF-8")
            }
            if text.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                blankLines += 1
                continue
            }
            switch format {
            case .text:
                return IngestRecord(text: text, line: lineNumber)
            case .jsonl:
                return try parseJSONLine(text, bytes: bytes)
            }
        }
        return nil
    }

    private func parseJSONLine(_ text: String, bytes: [UInt8]) throws -> IngestRecord {
        let where_ = InputLocation(sourceName, line: lineNumber)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw VecDBError.invalidInput(where_, "not valid JSON")
        }
        guard var fields = object as? [String: Any] else { throw VecDBError.invalidInput(where_, "a JSON object is expected") }
        guard let textValue = fields.removeValue(forKey: "text") else {
            throw VecDBError.invalidInput(where_, "field \"text\" is missing")
        }
        guard let documentText = textValue as? String else {
            throw VecDBError.invalidInput(where_, "field \"text\" must be a string")
        }
        guard !documentText.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
            throw VecDBError.invalidInput(where_, "field \"text\" is empty")
        }
        var externalID: String?
        if let id = fields.removeValue(forKey: "id") {
            guard let valid = IngestRecord.externalID(id) else {
                throw VecDBError.invalidInput(where_, "field \"id\" must be a non-empty string or a number")
            }
            externalID = valid
        }
        let metadata = fields.isEmpty ? nil : IngestRecord.metadataJSON(fields)
        return IngestRecord(text: documentText, externalID: externalID, metadataJSON: metadata, line: lineNumber)
    }

    /// The next line's bytes without its terminator, or nil at the end.
    private func nextLine() throws -> [UInt8]? {
        while true {
            if let newline = buffer[scanFrom...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[bufferStart..<newline])
                bufferStart = newline + 1
                scanFrom = bufferStart
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            if atEnd {
                guard bufferStart < buffer.count else { return nil }
                var line = Array(buffer[bufferStart...])
                bufferStart = buffer.count
                scanFrom = bufferStart
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return line
            }
            buffer.removeFirst(bufferStart)
            bufferStart = 0
            scanFrom = buffer.count
            let chunk: Data?
            do {
                chunk = try handle?.read(upToCount: 1 << 20)
            } catch {
                throw VecDBError.invalidInput(InputLocation(sourceName), "read failed: \(error.localizedDescription)")
            }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
        }
    }
}
