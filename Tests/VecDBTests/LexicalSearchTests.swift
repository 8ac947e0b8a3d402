import Foundation
import Lexical
import LMDB
import SeededRandom
@testable import VecDB
import XCTest

/// The lexical space: BM25 scores and rankings equal bm25s's (Fixtures/bm25, made by bm25s), and a brute-force BM25
/// written here under random ingest, upsert and delete, with `check` clean after every batch; damage found and
/// repaired; queries with no known term match nothing; the format version follows what the database holds.
final class LexicalSearchTests: XCTestCase {
    private struct Expected: Decodable {
        struct Setting: Decodable {
            var k1: Double
            var b: Double
            var queries: [String: Query]
        }
        struct Query: Decodable {
            var terms: [String]
            var top15: [[Entry]]
        }
        /// `[id, score]` pairs.
        enum Entry: Decodable {
            case id(String), score(Double)
            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let text = try? container.decode(String.self) { self = .id(text) } else { self = .score(try container.decode(Double.self)) }
            }
        }
        var settings: [Setting]
    }

    private static func jsonLines(_ name: String) throws -> [[String: String]] {
        try String(decoding: fixture(name), as: UTF8.self).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: String]
        }
    }

    func testScoresAndRankingsEqualBM25s() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: fixture("bm25/expected.json"))
        let corpus = try LexicalSearchTests.jsonLines("bm25/corpus.jsonl")
        let queries = try LexicalSearchTests.jsonLines("bm25/queries.jsonl")
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.write { batch in
            for (position, document) in corpus.enumerated() {
                let text = document["title"]!.isEmpty ? document["text"]! : document["title"]! + " " + document["text"]!
                let (id, _) = try batch.putDocument(text: text, externalID: document["_id"]!, metadataJSON: nil)
                XCTAssertEqual(id, UInt64(position))
            }
            for (index, setting) in expected.settings.enumerated() {
                try batch.createLexicalCollection(name: "bm25-\(index)", settings: LexicalSettings(k1: setting.k1, b: setting.b))
                for id in 0..<UInt64(corpus.count) { try batch.putTerms(collection: "bm25-\(index)", document: id) }
            }
        }
        XCTAssertEqual(try db.check(), [])
        try db.read { snapshot in
            for (index, setting) in expected.settings.enumerated() {
                for query in queries {
                    let want = setting.queries[query["_id"]!]!
                    XCTAssertEqual(LexicalSettings(k1: setting.k1, b: setting.b).analyzer.terms(query["text"]!), want.terms, query["_id"]!)
                    for mode in [SearchMode.automatic, .exact] {
                        let hits = try snapshot.searchText(query["text"]!, collection: "bm25-\(index)", k: 15, mode: mode).hits
                        let label = "\(query["_id"]!) k1 \(setting.k1) b \(setting.b) \(mode.name)"
                        XCTAssertEqual(hits.map { $0.document.externalID! }, want.top15.map { entry -> String in
                            guard case .id(let id) = entry[0] else { fatalError() }
                            return id
                        }, label)
                        for (hit, entry) in zip(hits, want.top15) {
                            guard case .score(let score) = entry[1] else { fatalError() }
                            XCTAssertEqual(Double(hit.score), score, accuracy: score * 1e-6, label)
                        }
                    }
                }
            }
        }
    }

    // MARK: The oracle: BM25 computed from the texts directly.

    /// Texts of single-space-separated lowercase words, analysed with no stemmer and no stopwords, so that the
    /// oracle's terms are the words.
    private static let plain = LexicalSettings(stemmer: .none, stopwords: .none, k1: 1.1, b: 0.6)

    private static func oracle(_ documents: [UInt64: String], query: String, k: Int, settings: LexicalSettings) -> [(id: UInt64, score: Double)] {
        let words = documents.mapValues { $0.split(separator: " ").map(String.init) }
        let total = words.values.map(\.count).reduce(0, +)
        let n = Double(documents.count)
        let average = Double(total) / n
        let queryWords = query.split(separator: " ").map(String.init)
        var scores: [(id: UInt64, score: Double)] = []
        for (id, terms) in words {
            var score = 0.0
            var matched = false
            var seen = Set<String>()
            for word in queryWords where seen.insert(word).inserted {
                let tf = Double(terms.filter { $0 == word }.count)
                guard tf > 0 else { continue }
                matched = true
                let df = Double(words.values.filter { $0.contains(word) }.count)
                let weight = log(1 + (n - df + 0.5) / (df + 0.5)) * Double(queryWords.filter { $0 == word }.count)
                let relativeLength: Double = Double(terms.count) / average
                let norm: Double = settings.k1 * (1 - settings.b + settings.b * relativeLength)
                score += weight * tf / (tf + norm)
            }
            if matched { scores.append((id, score)) }
        }
        return Array(scores.sorted { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }.prefix(k))
    }

    func testRandomWritesKeepPostingsExactAndSearchEqualToTheOracle() throws {
        var random = SplitMix64(seed: 13)
        // Few distinct words, so common ones hold hundreds of postings: many blocks, split and emptied.
        let vocabulary = (0..<60).map { "w\($0)" } + ["é", "straße", "日本", "x9"]
        func text() -> String {
            (0..<Int.random(in: 1...30, using: &random)).map { _ in
                // Zipf-like: low indexes are common.
                vocabulary[min(vocabulary.count - 1, Int(pow(Double.random(in: 0..<1, using: &random), 2.5) * Double(vocabulary.count)))]
            }.joined(separator: " ")
        }
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var live: [String: String] = [:]  // external id → text
        var nextName = 0
        for round in 0..<25 {
            try db.write { batch in
                if round == 0 { try batch.createLexicalCollection(name: "bm25", settings: LexicalSearchTests.plain) }
                for _ in 0..<Int.random(in: 20...160, using: &random) {
                    let action = Int.random(in: 0..<10, using: &random)
                    if action < 6 || live.isEmpty {
                        let name = "d\(nextName)"
                        nextName += 1
                        live[name] = text()
                        let (id, _) = try batch.putDocument(text: live[name]!, externalID: name, metadataJSON: nil)
                        try batch.putTerms(collection: "bm25", document: id)
                    } else if action < 8 {
                        // An upsert with new text: the old postings go, the new come, under the same id.
                        let name = live.keys.sorted()[Int.random(in: 0..<live.count, using: &random)]
                        live[name] = text()
                        let (id, _) = try batch.putDocument(text: live[name]!, externalID: name, metadataJSON: nil)
                        try batch.putTerms(collection: "bm25", document: id)
                    } else {
                        let name = live.keys.sorted()[Int.random(in: 0..<live.count, using: &random)]
                        live[name] = nil
                        XCTAssertTrue(try batch.deleteDocument(id: try batch.documentID(externalID: name)!))
                    }
                }
            }
            XCTAssertEqual(try db.check(), [], "round \(round)")
            try db.read { snapshot in
                var byID: [UInt64: String] = [:]
                for (name, text) in live { byID[try snapshot.documentID(externalID: name)!] = text }
                XCTAssertEqual(snapshot.collection(named: "bm25")?.count, live.count)
                for _ in 0..<8 {
                    let query = (0..<Int.random(in: 1...5, using: &random)).map { _ in vocabulary.randomElement(using: &random)! }
                        .joined(separator: " ")
                    let k = [1, 10, 50][Int.random(in: 0..<3, using: &random)]
                    let want = LexicalSearchTests.oracle(byID, query: query, k: k, settings: LexicalSearchTests.plain)
                    for mode in [SearchMode.automatic, .exact] {
                        let got = try snapshot.nearestText(query, collection: "bm25", k: k, mode: mode)
                        XCTAssertEqual(got.map(\.id), want.map(\.id), "round \(round) '\(query)' \(mode.name)")
                        for (g, w) in zip(got, want) { XCTAssertEqual(Double(g.score), w.score, accuracy: w.score * 1e-6) }
                    }
                }
            }
        }
    }

    func testQueriesWithoutKnownTermsMatchNothing() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.write { batch in
            try batch.createLexicalCollection(name: "bm25", settings: .anserini)
            for text in ["The cat sat on the mat.", "A dog ran in the park."] {
                try batch.putTerms(collection: "bm25", document: try batch.putDocument(text: text, externalID: nil, metadataJSON: nil).id)
            }
        }
        for query in ["the of and to it is", "", "xylophone", "?!"] {
            XCTAssertEqual(try db.read { try $0.searchText(query, collection: "bm25", k: 10).hits.count }, 0, query)
        }
        XCTAssertEqual(try db.read { try $0.searchText("cats sitting", collection: "bm25", k: 10).hits.map(\.document.id) }, [0])
    }

    func testDamagedPostingsAreFoundAndRebuilt() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.write { batch in
            try batch.createLexicalCollection(name: "bm25", settings: .anserini)
            for i in 0..<300 {
                let id = try batch.putDocument(text: "common word \(i) and rare\(i % 7) entry", externalID: nil, metadataJSON: nil).id
                try batch.putTerms(collection: "bm25", document: id)
            }
        }
        let before = try db.read { try $0.nearestText("common rare3", collection: "bm25", k: 20) }
        // Lose one block of "common" and skew a header: what a bug in the write path would leave.
        try db.write { batch in
            let table = batch.tables.postings!
            let termKey = Layout.termKey(collection: batch.collection(named: "bm25")!.id, term: Array("common".utf8))
            var blockKey: [UInt8]?
            try batch.txn.forEach(table, from: termKey + [0]) { key, _ in
                blockKey = Array(key)
                return false
            }
            XCTAssertTrue(try batch.txn.delete(table, key: blockKey!))
            let rare = Layout.termKey(collection: batch.collection(named: "bm25")!.id, term: Array("rare3".utf8))
            var header = try batch.txn.withValue(table, key: rare) { TermStatistics(decoding: $0!)! }
            header.documentFrequency += 5
            try batch.txn.put(table, key: rare, value: header.encoded())
        }
        let problems = try db.check()
        XCTAssertTrue(problems.contains { $0.contains("'common'") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("'rare3' says 48 documents, has 43") }, "\(problems)")
        let report = try db.repair()
        XCTAssertEqual(report.remaining, [])
        XCTAssertTrue(report.repaired.allSatisfy { $0.hasSuffix("postings rebuilt from the documents") }, "\(report.repaired)")
        XCTAssertEqual(try db.read { try $0.nearestText("common rare3", collection: "bm25", k: 20) }.map(\.id), before.map(\.id))
    }

    func testFormatVersionIsTwoOnlyOnceALexicalCollectionExists() throws {
        let path = temporaryDatabasePath(self)
        let db = try VectorDatabase(path: path, create: true)
        try db.write { try $0.createCollection(name: "raw", model: "none", weightsSHA256: "", dimensions: 2, pooling: "mean",
                                               prompt: "raw", maxTokens: 0) }
        XCTAssertEqual(try db.read { try $0.formatVersion() }, 1, "an older build can still read a database without lexical collections")
        try db.write { try $0.createLexicalCollection(name: "bm25", settings: .anserini) }
        XCTAssertEqual(try db.read { try $0.formatVersion() }, 2)
        XCTAssertEqual(try db.check(), [])
        XCTAssertThrowsError(try db.write { try $0.putVector([1, 0], collection: "bm25", document: 0) })
        XCTAssertThrowsError(try db.read { try $0.search(collection: "bm25", query: [1, 0], k: 1) })
        XCTAssertThrowsError(try db.write { try $0.createLexicalCollection(name: "bad", settings: LexicalSettings(b: 2)) })
    }

    func testFilteredLexicalSearchKeepsOnlyMatches() throws {
        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        try db.write { batch in
            try batch.createLexicalCollection(name: "bm25", settings: .anserini)
            for i in 0..<200 {
                let id = try batch.putDocument(text: "solar power panel \(i % 5 == 0 ? "solar" : "")", externalID: "d\(i)",
                                               metadataJSON: #"{"year": \#(2000 + i % 30)}"#).id
                try batch.putTerms(collection: "bm25", document: id)
            }
        }
        let filter = try MetadataFilter(json: #"{"year": {"$gte": 2025}}"#)
        let hits = try db.read { try $0.searchText("solar", collection: "bm25", k: 50, filter: filter).hits }
        // Years 2025–2029: i mod 30 in 25…29, six times below 200.
        XCTAssertEqual(hits.count, 30)
        for hit in hits {
            let metadata = try JSONSerialization.jsonObject(with: Data(hit.document.metadataJSON!.utf8)) as! [String: Any]
            XCTAssertGreaterThanOrEqual(metadata["year"] as! Int, 2025)
        }
        // The six with "solar" twice rank first.
        XCTAssertTrue(hits.prefix(6).allSatisfy { $0.document.text.hasSuffix("solar") })
        XCTAssertFalse(hits[6].document.text.hasSuffix("solar"))
    }
}
