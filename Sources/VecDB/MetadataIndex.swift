import Foundation
import LMDB

/// The keys of the `metadata` table (docs/FORMAT.md): one empty-valued key per (field, indexed value, document),
///
///     field (UTF-8) · 0x00 · tag · value bytes · document id (u64 BE)
///
/// so the documents holding one value are one contiguous key range, in id order, and a range of numbers or strings
/// is one cursor walk. Every top-level field has a `present` key (for `$exists`), whatever its value; strings,
/// booleans and numbers (integers as doubles) are indexed, each element of an array too; `null` and objects are
/// stored in the document but not indexed. A field name containing NUL is stored but not indexed.
enum MetadataKeys {
    enum Tag: UInt8, CaseIterable {
        case present = 1, bool = 2, number = 3, string = 4

        /// The values of this tag, for messages.
        var plural: String {
            switch self {
            case .present: return "values"
            case .bool: return "booleans"
            case .number: return "numbers"
            case .string: return "strings"
            }
        }
    }

    static func prefix(field: String, tag: Tag) -> [UInt8] { Array(field.utf8) + [0, tag.rawValue] }

    /// The tag and bytes of an indexed scalar, or nil for a value that is not indexed.
    static func encode(_ value: JSONValue) -> (tag: Tag, bytes: [UInt8])? {
        switch value {
        case .bool(let flag): return (.bool, [flag ? 1 : 0])
        case .number(let number): return (.number, orderedBytes(number))
        case .string(let text): return (.string, Array(text.utf8))
        default: return nil
        }
    }

    /// Big-endian bytes whose byte order is the numbers' order: the sign bit flipped for positives, all bits for
    /// negatives (IEEE 754's total order); -0 is stored as 0 so that the two compare equal, as JSON's do.
    static func orderedBytes(_ number: Double) -> [UInt8] {
        let bits = (number == 0 ? 0.0 : number).bitPattern
        return Layout.bigEndian(bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63))
    }

    static func number(fromOrderedBytes bytes: ArraySlice<UInt8>) -> Double {
        let raw = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(bitPattern: raw & (1 << 63) != 0 ? raw & ~(1 << 63) : ~raw)
    }

    /// The document's metadata object, or empty when it has none (or, damaged, does not parse: `check` reports that).
    static func metadata(of document: Document) -> [(key: String, value: JSONValue)] {
        guard let json = document.metadataJSON, case .object(let members)? = try? JSONParser.parse(json) else { return [] }
        return members
    }

    /// Every key `document` puts in the table, sorted and without repeats.
    static func keys(for document: Document) -> [[UInt8]] {
        var keys = Set<[UInt8]>()
        let id = Layout.bigEndian(document.id)
        for (field, value) in metadata(of: document) where !field.utf8.contains(0) {
            keys.insert(prefix(field: field, tag: .present) + id)
            let elements: [JSONValue]
            if case .array(let items) = value { elements = items } else { elements = [value] }
            for element in elements {
                if let (tag, bytes) = encode(element) { keys.insert(prefix(field: field, tag: tag) + bytes + id) }
            }
        }
        return keys.sorted { $0.lexicographicallyPrecedes($1) }
    }
}

/// Keeps the `metadata` table exact: registered on every database that has the table, told of each document the
/// write path stores or deletes.
final class MetadataIndex: DocumentIndex {
    let table: Database

    init(table: Database) { self.table = table }

    func didStore(_ document: Document, replacing previous: Document?, in batch: WriteBatch) throws {
        let new = MetadataKeys.keys(for: document)
        let old = previous.map(MetadataKeys.keys(for:)) ?? []
        guard new != old else { return }
        let kept = Set(new).intersection(old)
        for key in old where !kept.contains(key) { _ = try batch.txn.delete(table, key: key) }
        for key in new where !kept.contains(key) { try batch.txn.put(table, key: key, value: []) }
    }

    func didDelete(_ document: Document, in batch: WriteBatch) throws {
        for key in MetadataKeys.keys(for: document) { _ = try batch.txn.delete(table, key: key) }
    }

    func willCommit(_ batch: WriteBatch) throws {}

