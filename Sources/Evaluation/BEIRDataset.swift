import Foundation
import VecDB

/// A retrieval benchmark in BEIR's layout: `corpus.jsonl` (`{"_id", "title", "text"}`), `queries.jsonl`
/// (`{"_id", "text"}`) and `qrels/SPLIT.tsv` (header `query-id corpus-id score`, tab-separated).
///
/// Loading checks every line and fails on the first bad one with a one-line error naming file:line and the field.
public struct BEIRDataset: Sendable {
    /// One corpus document as vecdb stores it.
    public struct CorpusDocument: Sendable, Equatable {
        /// The corpus `_id`, stored as the document's external id.
        public var id: String
        /// `title + " " + text`, or just `text` when the title is empty: BEIR's and MTEB's convention.
        public var text: String
    }

    /// One query of the split.
    public struct Query: Sendable, Equatable {
        public var id: String
        public var text: String
    }

    public var folder: URL
    public var split: String
    /// Corpus documents in file order.
    public var corpus: [CorpusDocument]
    /// The queries that have judgements in the split, in queries.jsonl order.
    public var queries: [Query]
    /// Judgements of the split.
    public var qrels: Qrels
    /// Judged documents that are not in the corpus: they count as relevant but can never be retrieved.
    public var unknownJudgedDocuments: Int

