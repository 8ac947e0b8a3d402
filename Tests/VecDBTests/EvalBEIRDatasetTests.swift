import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// BEIRDataset: BEIR's text convention, and one-line errors naming file:line and field for every bad input.
final class EvalBEIRDatasetTests: XCTestCase {
    let goodCorpus = """
        {"_id": "d1", "title": "Title one", "text": "Text one."}
        {"_id": "d2", "title": "", "text": "Text two."}
        {"_id": 3, "text": "Text three, no title field."}

        """
    let goodQueries = """
        {"_id": "q1", "text": "first question"}
        {"_id": "q2", "text": "second question"}
        {"_id": "q3", "text": "a query without judgements in this split"}

        """
    let goodQrels = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\t3\t2\n"

    /// Writes a BEIR folder; nil leaves a file out.
    func folder(corpus: String? = nil, queries: String? = nil, qrels: String? = nil, split: String = "test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-beir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("qrels"), withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try Data((corpus ?? goodCorpus).utf8).write(to: url.appendingPathComponent("corpus.jsonl"))
        try Data((queries ?? goodQueries).utf8).write(to: url.appendingPathComponent("queries.jsonl"))
        try Data((qrels ?? goodQrels).utf8).write(to: url.appendingPathComponent("qrels/\(split).tsv"))
        return url
    }

    func testLoadsWithBEIRTextConvention() throws {
        let dataset = try BEIRDataset(folder: try folder())
        XCTAssertEqual(dataset.corpus.map(\.id), ["d1", "d2", "3"])
        XCTAssertEqual(dataset.corpus.map(\.text), ["Title one Text one.", "Text two.", "Text three, no title field."])
        // Only queries with judgements in the split are evaluated, in queries.jsonl order.
        XCTAssertEqual(dataset.queries.map(\.id), ["q1", "q2"])
        XCTAssertEqual(dataset.qrels, ["q1": ["d1": 1, "d2": 0], "q2": ["3": 2]])
        XCTAssertEqual(dataset.unknownJudgedDocuments, 0)
    }

    func testCountsJudgedDocumentsMissingFromTheCorpus() throws {
        let dataset = try BEIRDataset(folder: try folder(qrels: goodQrels + "q2\tgone\t1\n"))
        XCTAssertEqual(dataset.unknownJudgedDocuments, 1)
    }

    func assertError(_ expected: String, corpus: String? = nil, queries: String? = nil, qrels: String? = nil,
                     split: String = "test", file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try folder(corpus: corpus, queries: queries, qrels: qrels)
        XCTAssertThrowsError(try BEIRDataset(folder: url, split: split), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(expected), "\(message) should contain \(expected)", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        }
    }

    func testCorpusErrorsNameFileLineAndField() throws {
        try assertError("corpus.jsonl:2: field \"_id\" is missing", corpus: "{\"_id\":\"a\",\"text\":\"x\"}\n{\"text\":\"y\"}\n")
        try assertError("corpus.jsonl:1: field \"text\" must be a string", corpus: "{\"_id\":\"a\",\"text\":5}\n")
        try assertError("corpus.jsonl:1: field \"text\" is missing", corpus: "{\"_id\":\"a\",\"title\":\"t\"}\n")
        try assertError("corpus.jsonl:1: field \"title\" must be a string", corpus: "{\"_id\":\"a\",\"title\":[],\"text\":\"x\"}\n")
        try assertError("corpus.jsonl:2: not valid JSON", corpus: "{\"_id\":\"a\",\"text\":\"x\"}\n{\"_id\":\n")
        try assertError("corpus.jsonl:1: a JSON object is expected", corpus: "[1, 2]\n")
        try assertError("corpus.jsonl:2: field \"_id\" \"a\" appears twice", corpus: "{\"_id\":\"a\",\"text\":\"x\"}\n{\"_id\":\"a\",\"text\":\"y\"}\n")
        try assertError("corpus.jsonl:1: field \"_id\" must be a non-empty string or a number", corpus: "{\"_id\":\"\",\"text\":\"x\"}\n")
        try assertError("corpus.jsonl:1: fields \"title\" and \"text\" are both empty", corpus: "{\"_id\":\"a\",\"title\":\"\",\"text\":\" \"}\n")
        try assertError("corpus.jsonl: no documents", corpus: "\n")
    }

    func testQueryErrors() throws {
        try assertError("queries.jsonl:2: field \"text\" is missing", queries: "{\"_id\":\"q1\",\"text\":\"a\"}\n{\"_id\":\"q2\"}\n")
        try assertError("queries.jsonl:1: field \"text\" is empty", queries: "{\"_id\":\"q1\",\"text\":\"\"}\n")
        try assertError("queries.jsonl:2: field \"_id\" \"q1\" appears twice",
                        queries: "{\"_id\":\"q1\",\"text\":\"a\"}\n{\"_id\":\"q1\",\"text\":\"b\"}\n")
    }

    func testQrelsErrors() throws {
        try assertError("qrels/test.tsv:1: the header must be", qrels: "q1\td1\t1\n")
        try assertError("qrels/test.tsv:3: field \"score\" \"high\" is not an integer",
                        qrels: "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\thigh\n")
        try assertError("qrels/test.tsv:2: expected 3 tab-separated fields (query-id, corpus-id, score), found 2",
                        qrels: "query-id\tcorpus-id\tscore\nq1 d1\t1\n")
        try assertError("qrels/test.tsv:2: field \"corpus-id\" is empty", qrels: "query-id\tcorpus-id\tscore\nq1\t\t1\n")
        try assertError("qrels/test.tsv:2: field \"query-id\" \"q9\" is not in queries.jsonl",
                        qrels: "query-id\tcorpus-id\tscore\nq9\td1\t1\n")
        try assertError("qrels/test.tsv:3: query \"q1\" judges document \"d1\" twice",
                        qrels: "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td1\t0\n")
        try assertError("qrels/test.tsv: no judgements", qrels: "query-id\tcorpus-id\tscore\n")
    }

    func testMissingFilesAndSplits() throws {
        try assertError("dev.tsv: no such file (splits here: test)", split: "dev")
        let url = try folder()
        try FileManager.default.removeItem(at: url.appendingPathComponent("corpus.jsonl"))
        XCTAssertThrowsError(try BEIRDataset(folder: url)) { error in
            XCTAssertTrue("\(error)".contains("corpus.jsonl: no such file (expected a BEIR folder"), "\(error)")
        }
    }
}
