import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

final class InputReaderTests: XCTestCase {
    private func reader(_ bytes: [UInt8], name: String = "input.txt", format: InputReader.Format? = nil) throws -> InputReader {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return try InputReader(path: url.path, format: format)
    }

    private func all(_ reader: InputReader) throws -> [IngestRecord] {
        var records: [IngestRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    func testCRLFBlankLinesAndMissingFinalNewline() throws {
        let input = try reader(Array("first\r\n\r\n  \t\nsecond\r\nthird".utf8))
        let records = try all(input)
        XCTAssertEqual(records.map(\.text), ["first", "second", "third"])
        XCTAssertEqual(records.map(\.line), [1, 4, 5])
        XCTAssertEqual(input.blankLines, 2)
        XCTAssertEqual(input.lineNumber, 5)
    }

    /// Validation reads a file through once, keeping none of it, then serves it again from the first line: the
    /// same records, line numbers and blank count as a reader that never validated, and the line count known.
    func testValidatedFileIsServedAgainFromItsFirstLine() throws {
        let bytes = Array("{\"id\": 1, \"text\": \"first\"}\n\n{\"text\": \"second\", \"tag\": \"x\"}\r\n   \n{\"text\": \"third\"}".utf8)
        let plain = try all(try reader(bytes, name: "a.jsonl"))
        let validated = try reader(bytes, name: "a.jsonl")
        try validated.validateAll()
        XCTAssertEqual(validated.totalLines, 5)
        XCTAssertFalse(try validated.hasNoRecords())
        let served = try all(validated)
        XCTAssertEqual(served.map(\.text), plain.map(\.text))
        XCTAssertEqual(served.map(\.line), [1, 3, 5])
        XCTAssertEqual(served.map(\.externalID), ["1", nil, nil])
        XCTAssertEqual(served.map(\.metadataJSON), plain.map(\.metadataJSON))
        XCTAssertEqual(validated.blankLines, 2)
        XCTAssertEqual(validated.lineNumber, 5)
    }

    /// A named pipe cannot be read twice: it is validated in memory and served the same way.
    func testValidatedPipeIsServedFromMemory() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).txt").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        addTeardownBlock { unlink(path) }
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: path)!
            handle.write(Data("one\ntwo\n".utf8))
            try? handle.close()
        }
        writer.start()
        let input = try InputReader(path: path, format: nil)
        try input.validateAll()
        XCTAssertEqual(try all(input).map(\.text), ["one", "two"])
        XCTAssertEqual(input.totalLines, 2)
    }

    func testInvalidUTF8NamesTheLineAndIsNotRepaired() throws {
        let input = try reader(Array("good\nalso good\n".utf8) + [0x66, 0xC3, 0x28, 0x0A])
        XCTAssertThrowsError(try input.validateAll()) { error in
            XCTAssertTrue("\(error)".hasSuffix("input.txt:3: invalid UTF-8"), "\(error)")
        }
    }

    func testNULByteIsABinaryFileError() throws {
        let input = try reader([0x7F, 0x45, 0x4C, 0x46, 0x00, 0x01])
        XCTAssertThrowsError(try input.validateAll()) { error in
            XCTAssertTrue("\(error)".contains(":1: contains a NUL byte"), "\(error)")
        }
    }

    func testMissingFileAndFolder() {
        XCTAssertThrowsError(try InputReader(path: "/nonexistent/answers.txt", format: nil)) { error in
            XCTAssertEqual("\(error)", "/nonexistent/answers.txt: no such file")
        }
        XCTAssertThrowsError(try InputReader(path: NSTemporaryDirectory(), format: nil)) { error in
            XCTAssertTrue("\(error)".hasSuffix("is a folder, not a file"))
        }
    }

    func testOneMegabyteLine() throws {
        let long = String(repeating: "word ", count: 200_000)
        let records = try all(try reader(Array((long + "\nshort\n").utf8)))
        XCTAssertEqual(records.map(\.text.utf8.count), [1_000_000, 5])
    }

    func testJSONLinesFieldsAndErrors() throws {
        let good = """
            {"id": "a1", "text": "alpha", "source": "x", "n": 2}
            {"text": "beta"}
            {"id": 7, "text": "gamma"}
            """
        let records = try all(try reader(Array(good.utf8), name: "docs.jsonl"))
        XCTAssertEqual(records.map(\.text), ["alpha", "beta", "gamma"])
        XCTAssertEqual(records.map(\.externalID), ["a1", nil, "7"])
        XCTAssertEqual(records[0].metadataJSON, #"{"n":2,"source":"x"}"#)
        XCTAssertNil(records[1].metadataJSON)

        let cases: [(String, String)] = [
            (#"{"id": "a"}"#, #"docs.jsonl:1: field "text" is missing"#),
            (#"{"text": 5}"#, #"docs.jsonl:1: field "text" must be a string"#),
            (#"{"text": "x", "id": true}"#, #"docs.jsonl:1: field "id" must be a non-empty string or a number"#),
            (#"["text"]"#, "docs.jsonl:1: a JSON object is expected"),
            (#"{"text": "x""#, "docs.jsonl:1: not valid JSON"),
        ]
        for (line, expected) in cases {
            XCTAssertThrowsError(try all(try reader(Array(line.utf8), name: "docs.jsonl"))) { error in
                XCTAssertTrue("\(error)".hasSuffix(expected), "\(line): \(error)")
            }
        }
    }

    func testEmptyFileHasNoRecords() throws {
        let input = try reader([])
        XCTAssertEqual(try all(input).count, 0)
        XCTAssertEqual(input.lineNumber, 0)
    }
}