    /// Empties `table` and indexes every document of `documents` in `txn`: a database that predates the table, or
    /// a repair.
    static func fill(_ table: Database, from documents: Database, in txn: Transaction) throws {
        var stale: [[UInt8]] = []
        try txn.forEach(table) { key, _ in stale.append(Array(key)); return true }
        for key in stale { _ = try txn.delete(table, key: key) }
        try txn.forEach(documents) { key, value in
            guard key.count == 8, let document = Document.decode(id: Layout.documentID(fromKey: key), value) else { return true }
            for key in MetadataKeys.keys(for: document) { try txn.put(table, key: key, value: []) }
            return true
        }
    }
}

/// What `info` shows of one metadata field.
public struct MetadataFieldSummary: Equatable, Sendable {
    public var field: String
    /// Documents that have the field.
    public var documents: Int
    /// Distinct indexed values, by kind ("string", "number", "boolean").
    public var distinctValues: [String: Int]
}

extension Snapshot {
    /// The documents whose metadata satisfy `filter`, from the posting lists, or from `FilterCache` when this
    /// committed state evaluated the same filter recently. Comparing a field with a value of a kind it never holds
    /// (a number field with a string) is an error, not an empty result.
    public func documents(matching filter: MetadataFilter) throws -> DocumentSet {
        guard let table = tables.metadata else { throw VecDBError.needsUpgrade(path: database.path, table: Layout.metadataName) }
        let cacheable = mayCacheReads
        if cacheable, let cached = database.filterCache.matches(filter, snapshot: id) { return cached }
        var evaluation = FilterEvaluation(snapshot: self, table: table, bound: try counter(Layout.nextDocumentKey), cacheable: cacheable)
        let matches = try evaluation.evaluate(filter)
        if cacheable { database.filterCache.store(matches, for: filter, snapshot: id) }
        return matches
    }

    /// Each indexed metadata field: how many documents have it and how many distinct values of each kind it holds.
    public func metadataFields() throws -> [MetadataFieldSummary] {
        guard let table = tables.metadata else { return [] }
        var summaries: [MetadataFieldSummary] = []
        var lastValue: [UInt8]?
        try txn.forEach(table) { key, _ in
            guard key.count >= 10, let zero = key.firstIndex(of: 0), zero + 1 < key.count - 8,
                  let tag = MetadataKeys.Tag(rawValue: key[zero + 1]),
                  let field = String(validating: key[..<zero], as: UTF8.self) else { return true }
            if summaries.last?.field != field {
                summaries.append(MetadataFieldSummary(field: field, documents: 0, distinctValues: [:]))
                lastValue = nil
            }
            let value = Array(key[(zero + 1)..<(key.count - 8)])
            if tag == .present {
                summaries[summaries.count - 1].documents += 1
            } else if value != lastValue {
                let kind = tag == .bool ? "boolean" : (tag == .number ? "number" : "string")
                summaries[summaries.count - 1].distinctValues[kind, default: 0] += 1
                lastValue = value
            }
            return true
        }
        return summaries
    }

    /// The `metadata` table against the documents: a missing or stray posting is a violation, repaired by
    /// rebuilding the table from the documents.
    func metadataViolations() throws -> [Violation] {
        guard let table = tables.metadata else { return [] }
        var expected = Set<[UInt8]>()
        try txn.forEach(tables.documents) { key, value in
            if key.count == 8, let document = Document.decode(id: Layout.documentID(fromKey: key), value) {
                expected.formUnion(MetadataKeys.keys(for: document))
            }
            return true
        }
        var stray: [UInt8]?
        var found = 0
        try txn.forEach(table) { key, _ in
            if expected.contains(Array(key)) { found += 1 } else if stray == nil { stray = Array(key) }
            return true
        }
        var problems: [Violation] = []
        if let stray {
            let id = stray.suffix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            problems.append(Violation(message: "metadata: a posting for document \(id) that its metadata does not hold",
                                      repair: .rebuildMetadata))
        }
        if found < expected.count {
            problems.append(Violation(message: "metadata: \(expected.count - found) postings of the documents' metadata are missing",
                                      repair: .rebuildMetadata))
        }
        return problems
    }
}

/// One filter's evaluation over the posting lists of one snapshot.
private struct FilterEvaluation {
    let snapshot: Snapshot
    let table: Database
    let bound: UInt64
    private var universe: DocumentSet?
    /// Every document's parsed metadata, read once per evaluation by the first `path` condition.
    private var parsedMetadata: [(id: UInt64, metadata: JSONValue)]?
    /// Whether this snapshot's parsed metadata may be kept for later evaluations (a committed, locked read).
    let cacheable: Bool

