import Foundation
import TestSupport
import XCTest

/// `vecdb index rebuild --quantization`: switches a collection between float32 and int8 traversal, keeps the mode
/// when not given, shows it in `info`, passes `check`, and answers index queries with the same hits and scores.
final class IndexCLITests: XCTestCase {
    private let cli = CLI()

    private func hits(_ result: CLI.Result) throws -> [String] {
        XCTAssertEqual(result.status, 0, result.stderr)
        let results = try XCTUnwrap(try jsonObject(result.stdout)["results"] as? [[String: Any]])
        XCTAssertEqual(try jsonObject(result.stdout)["search"] as? String, "hnsw(ef=40)")
        return try results.map { "\(try XCTUnwrap($0["id"] as? Int)) \(String(format: "%.5f", try XCTUnwrap($0["score"] as? Double)))" }
    }

    func testRebuildSwitchesQuantizationAndKeepsAnswers() throws {
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("docs.txt")
        try Data("""
            A graphics processing unit renders images.
            A central processing unit runs programs.
            Green tea is made from unoxidised leaves.
            The stock market fell sharply on Monday.
            Rain is expected over the weekend.

            """.utf8).write(to: input)
        let db = folder.appendingPathComponent("db").path
        let ingest = try cli.run(["ingest", input.path, "--db", db])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        // --ef sends the query through the graph even below the size at which vecdb would choose it.
        let query = ["query", "What is a GPU?", "--db", db, "--json", "--ef", "40", "-k", "5"]
        let before = try hits(try cli.run(query))

        let rebuild = try cli.run(["index", "rebuild", "--db", db, "--quantization", "int8"])
        XCTAssertEqual(rebuild.status, 0, rebuild.stderr)
        XCTAssertTrue(rebuild.stdout.contains("quantization int8 (448 bytes per vector walked)"), rebuild.stdout)
        XCTAssertEqual(try hits(try cli.run(query)), before)
        let info = try cli.run(["info", "--db", db])
        XCTAssertTrue(info.stdout.contains("quantization int8 (448 bytes per vector walked, 2132 stored)"), info.stdout)
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)

        // Without --quantization the mode stays; --quantization none goes back.
        XCTAssertTrue(try cli.run(["index", "rebuild", "--db", db, "--m", "8"]).stdout.contains("quantization int8"))
        XCTAssertEqual(try hits(try cli.run(query)), before)
        XCTAssertTrue(try cli.run(["index", "rebuild", "--db", db, "--quantization", "none"]).stdout.contains("quantization none"))
        XCTAssertEqual(try hits(try cli.run(query)), before)
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)

        let bad = try cli.run(["index", "rebuild", "--db", db, "--quantization", "int4"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("int4") && bad.stderr.contains("quantization"), bad.stderr)
    }
}
