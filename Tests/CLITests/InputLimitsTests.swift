import Foundation
import XCTest

/// Inputs at the edges of what a line can be, through the built binary: each is handled (stored byte-exact,
/// tokenised as Hugging Face does) or refused with one line naming the file and line.
final class InputLimitsTests: XCTestCase {
    private let cli = CLI()

    /// HF `tokenizers` output for MiniLM, committed with the script that made it (EmbedderTests/Fixtures).
    private func referenceCase(_ name: String) throws -> (text: String, ids: [Int]) {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("EmbedderTests/Fixtures/minilm_tokenization.json")
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let entry = try XCTUnwrap((root["cases"] as? [String: Any])?[name] as? [String: Any], name)
        return (try XCTUnwrap(entry["text"] as? String), try XCTUnwrap(entry["ids"] as? [Int]))
    }

    private func tokenize(_ text: String, model: String = "minilm") throws -> [String: Any] {
        let result = try cli.run(["tokenize", "--model", model, text])
        XCTAssertEqual(result.status, 0, result.stderr)
        return try jsonObject(result.stdout)
    }

    func testAMillionBlankLinesAreSkippedAndCounted() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let input = folder.appendingPathComponent("blank.txt")
        try Data((String(repeating: "\n", count: 1_000_000) + "the only document\n").utf8).write(to: input)
        let start = Date()
        let result = try cli.run(["ingest", input.path, "--db", db, "--json"])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try jsonObject(result.stdout)
        XCTAssertEqual(summary["added"] as? Int, 1)
        XCTAssertEqual(summary["skipped_blank"] as? Int, 1_000_000)
        // Linear reading takes about a second; a quadratic scan of a million lines would take minutes.
        XCTAssertLessThan(seconds, 60)

        let allBlank = folder.appendingPathComponent("all-blank.txt")
        try Data(String(repeating: " \r\n", count: 1_000_000).utf8).write(to: allBlank)
        let refused = try cli.run(["ingest", allBlank.path, "--db", folder.appendingPathComponent("db2").path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr, "Error: \(allBlank.path): no documents (1000000 lines, all blank)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("db2").path), "nothing written")
    }

    func testSixteenMegabyteLineIsTruncatedAndCounted() throws {
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("long.txt")
        let long = String(repeating: "lengthy ", count: 2 << 20)
        try Data("short line\n\(long)\nlast line\n".utf8).write(to: input)
        let result = try cli.run(["ingest", input.path, "--db", folder.appendingPathComponent("db").path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let summary = try jsonObject(result.stdout)
        XCTAssertEqual(summary["added"] as? Int, 3)
        XCTAssertEqual(summary["truncated"] as? Int, 1)
    }

    /// Right-to-left scripts, bidi controls, decomposed and stacked combining marks come back byte for byte, and
    /// precomposed "é" and decomposed "e + U+0301" stay two documents (dedup hashes bytes, not canonical forms).
    func testRightToLeftAndCombiningTextIsStoredByteExact() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let lines = [
            "مرحبا بالعالم", "שלום עולם", "\u{202E}txet desrever\u{202C} and \u{200F}marks\u{200E}",
            "e\u{301}cole cafe\u{301}", "\u{E9}cole caf\u{E9}", "Z\u{324}\u{354}\u{367}\u{311}\u{313}algo a\u{300}\u{301}\u{302}\u{303}",
            "abc \u{5D0}\u{5D1} 123 \u{661}\u{662}",
        ]
        let input = folder.appendingPathComponent("scripts.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let ingest = try cli.run(["ingest", input.path, "--db", db, "--json"])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertEqual(try jsonObject(ingest.stdout)["added"] as? Int, lines.count)
        let result = try cli.run(["query", "text", "--db", db, "-k", "\(lines.count)", "--exact", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let stored = try XCTUnwrap(try jsonObject(result.stdout)["results"] as? [[String: Any]]).compactMap { $0["text"] as? String }
        // Compare bytes: String == would call the precomposed and decomposed lines equal.
        XCTAssertEqual(Set(stored.map { Array($0.utf8) }), Set(lines.map { Array($0.utf8) }))
    }

    func testRightToLeftAndCombiningTextTokenisesLikeHuggingFace() throws {
        for name in ["greek_cyrillic_arabic", "decomposed_combining", "accents"] {
            let reference = try referenceCase(name)
            XCTAssertEqual(try tokenize(reference.text)["ids"] as? [Int], reference.ids, name)
        }
    }

    /// WordPiece: a word over `max_input_chars_per_word` (100) is one [UNK], as HF gives for 101 characters
    /// (the `long_word_101` reference case), here for 100,000. Byte-level BPE has no such limit: SmolLM2 merges
    /// the whole word (in O(n log n)) and the result is cut to the model's 512 tokens.
    func testHundredThousandCharacterWord() throws {
        let reference = try referenceCase("long_word_101")
        let word = String(repeating: "a", count: 100_000)
        XCTAssertEqual(try tokenize(word)["ids"] as? [Int], reference.ids)

        let start = Date()
        let bpe = try tokenize(word, model: "smollm2")
        let seconds = Date().timeIntervalSince(start)
        let tokens = try XCTUnwrap(bpe["tokens"] as? [String])
        XCTAssertEqual(tokens.count, 512)
        XCTAssertEqual(bpe["truncated"] as? Bool, true)
        XCTAssertTrue(tokens.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0 == "a" } }, "\(tokens.prefix(5))")
        XCTAssertLessThan(seconds, 30, "model load plus one 100,000-byte word")
    }
}