    init(snapshot: Snapshot, table: Database, bound: UInt64, cacheable: Bool) {
        self.snapshot = snapshot
        self.table = table
        self.bound = bound
        self.cacheable = cacheable
    }

    mutating func evaluate(_ filter: MetadataFilter) throws -> DocumentSet {
        switch filter {
        case let .compare(field, comparison, operand):
            switch comparison {
            case .eq: return try equal(field, operand)
            case .ne: return try allDocuments().subtracting(try equal(field, operand))
            case .gt, .gte, .lt, .lte: return try range(field, comparison, operand)
            }
        case let .oneOf(field, operands, negated):
            var union = DocumentSet(bound: bound)
            for operand in operands { union = union.union(try equal(field, operand)) }
            return negated ? try allDocuments().subtracting(union) : union
        case let .exists(field, flag):
            let present = try postings(MetadataKeys.prefix(field: field, tag: .present))
            return flag ? present : try allDocuments().subtracting(present)
        case .and(let filters):
            guard let first = filters.first else { return try allDocuments() }
            var result = try evaluate(first)
            for filter in filters.dropFirst() where result.count > 0 { result = result.intersection(try evaluate(filter)) }
            return result
        case .or(let filters):
            var result = DocumentSet(bound: bound)
            for filter in filters { result = result.union(try evaluate(filter)) }
            return result
        case .not(let filter):
            return try allDocuments().subtracting(try evaluate(filter))
        case let .path(path, condition):
            if let field = path.field, let answer = try indexed(field, condition) { return answer }
            var result = DocumentSet(bound: bound)
            for (id, metadata) in try allMetadata() where condition.holds(at: path, in: metadata) { result.insert(id) }
            return result
        case .hasID(let externalIDs):
            var result = DocumentSet(bound: bound)
            for externalID in externalIDs {
                if let id = try snapshot.documentID(externalID: externalID), id < bound { result.insert(id) }
            }
            return result
        case let .atLeast(count, filters):
            guard count > 0 else { return try allDocuments() }
            let sets = try filters.map { try evaluate($0) }
            var result = DocumentSet(bound: bound)
            var union = DocumentSet(bound: bound)
            for set in sets { union = union.union(set) }
            for id in union.ids where sets.lazy.filter({ $0.contains(id) }).count >= count { result.insert(id) }
            return result
        }
    }

    /// A path condition on a top-level field that the posting lists answer exactly as reading the metadata would:
    /// equality with one of some values (an array's elements are indexed each), and number ranges, walked once
    /// with every bound tested on each value, so that two values of one array never satisfy a bound each. Nil for
    /// the others (null, emptiness, exclusions and words need the values the table does not index).
    private func indexed(_ field: String, _ condition: PathCondition) throws -> DocumentSet? {
        guard !field.utf8.contains(0) else { return nil }
        switch condition {
        case .oneOf(let values):
            var union = DocumentSet(bound: bound)
            for value in values {
                guard let (tag, bytes) = MetadataKeys.encode(value) else { return nil }
                union = union.union(try postings(MetadataKeys.prefix(field: field, tag: tag) + bytes))
            }
            return union
        case let .range(gt, gte, lt, lte):
            let prefix = MetadataKeys.prefix(field: field, tag: .number)
            let start = [gt, gte].compactMap { $0 }.max().map { prefix + MetadataKeys.orderedBytes($0) } ?? prefix
            var result = DocumentSet(bound: bound)
            try snapshot.txn.forEach(table, from: start) { key, _ in
                guard key.starts(with: prefix) else { return false }
                guard key.count == prefix.count + 16 else { return true }
                let x = MetadataKeys.number(fromOrderedBytes: Array(key[prefix.count..<(prefix.count + 8)])[...])
                if let lt, x >= lt { return false }
                if let lte, x > lte { return false }
                if gt.map({ x > $0 }) ?? true, gte.map({ x >= $0 }) ?? true { insert(key, into: &result) }
                return true
            }
            return result
        default:
            return nil
        }
    }

