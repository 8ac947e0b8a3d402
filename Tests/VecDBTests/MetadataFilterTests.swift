import Foundation
import Index
import TestSupport
import VecDB
import XCTest

/// Metadata filters: every operator against a brute-force oracle written here (not the store's posting lists), the
/// index kept exact under random writes, filtered search equal to the exact filtered answer, bad filters refused.
final class MetadataFilterTests: XCTestCase {
    // MARK: The oracle: the filter language's meaning, evaluated directly on each document's metadata.

    private typealias Metadata = [String: Any]

    private static func values(_ metadata: Metadata, _ field: String) -> [Any]? {
        guard let value = metadata[field] else { return nil }
        return (value as? [Any]) ?? [value]
    }

    /// -1, 0, 1, or nil when the two are of different kinds (then no comparison holds).
    private static func order(_ a: Any, _ b: Any) -> Int? {
        switch (a, b) {
        case let (x as Bool, y as Bool): return x == y ? 0 : (x ? 1 : -1)
        case let (x as Double, y as Double): return x < y ? -1 : (x > y ? 1 : 0)
        case let (x as String, y as String):
            let (p, q) = (Array(x.utf8), Array(y.utf8))
            return p == q ? 0 : (p.lexicographicallyPrecedes(q) ? -1 : 1)
        default: return nil
        }
    }

    private static func oracle(_ filter: Any, _ metadata: Metadata) -> Bool {
        let object = filter as! [String: Any]
        return object.allSatisfy { key, operand in
            switch key {
            case "$and": return (operand as! [Any]).allSatisfy { oracle($0, metadata) }
            case "$or": return (operand as! [Any]).contains { oracle($0, metadata) }
            case "$not": return !oracle(operand, metadata)
            default:
                let held = values(metadata, key)
                guard let operators = operand as? [String: Any] else {
                    return held?.contains { order($0, operand) == 0 } ?? false
                }
                return operators.allSatisfy { op, value in
                    switch op {
                    case "$eq": return held?.contains { order($0, value) == 0 } ?? false
                    case "$ne": return !(held?.contains { order($0, value) == 0 } ?? false)
                    case "$gt": return held?.contains { order($0, value).map { $0 > 0 } ?? false } ?? false
                    case "$gte": return held?.contains { order($0, value).map { $0 >= 0 } ?? false } ?? false
                    case "$lt": return held?.contains { order($0, value).map { $0 < 0 } ?? false } ?? false
                    case "$lte": return held?.contains { order($0, value).map { $0 <= 0 } ?? false } ?? false
                    case "$in": return held?.contains { h in (value as! [Any]).contains { order(h, $0) == 0 } } ?? false
                    case "$nin": return !(held?.contains { h in (value as! [Any]).contains { order(h, $0) == 0 } } ?? false)
                    case "$exists": return (metadata[key] != nil) == (value as! Bool)
                    default: fatalError(op)
                    }
                }
            }
        }
    }

    // MARK: Random data

    /// Fields with fixed kinds (so no comparison mixes kinds), a few values each, some missing, some arrays.
    private struct Generator {
        var random: SplitMix64
        let colours = ["red", "green", "blue", "Grün", "blue-green"]

        mutating func int(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }

        mutating func metadata() -> Metadata {
            var m: Metadata = [:]
            if int(5) > 0 { m["year"] = Double(2000 + int(25)) }
            if int(4) > 0 { m["score"] = Double(int(200) - 100) / 8 }
            if int(3) > 0 { m["colour"] = colours[int(colours.count)] }
            if int(3) == 0 { m["tags"] = (0..<int(4)).map { _ in colours[int(colours.count)] } }
            if int(2) == 0 { m["draft"] = int(2) == 0 }
            if int(6) == 0 { m["note"] = NSNull() }
            return m
        }

        mutating func condition() -> [String: Any] {
            let field = ["year", "score", "colour", "tags", "draft", "note"][int(6)]
            func value() -> Any {
                switch field {
                case "year": return Double(2000 + int(26))
                case "score": return Double(int(200) - 100) / 8
                case "draft": return int(2) == 0
                default: return colours[int(colours.count)]
                }
            }
            if field == "note" || int(8) == 0 { return [field: ["$exists": int(2) == 0]] }
            let ops = field == "draft" ? ["$eq", "$ne", "$in", "$nin", "plain"]
                : ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "plain"]
            let op = ops[int(ops.count)]
            switch op {
            case "plain": return [field: value()]
            case "$in", "$nin": return [field: [op: (0..<int(4)).map { _ in value() }]]
            default: return [field: [op: value()]]
            }
        }

