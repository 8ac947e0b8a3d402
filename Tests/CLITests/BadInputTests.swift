import Foundation
import TestSupport
import XCTest

/// Each bad input: one line on stderr, a non-zero exit, and the database exactly as before.
final class BadInputTests: XCTestCase {
    private var folder: URL!
    private var db: String!
    private let cli = CLI()

    override func setUpWithError() throws {
        folder = try temporaryFolder(self)
        db = folder.appendingPathComponent("db").path
        let answers = folder.appendingPathComponent("answers.txt")
        try Data("OpenAI is based at San Francisco.\nA GPU performs calculations quickly.\n".utf8).write(to: answers)
        let result = try cli.run(["ingest", answers.path, "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    /// Documents, collections, bytes used and the last committed transaction id (JSON with sorted keys).
    private func state() throws -> String {
        let result = try cli.run(["info", "--db", db, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout
    }

    private func expectFailure(_ arguments: [String], stdin: Data? = nil, wrapper: [String] = [], cli: CLI? = nil,
                               says fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try state()
        let result = try (cli ?? self.cli).run(arguments, stdin: stdin, wrapper: wrapper)
        XCTAssertNotEqual(result.status, 0, "exit status", file: file, line: line)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        XCTAssertEqual(lines.count, 1, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(try state(), before, "database changed", file: file, line: line)
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    func testHelpAndUsageErrorsKeepArgumentParsersOwnOutputAndStatuses() throws {
        for arguments in [["--help"], [], ["index", "--help"], ["query", "--help"]] {
            let result = try cli.run(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.hasPrefix("OVERVIEW: "), "\(arguments): \(result.stdout.prefix(200))")
        }
        let missing = try cli.run(["query"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertTrue(missing.stderr.hasPrefix("Error: Missing expected argument '<text>'"), missing.stderr)
    }

    func testMissingBinaryInvalidAndEmptyFiles() throws {
        try expectFailure(["ingest", folder.appendingPathComponent("absent.txt").path, "--db", db], says: "absent.txt: no such file")
        let binary = try write("program", [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x0A])
        try expectFailure(["ingest", binary, "--db", db], says: "program:1: contains a NUL byte")
        let image = try write("image.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D])
        try expectFailure(["ingest", image, "--db", db], says: "image.png:1: invalid UTF-8")
        let invalid = try write("bad.txt", Array("fine\nalso fine\n".utf8) + [0x62, 0x61, 0x64, 0xFF, 0x0A])
        try expectFailure(["ingest", invalid, "--db", db], says: "bad.txt:3: invalid UTF-8")
        let empty = try write("empty.txt", [])
        try expectFailure(["ingest", empty, "--db", db], says: "empty.txt: no documents")
        let blank = try write("blank.txt", Array("\n  \n\r\n".utf8))
        try expectFailure(["ingest", blank, "--db", db], says: "blank.txt: no documents (3 lines, all blank)")
        let jsonl = try write("docs.jsonl", Array("{\"text\": \"ok\"}\n{\"id\": 3}\n".utf8))
        try expectFailure(["ingest", jsonl, "--db", db], says: "docs.jsonl:2: field \"text\" is missing")
    }

    /// A NUL byte anywhere refuses the file, naming the line, for text and JSON Lines alike; an escaped `\u0000`
    /// inside a JSON string is text like any other and is stored as given.
    func testNULBytesNameTheirLine() throws {
        let text = try write("nul.txt", Array("fine\nalso fine\nhalf".utf8) + [0x00] + Array("way\n".utf8))
        try expectFailure(["ingest", text, "--db", db], says: "nul.txt:3: contains a NUL byte")
        let jsonl = try write("nul.jsonl", Array("{\"text\": \"ok\"}\n{\"text\": \"a".utf8) + [0x00] + Array("b\"}\n".utf8))
        try expectFailure(["ingest", jsonl, "--db", db], says: "nul.jsonl:2: contains a NUL byte")

        let escaped = try write("escaped.jsonl", Array(#"{"id": "n", "text": "before\u0000after"}"#.utf8) + [0x0A])
        XCTAssertEqual(try cli.run(["ingest", escaped, "--db", db]).status, 0)
        let hit = try jsonObject(try cli.run(["query", "before after", "--db", db, "-k", "3", "--exact", "--json"]).stdout)
        let texts = try XCTUnwrap(hit["results"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        XCTAssertTrue(texts.contains { Array($0.utf8) == Array("before\u{0}after".utf8) }, "\(texts)")
    }

    func testUnreadableFileWithPrivilegesDropped() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to drop privileges") }
        let secret = try write("secret.txt", Array("private\n".utf8))
        chmod(secret, 0o600)
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        // The build folder may sit where `nobody` cannot reach: run a copy from the test's own folder.
        var copy = cli
        copy.executable = folder.appendingPathComponent("vecdb")
        try FileManager.default.copyItem(at: CLI.executable, to: copy.executable)
        chmod(folder.path, 0o755)
        try expectFailure(["ingest", secret, "--db", db], wrapper: nobody, cli: copy, says: "secret.txt: cannot be read")
    }

    func testMissingModel() throws {
        var empty = cli
        empty.environment["VECDB_MODELS"] = folder.appendingPathComponent("no-models").path
        try expectFailure(["query", "hello", "--db", db], cli: empty, says: "run `vecdb models pull minilm`")
        try expectFailure(["ingest", "-", "--db", db, "--model", "smollm2"], stdin: Data("hi\n".utf8), cli: empty,
                          says: "model 'smollm2' is not installed")
    }

    /// A model folder beside the installed MiniLM with its own copy of the weights, changed by `edit`.
    private func modelCopy(_ name: String, edit: (inout [UInt8]) -> Void) throws -> String {
        let installed = try XCTUnwrap(String(data: try cli.run(["models", "list", "--json"]).stdout.data(using: .utf8)!, encoding: .utf8))
        let cache = try XCTUnwrap(try jsonObject(installed)["cache"] as? String)
        let source = URL(fileURLWithPath: cache).appendingPathComponent("minilm")
        let copy = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "model.safetensors" {
            try FileManager.default.createSymbolicLink(at: copy.appendingPathComponent(file),
                                                       withDestinationURL: source.appendingPathComponent(file))
        }
        var weights = [UInt8](try Data(contentsOf: source.appendingPathComponent("model.safetensors")))
        edit(&weights)
        try Data(weights).write(to: copy.appendingPathComponent("model.safetensors"))
        return copy.path
    }

    func testCorruptOrTruncatedWeights() throws {
        let truncated = try modelCopy("truncated") { $0.removeLast($0.count / 2) }
        try expectFailure(["query", "hello", "--db", db, "--model", truncated], says: "model.safetensors")
        let garbage = try modelCopy("garbage") { bytes in
            for i in 0..<64 { bytes[i] = 0xFF }
        }
        try expectFailure(["query", "hello", "--db", db, "--model", garbage], says: "model.safetensors")
    }

    func testQueryingWithOtherWeightsIsRefused() throws {
        // Same architecture, one weight changed: it loads, but its vectors would not match the stored ones.
        let other = try modelCopy("other") { $0[$0.count - 1] ^= 0x01 }
        try expectFailure(["query", "hello", "--db", db, "--model", other, "--collection", "minilm"],
                          says: "collection 'minilm' was built with weights sha256")
        try expectFailure(["ingest", "-", "--db", db, "--model", other, "--collection", "minilm"],
                          stdin: Data("new text\n".utf8), says: "was built with weights sha256")
    }

    func testDatabaseArgumentThatIsNotADatabase() throws {
        let notes = folder.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: notes.appendingPathComponent("todo.txt"))
        let answers = try write("more.txt", Array("text\n".utf8))
        let result = try cli.run(["ingest", answers, "--db", notes.path])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("is a folder that is not a vecdb database"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: notes.path), ["todo.txt"])
        let garbage = folder.appendingPathComponent("garbage")
        try FileManager.default.createDirectory(at: garbage, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 8192).write(to: garbage.appendingPathComponent("data.mdb"))
        let opened = try cli.run(["info", "--db", garbage.path])
        XCTAssertNotEqual(opened.status, 0)
        XCTAssertTrue(opened.stderr.contains("--db \(garbage.path) holds a data.mdb that is not a vecdb (LMDB) database"), opened.stderr)
    }

    func testInvalidUTF8OnStdinSaysWhatIsCommitted() throws {
        let lines = Array("one\ntwo\nthree\nfour\n".utf8) + [0xC3, 0x28, 0x0A] + Array("six\n".utf8)
        let result = try cli.run(["ingest", "-", "--db", db, "--batch-size", "2"], stdin: Data(lines))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("stdin:5: invalid UTF-8 (4 lines before it are committed)"), result.stderr)
        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, 6)
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)
    }

    func testCRLFAndAOneMegabyteLineAreAccepted() throws {
        let long = String(repeating: "lengthy ", count: 131_072)
        let file = try write("crlf.txt", Array("first line\r\nsecond line\r\n\(long)\r\n".utf8))
        let result = try cli.run(["ingest", file, "--db", db, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try jsonObject(result.stdout)
        XCTAssertEqual(summary["added"] as? Int, 3)
        XCTAssertEqual(summary["truncated"] as? Int, 1)
        let hit = try jsonObject(try cli.run(["query", "second line", "--db", db, "-k", "1", "--json"]).stdout)
        let top = try XCTUnwrap((hit["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["text"] as? String, "second line", "CR removed")
        XCTAssertGreaterThan(try XCTUnwrap(top["score"] as? Double), 0.999)
    }
}

final class MapSizeTests: XCTestCase {
    /// A database that reaches its map ceiling: a clear error, the database still opens, committed batches intact.
    func testFullMapIsAClearErrorAndKeepsCommittedBatches() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let input = folder.appendingPathComponent("notes.txt")
        try Data((syntheticSentences(3_000, seed: 3).joined(separator: "\n") + "\n").utf8).write(to: input)
        var small = CLI()
        small.environment["VECDB_MAP_SIZE"] = "\(8 << 20)"
        let result = try small.run(["ingest", input.path, "--db", db, "--batch-size", "100", "--progress", "json"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("is full: it reached its map size of 8388608 bytes"), result.stderr)
        let commits = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let committed = try XCTUnwrap(commits.last?["lines_committed"] as? Int)
        XCTAssertGreaterThan(committed, 0)
        XCTAssertEqual(try small.run(["check", "--db", db]).status, 0)
        let info = try jsonObject(try small.run(["info", "--db", db, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, committed)
    }
}