    /// Each document's metadata (an empty object when it has none), parsed once for every `path` condition of
    /// the filter.
    private mutating func allMetadata() throws -> [(id: UInt64, metadata: JSONValue)] {
        if let parsedMetadata { return parsedMetadata }
        if cacheable, let cached = snapshot.database.parsedMetadata.metadata(snapshot: snapshot.id) {
            parsedMetadata = cached
            return cached
        }
        var all: [(id: UInt64, metadata: JSONValue)] = []
        try snapshot.txn.forEach(snapshot.tables.documents) { key, value in
            guard key.count == 8, let document = Document.decode(id: Layout.documentID(fromKey: key), value) else { return true }
            all.append((document.id, .object(MetadataKeys.metadata(of: document))))
            return true
        }
        parsedMetadata = all
        if cacheable { snapshot.database.parsedMetadata.store(all, snapshot: snapshot.id) }
        return all
    }

    private mutating func allDocuments() throws -> DocumentSet {
        if let universe { return universe }
        var all = DocumentSet(bound: bound)
        try snapshot.txn.forEach(snapshot.tables.documents) { key, _ in
            if key.count == 8 { all.insert(Layout.documentID(fromKey: key)) }
            return true
        }
        universe = all
        return all
    }

    private func equal(_ field: String, _ operand: JSONValue) throws -> DocumentSet {
        let (tag, bytes) = MetadataKeys.encode(operand)!
        try checkKind(field, tag)
        return try postings(MetadataKeys.prefix(field: field, tag: tag) + bytes)
    }

    private func range(_ field: String, _ comparison: MetadataFilter.Comparison, _ operand: JSONValue) throws -> DocumentSet {
        let (tag, bytes) = MetadataKeys.encode(operand)!
        try checkKind(field, tag)
        let prefix = MetadataKeys.prefix(field: field, tag: tag)
        let start = comparison == .gt || comparison == .gte ? prefix + bytes : prefix
        var result = DocumentSet(bound: bound)
        try snapshot.txn.forEach(table, from: start) { key, _ in
            guard key.starts(with: prefix), key.count >= prefix.count + 8 else { return false }
            let order = FilterEvaluation.order(UnsafeRawBufferPointer(rebasing: key[prefix.count..<(key.count - 8)]), bytes)
            switch comparison {
            case .gt where order > 0, .gte where order >= 0, .lt where order < 0, .lte where order <= 0: insert(key, into: &result)
            case .lt, .lte: return false // past the bound: the rest is larger
            default: break
            }
            return true
        }
        return result
    }

    /// The byte order of a posting's value (read in place: a range walks every posting in it) against `bytes`.
    private static func order(_ value: UnsafeRawBufferPointer, _ bytes: [UInt8]) -> Int {
        let common = min(value.count, bytes.count)
        let prefixOrder = common == 0 ? 0 : bytes.withUnsafeBytes { memcmp(value.baseAddress!, $0.baseAddress!, common) }
        if prefixOrder != 0 { return prefixOrder < 0 ? -1 : 1 }
        return value.count == bytes.count ? 0 : (value.count < bytes.count ? -1 : 1)
    }

    /// Refuses comparing `field` with a value of kind `tag` when the field holds indexed values, none of that kind.
    private func checkKind(_ field: String, _ tag: MetadataKeys.Tag) throws {
        let held = try MetadataKeys.Tag.allCases.filter { try $0 != .present && hasKeys(MetadataKeys.prefix(field: field, tag: $0)) }
        guard held.isEmpty || held.contains(tag) else {
            throw VecDBError.invalidFilter(at: field, "the field holds \(held.map(\.plural).joined(separator: " and ")), "
                + "compared with \(tag == .bool ? "a boolean" : (tag == .number ? "a number" : "a string"))")
        }
    }

    private func hasKeys(_ prefix: [UInt8]) throws -> Bool {
        var found = false
        try snapshot.txn.forEach(table, from: prefix) { key, _ in
            found = key.starts(with: prefix)
            return false
        }
        return found
    }

    /// The documents of the keys `prefix` + id.
    private func postings(_ prefix: [UInt8]) throws -> DocumentSet {
        var result = DocumentSet(bound: bound)
        try snapshot.txn.forEach(table, from: prefix) { key, _ in
            // A longer string value shares the prefix: only keys of exactly prefix + id are this value's.
            guard key.starts(with: prefix) else { return false }
            if key.count == prefix.count + 8 { insert(key, into: &result) }
            return true
        }
        return result
    }

    private func insert(_ key: UnsafeRawBufferPointer, into set: inout DocumentSet) {
        let id = UInt64(bigEndian: key.loadUnaligned(fromByteOffset: key.count - 8, as: UInt64.self))
        // A posting past the id counter is damage `check` reports; the filter ignores it.
        if id < set.bound { set.insert(id) }
    }
}