        mutating func filter(depth: Int = 0) -> [String: Any] {
            switch depth < 3 ? int(6) : 0 {
            case 1: return ["$and": (0..<(1 + int(3))).map { _ in filter(depth: depth + 1) }]
            case 2: return ["$or": (0..<(1 + int(3))).map { _ in filter(depth: depth + 1) }]
            case 3: return ["$not": filter(depth: depth + 1)]
            case 4:
                var both = condition()
                for (key, value) in condition() where both[key] == nil { both[key] = value }
                return both
            default: return condition()
            }
        }
    }

    private func json(_ object: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// Stores `count` documents with random metadata and random 8-d unit vectors in collection "raw".
    private func populate(_ db: VectorDatabase, count: Int, generator: inout Generator, index: Bool) throws -> [UInt64: Metadata] {
        try db.createRawCollection(name: "raw", dimensions: 8, index: index ? HNSWParameters(M: 8, efConstruction: 64) : nil)
        var stored: [UInt64: Metadata] = [:]
        try db.write { batch in
            for i in 0..<count {
                let metadata = generator.metadata()
                let (id, _) = try batch.putDocument(text: "document \(i)", externalID: "d\(i)",
                                                    metadataJSON: metadata.isEmpty ? nil : try json(metadata))
                var vector = (0..<8).map { _ in Float(generator.random.gaussian()) }
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                vector = vector.map { $0 / norm }
                try batch.putVector(vector, collection: "raw", document: id)
                stored[id] = metadata
            }
        }
        return stored
    }

    private func matching(_ filter: [String: Any], _ stored: [UInt64: Metadata]) -> Set<UInt64> {
        Set(stored.filter { MetadataFilterTests.oracle(filter, $0.value) }.keys)
    }

    // MARK: Tests

    func testEveryOperatorAgreesWithTheOracleOnRandomFilters() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 13))
        let stored = try populate(db, count: 600, generator: &generator, index: false)
        var nonEmpty = 0
        for trial in 0..<400 {
            let filter = generator.filter()
            let text = try json(filter)
            let expected = matching(filter, stored)
            let found = try db.read { try $0.documents(matching: try MetadataFilter(json: text)) }
            XCTAssertEqual(Set(found.ids), expected, "trial \(trial): \(text)")
            if !expected.isEmpty && expected.count < stored.count { nonEmpty += 1 }
        }
        // The random filters must exercise real selections, not only all-or-nothing ones.
        XCTAssertGreaterThan(nonEmpty, 200)
    }

    func testIndexStaysExactUnderRandomUpsertsAndDeletes() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 99))
        var stored = try populate(db, count: 200, generator: &generator, index: false)
        for round in 0..<30 {
            try db.write { batch in
                for _ in 0..<10 {
                    let i = generator.int(260)
                    if generator.int(4) == 0, let id = try batch.documentID(externalID: "d\(i)") {
                        try batch.deleteDocument(id: id)
                        stored[id] = nil
                    } else {
                        let metadata = generator.metadata()
                        let text = generator.int(2) == 0 ? "document \(i)" : "document \(i) revised \(round)"
                        let (id, _) = try batch.putDocument(text: text, externalID: "d\(i)",
                                                            metadataJSON: metadata.isEmpty ? nil : try json(metadata))
                        stored[id] = metadata
                    }
                }
            }
            XCTAssertEqual(try db.check(), [], "round \(round)")
        }
        for _ in 0..<100 {
            let filter = generator.filter()
            let text = try json(filter)
            let found = try db.read { try $0.documents(matching: try MetadataFilter(json: text)) }
            XCTAssertEqual(Set(found.ids), matching(filter, stored), text)
        }
    }

    func testFilteredIndexSearchEqualsTheExactFilteredAnswerAtHighEf() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 5))
        let stored = try populate(db, count: 3_000, generator: &generator, index: true)
        for filter in [["colour": "blue"], ["year": ["$lt": 2003.0]], ["$not": ["draft": true]], ["tags": ["$in": ["red", "Grün"]]]] as [[String: Any]] {
            let text = try json(filter)
            let parsed = try MetadataFilter(json: text)
            let expectedIDs = matching(filter, stored)
            XCTAssertGreaterThan(expectedIDs.count, 10)
            for _ in 0..<20 {
                var query = (0..<8).map { _ in Float(generator.random.gaussian()) }
                let norm = query.reduce(0) { $0 + $1 * $1 }.squareRoot()
                query = query.map { $0 / norm }
                let exact = try db.nearest(collection: "raw", query: query, k: 10, mode: .exact, filter: parsed)
                let indexed = try db.nearest(collection: "raw", query: query, k: 10, mode: .index(ef: 400), filter: parsed)
                XCTAssertEqual(exact.count, 10)
                XCTAssertTrue(exact.allSatisfy { expectedIDs.contains($0.id) })
                XCTAssertEqual(indexed.map(\.id), exact.map(\.id), text)
            }
        }
        // Nothing matches: an empty answer, from every path.
        let none = try MetadataFilter(json: #"{"colour": "purple"}"#)
        XCTAssertEqual(try db.nearest(collection: "raw", query: [1, 0, 0, 0, 0, 0, 0, 0], k: 10, mode: .index(ef: 50), filter: none).count, 0)
        XCTAssertEqual(try db.nearest(collection: "raw", query: [1, 0, 0, 0, 0, 0, 0, 0], k: 10, filter: none).count, 0)
    }

    func testDeletedDocumentsNeverCountTowardK() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 21))
        let stored = try populate(db, count: 2_000, generator: &generator, index: true)
        let blue = stored.filter { ($0.value["colour"] as? String) == "blue" }.keys.sorted()
        try db.delete(ids: Array(blue.prefix(blue.count - 12)))
        let filter = try MetadataFilter(json: #"{"colour": "blue"}"#)
        let found = try db.nearest(collection: "raw", query: [1, 0, 0, 0, 0, 0, 0, 0], k: 10, mode: .index(ef: 64), filter: filter)
        XCTAssertEqual(found.count, 10)
        XCTAssertTrue(found.allSatisfy { blue.suffix(12).contains($0.id) })
    }

    func testBadFiltersAreOneLineErrorsNamingWhere() throws {
        let cases: [(String, String)] = [
            (#"{"year": {"$gt": 1}"#, "invalid filter at character 20: expected ',' or '}'"),
            (#"{"year": {"$around": 1}}"#, "invalid filter at year.$around: unknown operator"),
            (#"{"$xor": []}"#, "invalid filter at $xor: unknown operator"),
            (#"{"year": [1, 2]}"#, "invalid filter at year: expected a string, number or boolean, found an array"),
            (#"{"year": {"$gt": true}}"#, "invalid filter at year.$gt: expected a number or a string, found a boolean"),
            (#"{"$and": [{"a": 1}, 7]}"#, "invalid filter at $and[1]: expected an object, found a number"),
            (#"{"a": {"$in": 3}}"#, "invalid filter at a.$in: expected an array"),
            ("[1]", "invalid filter at the top: expected an object, found an array"),
            (String(repeating: #"{"$not": "#, count: 40) + "{}" + String(repeating: "}", count: 40),
             "invalid filter at character 289: expected at most 32 nested arrays and objects"),
            (#"{"a": ""# + String(repeating: "x", count: 1 << 20) + #""}"#, "invalid filter at the filter: is 1048585 bytes; at most 65536 are accepted"),
        ]
        for (text, message) in cases {
            XCTAssertThrowsError(try MetadataFilter(json: text)) { error in
                let line = "\(error)"
                XCTAssertTrue(line.hasPrefix(message), "\(line.prefix(200)) does not start with \(message)")
                XCTAssertFalse(line.contains("\n"))
            }
        }
        // A comparison of kinds the field never holds is an error, not an empty answer; nothing is deleted.
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 3))
        _ = try populate(db, count: 50, generator: &generator, index: false)
        XCTAssertThrowsError(try db.delete(where: try MetadataFilter(json: #"{"year": "2020"}"#))) { error in
            XCTAssertEqual("\(error)", "invalid filter at year: the field holds numbers, compared with a string")
        }
        XCTAssertEqual(try db.documentCount(), 50)
    }

    func testFieldSummariesCountDocumentsAndDistinctValues() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var generator = Generator(random: SplitMix64(seed: 8))
        let stored = try populate(db, count: 100, generator: &generator, index: false)
        let fields = try db.read { try $0.metadataFields() }
        XCTAssertEqual(fields.map(\.field), ["colour", "draft", "note", "score", "tags", "year"])
        XCTAssertEqual(fields.first { $0.field == "year" }?.distinctValues,
                       ["number": Set(stored.values.compactMap { $0["year"] as? Double }).count])
        XCTAssertEqual(fields.first { $0.field == "year" }?.documents, stored.values.filter { $0["year"] != nil }.count)
        XCTAssertEqual(fields.first { $0.field == "note" }?.distinctValues, [:])
    }

    /// A filter evaluated in one snapshot is reused only for that snapshot: a commit in between is seen.
    func testCachedFilterResultsFollowCommits() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        let filter = try MetadataFilter(json: #"{"lang": "en"}"#)
        func put(_ text: String, _ lang: String) throws {
            try db.write { _ = try $0.putDocument(text: text, externalID: text, metadataJSON: #"{"lang": "\#(lang)"}"#) }
        }
        try put("one", "en")
        try put("two", "de")
        XCTAssertEqual(try db.read { try $0.documents(matching: filter).ids }, [0])
        XCTAssertEqual(try db.read { try $0.documents(matching: filter).ids }, [0], "the same state: from the cache")
        try put("three", "en")
        XCTAssertEqual(try db.read { try $0.documents(matching: filter).ids }, [0, 2])
        try db.write { batch in
            try batch.deleteDocument(id: 0)
            // Inside the batch the filter sees the batch's own delete.
            XCTAssertEqual(try batch.documents(matching: filter).ids, [2])
        }
        XCTAssertEqual(try db.read { try $0.documents(matching: filter).ids }, [2])
        let other = try MetadataFilter(json: #"{"lang": "de"}"#)
        XCTAssertEqual(try db.read { try $0.documents(matching: other).ids }, [1])
    }

    /// Path conditions (nested keys, nulls, emptiness) read the parsed metadata of the snapshot, reused while no
    /// commit intervenes and read again after one; top-level equality and ranges come from the posting lists, a
    /// range over an array needing one value within every bound (Qdrant's semantics, checked against its
    /// reference in Tests/Qdrant).
    func testPathConditionsFollowCommits() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        func put(_ id: String, _ json: String) throws {
            try db.write { _ = try $0.putDocument(text: "", externalID: id, metadataJSON: json) }
        }
        try put("a", #"{"meta": {"group": "x"}, "n": [1, 10]}"#)
        try put("b", #"{"meta": {"group": null}, "n": 4}"#)
        try put("c", #"{"tags": []}"#)
        let group = MetadataFilter.path(try MetadataPath("meta.group"), .oneOf([.string("x")]))
        let null = MetadataFilter.path(try MetadataPath("meta.group"), .isNull)
        let empty = MetadataFilter.path(try MetadataPath("tags"), .isEmpty)
        let between = MetadataFilter.path(MetadataPath(field: "n"), .range(greaterThan: 2, atLeast: nil, lessThan: 5, atMost: nil))
        XCTAssertEqual(try db.read { try $0.documents(matching: group).ids }, [0])
        XCTAssertEqual(try db.read { try $0.documents(matching: null).ids }, [1])
        XCTAssertEqual(try db.read { try $0.documents(matching: empty).ids }, [0, 1, 2], "missing, or []")
        XCTAssertEqual(try db.read { try $0.documents(matching: between).ids }, [1], "[1, 10] has no value in (2, 5)")
        XCTAssertEqual(try db.read { try $0.documents(matching: .and([])).ids }, [0, 1, 2])
        XCTAssertEqual(try db.read { try $0.documents(matching: .atLeast(2, [group, between, empty])).ids }, [0, 1])
        try put("b", #"{"meta": {"group": "x"}, "n": 4}"#)
        XCTAssertEqual(try db.read { try $0.documents(matching: group).ids }, [0, 1], "the commit is seen")
        XCTAssertEqual(try db.read { try $0.documents(matching: null).ids }, [])
        XCTAssertThrowsError(try MetadataPath("meta.")) { XCTAssertTrue("\($0)".contains("character 6"), "\($0)") }
        XCTAssertEqual(try MetadataPath("a[].\"b.c\"[2]").steps, [.key("a"), .everyElement, .key("b.c"), .element(2)])
    }
}