    /// Loads `folder` with the judgements of `qrels/<split>.tsv`.
    public init(folder: URL, split: String = "test") throws {
        self.folder = folder
        self.split = split
        let corpusFile = folder.appendingPathComponent("corpus.jsonl")
        let queriesFile = folder.appendingPathComponent("queries.jsonl")
        let qrelsFile = folder.appendingPathComponent("qrels").appendingPathComponent("\(split).tsv")
        for file in [corpusFile, queriesFile, qrelsFile] where !FileManager.default.fileExists(atPath: file.path) {
            let splits = ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("qrels").path)) ?? [])
                .filter { $0.hasSuffix(".tsv") }.map { String($0.dropLast(4)) }.sorted()
            throw VecDBError.invalidInput(InputLocation(file.path), "no such file" + (file == qrelsFile && !splits.isEmpty
                ? " (splits here: \(splits.joined(separator: ", ")))" : " (expected a BEIR folder: corpus.jsonl, queries.jsonl, qrels/)"))
        }

        var corpus: [CorpusDocument] = []
        var corpusIDs = Set<String>()
        try BEIRDataset.forEachJSONLine(corpusFile) { object, where_ in
            let id = try BEIRDataset.identifier(object, where_)
            let text = try BEIRDataset.string(object, "text", where_, required: true)!
            let title = try BEIRDataset.string(object, "title", where_, required: false) ?? ""
            guard corpusIDs.insert(id).inserted else { throw VecDBError.invalidInput(where_, "field \"_id\" \"\(id)\" appears twice") }
            let joined = title.isEmpty ? text : title + " " + text
            guard !joined.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
                throw VecDBError.invalidInput(where_, "fields \"title\" and \"text\" are both empty")
            }
            corpus.append(CorpusDocument(id: id, text: joined))
        }
        guard !corpus.isEmpty else { throw VecDBError.invalidInput(InputLocation(corpusFile.path), "no documents") }

        var allQueries: [Query] = []
        var queryIDs = Set<String>()
        try BEIRDataset.forEachJSONLine(queriesFile) { object, where_ in
            let id = try BEIRDataset.identifier(object, where_)
            let text = try BEIRDataset.string(object, "text", where_, required: true)!
            guard !text.unicodeScalars.allSatisfy(\.properties.isWhitespace) else {
                throw VecDBError.invalidInput(where_, "field \"text\" is empty")
            }
            guard queryIDs.insert(id).inserted else { throw VecDBError.invalidInput(where_, "field \"_id\" \"\(id)\" appears twice") }
            allQueries.append(Query(id: id, text: text))
        }

        var qrels: Qrels = [:]
        var unknown = Set<String>()
        try BEIRDataset.forEachTSVRow(qrelsFile) { columns, where_ in
            let queryID = columns[0], documentID = columns[1]
            guard queryIDs.contains(queryID) else {
                throw VecDBError.invalidInput(where_, "field \"query-id\" \"\(queryID)\" is not in queries.jsonl")
            }
            guard let grade = Int(columns[2]) else {
                throw VecDBError.invalidInput(where_, "field \"score\" \"\(columns[2])\" is not an integer")
            }
            if qrels[queryID]?[documentID] != nil {
                throw VecDBError.invalidInput(where_, "query \"\(queryID)\" judges document \"\(documentID)\" twice")
            }
            if !corpusIDs.contains(documentID) { unknown.insert(documentID) }
            qrels[queryID, default: [:]][documentID] = grade
        }
        guard !qrels.isEmpty else { throw VecDBError.invalidInput(InputLocation(qrelsFile.path), "no judgements") }
        self.corpus = corpus
        self.queries = allQueries.filter { qrels[$0.id] != nil }
        self.qrels = qrels
        self.unknownJudgedDocuments = unknown.count
    }

    // MARK: Parsing

    /// Calls `body` with each non-blank line's JSON object and its "file:line" label.
    public static func forEachJSONLine(_ file: URL, _ body: ([String: Any], InputLocation) throws -> Void) throws {
        let name = file.lastPathComponent
        for (index, line) in try lines(of: file).enumerated() {
            let where_ = InputLocation(name, line: index + 1)
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) else {
                throw VecDBError.invalidInput(where_, "not valid JSON")
            }
            guard let fields = object as? [String: Any] else { throw VecDBError.invalidInput(where_, "a JSON object is expected") }
            try body(fields, where_)
        }
    }

    /// Calls `body` with the three columns of each data row of a qrels file, after checking its header.
    private static func forEachTSVRow(_ file: URL, _ body: ([String], InputLocation) throws -> Void) throws {
        let name = "qrels/" + file.lastPathComponent
        for (index, line) in try lines(of: file).enumerated() {
            let where_ = InputLocation(name, line: index + 1)
            guard let text = String(validating: line, as: UTF8.self) else { throw VecDBError.invalidInput(where_, "invalid UTF-8") }
            let trimmed = text.hasSuffix("\r") ? String(text.dropLast()) : text
            if trimmed.isEmpty { continue }
            let columns = trimmed.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if index == 0 {
                guard columns == ["query-id", "corpus-id", "score"] else {
                    throw VecDBError.invalidInput(where_, "the header must be \"query-id<TAB>corpus-id<TAB>score\"")
                }
                continue
            }
            guard columns.count == 3 else {
                throw VecDBError.invalidInput(where_, "expected 3 tab-separated fields (query-id, corpus-id, score), found \(columns.count)")
            }
            for (column, field) in zip(columns, ["query-id", "corpus-id", "score"]) where column.isEmpty {
                throw VecDBError.invalidInput(where_, "field \"\(field)\" is empty")
            }
            try body(columns, where_)
        }
    }

    /// The file's lines as bytes, split on `\n`.
    private static func lines(of file: URL) throws -> [ArraySlice<UInt8>] {
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw VecDBError.invalidInput(InputLocation(file.path), "cannot be read: \(error.localizedDescription)")
        }
        var lines = [UInt8](data).split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines
    }

    /// `_id`: a non-empty string, or a number (some BEIR exports write numeric ids unquoted).
    private static func identifier(_ object: [String: Any], _ where_: InputLocation) throws -> String {
        switch object["_id"] {
        case nil:
            throw VecDBError.invalidInput(where_, "field \"_id\" is missing")
        case let string as String where !string.isEmpty:
            return string
        // JSON true/false arrive as NSNumber too, with Objective-C type "c".
        case let number as NSNumber where String(cString: number.objCType) != "c":
            return number.stringValue
        default:
            throw VecDBError.invalidInput(where_, "field \"_id\" must be a non-empty string or a number")
        }
    }

    public static func string(_ object: [String: Any], _ field: String, _ where_: InputLocation, required: Bool) throws -> String? {
        switch object[field] {
        case nil, is NSNull:
            if required { throw VecDBError.invalidInput(where_, "field \"\(field)\" is missing") }
            return nil
        case let string as String:
            return string
        default:
            throw VecDBError.invalidInput(where_, "field \"\(field)\" must be a string")
        }
    }
}
