import Embedder
import Foundation
import TestSupport
import XCTest

/// `BPETokenizer(tokenizerJSON:)`: Fixtures/smollm2_tokenizer.json is generated from the SmolLM2 GGUF by
/// Fixtures/scripts/make_smollm2_tokenizer_json.py, so it must give the reference ids for every case the GGUF
/// tokenizer is tested on; malformed files must throw one-line errors naming the file and field.
final class BPETokenizerJSONTests: XCTestCase {
    nonisolated(unsafe) static var cached: BPETokenizer?

    func tokenizer() throws -> BPETokenizer {
        if let t = Self.cached { return t }
        let url = try XCTUnwrap(Bundle.module.url(forResource: "smollm2_tokenizer", withExtension: "json", subdirectory: "Fixtures"))
        let t = try BPETokenizer(tokenizerJSON: url)
        Self.cached = t
        return t
    }

    func testShape() throws {
        let tok = try tokenizer()
        XCTAssertEqual(tok.vocabularySize, 49152)
        XCTAssertEqual(tok.preTokenizer.kind, .smollm)
        XCTAssertEqual(tok.tokenTypes.filter { $0 == 3 }.count, 17)
        XCTAssertEqual(tok.encode("<|im_start|><|im_end|><|endoftext|>"), [1, 2, 0])
        XCTAssertEqual(tok.droppedBytes, [4, 6, 19, 20, 22, 29, 192, 193, 241, 242] + Array(245...255))
    }

    /// The tricky strings and the templated prompts of smollm2_last_token.json.
    func testReferenceCasesAndTemplatedPrompts() throws {
        try LlamaTestSupport.assertReferenceCases(try tokenizer())
    }

    /// llama.cpp's tokenizer test corpus (tokenizer_corpus_golden.json, `smollm2_bpe_no_special`).
    func testLlamaCppCorpus() throws {
        try LlamaTestSupport.assertLlamaCppCorpus(try tokenizer())
    }

    // MARK: - Small hand-written files

    /// A minimal valid byte-level tokenizer.json: the 256 byte tokens, "ab", "Ġa", and `<s>` as a special
    /// added token; `patch` edits the object before it is written.
    func write(_ name: String, patch: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(Character(byteScalar(UInt8(b))))] = b }
        vocab["ab"] = 256
        vocab["Ġa"] = 257
        vocab["<s>"] = 258
        var model: [String: Any] = ["type": "BPE", "vocab": vocab, "merges": ["a b", ["Ġ", "a"]]]
        model["byte_fallback"] = false
        var json: [String: Any] = [
            "version": "1.0",
            "normalizer": NSNull(),
            "added_tokens": [["id": 258, "content": "<s>", "special": true]],
            "pre_tokenizer": ["type": "ByteLevel", "add_prefix_space": false, "use_regex": true],
            "model": model,
        ]
        patch(&json)
        return try writeRaw(name, JSONSerialization.data(withJSONObject: json))
    }

    func writeRaw(_ name: String, _ data: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bpejson-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// GPT-2's byte → character mapping (printable bytes map to themselves, the rest to U+0100 upwards).
    func byteScalar(_ b: UInt8) -> Unicode.Scalar {
        var n: UInt32 = 0
        for x in 0..<256 {
            let printable = (0x21...0x7E).contains(x) || (0xA1...0xAC).contains(x) || (0xAE...0xFF).contains(x)
            if x == Int(b) { return Unicode.Scalar(printable ? UInt32(x) : 256 + n)! }
            if !printable { n += 1 }
        }
        fatalError()
    }

    func testSmallValidFile() throws {
        let tok = try BPETokenizer(tokenizerJSON: write("ok.json"))
        XCTAssertEqual(tok.vocabularySize, 259)
        XCTAssertEqual(tok.preTokenizer.kind, .gpt2)
        XCTAssertEqual(tok.encode("ab a<s>"), [256, 257, 258])
        XCTAssertEqual(try tok.decode([256, 257, 258]), Array("ab a<s>".utf8))
        // Sequence[Digits, ByteLevel] is the smollm kind; an added token may extend the vocabulary.
        let seq = try BPETokenizer(tokenizerJSON: write("seq.json") { j in
            j["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true]]]
            j["added_tokens"] = [["id": 258, "content": "<s>", "special": true],
                                 ["id": 259, "content": "<pad>", "special": true]]
        })
        XCTAssertEqual(seq.preTokenizer.kind, .smollm)
        XCTAssertEqual(seq.vocabularySize, 260)
        XCTAssertEqual(seq.encode("12<pad>"), [Int32(UInt8(ascii: "1")), Int32(UInt8(ascii: "2")), 259])
    }

    /// Each malformed file throws a `BPETokenizerError` whose single-line reason names the file and `field`.
    func assertError(_ url: URL, mentions field: String, _ line: UInt = #line) {
        XCTAssertThrowsError(try BPETokenizer(tokenizerJSON: url), line: line) { error in
            guard let e = error as? BPETokenizerError else { return XCTFail("not a BPETokenizerError: \(error)", line: line) }
            XCTAssertTrue(e.reason.contains(url.lastPathComponent), "no file name in: \(e.reason)", line: line)
            XCTAssertTrue(e.reason.contains(field), "no '\(field)' in: \(e.reason)", line: line)
            XCTAssertFalse(e.reason.contains("\n"), "not one line: \(e.reason)", line: line)
        }
    }

    func testErrorsNameTheField() throws {
        assertError(try writeRaw("truncated.json", Data("{\"model\": {\"type\": \"BPE\", ".utf8)), mentions: "JSON")
        assertError(try writeRaw("garbage.json", Data([0xFF, 0x00, 0x7B])), mentions: "JSON")
        assertError(try writeRaw("array.json", Data("[1, 2]".utf8)), mentions: "JSON")
        assertError(try writeRaw("deep.json", Data((String(repeating: "[", count: 100_000)).utf8)), mentions: "JSON")
        assertError(URL(fileURLWithPath: "/nonexistent/none.json"), mentions: "cannot be read")
        assertError(try write("nomodel.json") { $0["model"] = nil }, mentions: "model")
        assertError(try write("wordpiece.json") { j in
            var m = j["model"] as! [String: Any]; m["type"] = "WordPiece"; j["model"] = m
        }, mentions: "model.type")
        assertError(try write("novocab.json") { j in
            var m = j["model"] as! [String: Any]; m["vocab"] = nil; j["model"] = m
        }, mentions: "model.vocab")
        assertError(try write("nomerges.json") { j in
            var m = j["model"] as! [String: Any]; m["merges"] = nil; j["model"] = m
        }, mentions: "model.merges")
        assertError(try write("whitespace.json") { $0["pre_tokenizer"] = ["type": "Whitespace"] }, mentions: "pre_tokenizer")
        assertError(try write("nopre.json") { $0["pre_tokenizer"] = NSNull() }, mentions: "pre_tokenizer")
        assertError(try write("seq.json") { j in
            j["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Split"], ["type": "ByteLevel"]]]
        }, mentions: "pre_tokenizer")
        assertError(try write("digits.json") { j in
            j["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": false], ["type": "ByteLevel"]]]
        }, mentions: "individual_digits")
        assertError(try write("prefix.json") { j in
            j["pre_tokenizer"] = ["type": "ByteLevel", "add_prefix_space": true]
        }, mentions: "add_prefix_space")
        assertError(try write("nfc.json") { $0["normalizer"] = ["type": "NFC"] }, mentions: "normalizer")
        // A hole at id 100: the largest id stays 258 but 100 is missing.
        assertError(try write("hole.json") { j in
            var m = j["model"] as! [String: Any]
            var v = m["vocab"] as! [String: Int]
            let key = v.first { $0.value == 100 }!.key
            v[key] = nil
            m["vocab"] = v
            m["merges"] = [String]()
            j["model"] = m
        }, mentions: "id 100")
        assertError(try write("negative.json") { j in
            var m = j["model"] as! [String: Any]
            var v = m["vocab"] as! [String: Int]; v["zz"] = -1; m["vocab"] = v; j["model"] = m
        }, mentions: "model.vocab")
        assertError(try write("unknownmerge.json") { j in
            var m = j["model"] as! [String: Any]; m["merges"] = ["a b", "x yz"]; j["model"] = m
        }, mentions: "model.merges[1]")
        assertError(try write("badmerge.json") { j in
            var m = j["model"] as! [String: Any]; m["merges"] = ["ab"]; j["model"] = m
        }, mentions: "model.merges[0]")
        assertError(try write("addedclash.json") { j in
            j["added_tokens"] = [["id": 5, "content": "<s>", "special": true]]
        }, mentions: "added_tokens[0]")
        assertError(try write("fallback.json") { j in
            var m = j["model"] as! [String: Any]; m["byte_fallback"] = true; j["model"] = m
        }, mentions: "model.byte_fallback")
    }

    /// A word without spaces is a single pre-tokenizer piece of any length; its merges must cost O(n log n).
    /// Eight times the letters may cost about eight to ten times the time, never the 64x of a quadratic loop.
    func testLongWordsCostNearLinearTime() throws {
        let tok = try tokenizer()
        var rng = SplitMix64(seed: 5)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let long = String((0..<800_000).map { _ in letters[Int(rng.next() % 26)] })
        let short = String(long.prefix(100_000))
        func fastest(_ text: String) throws -> Double {
            var best = Double.infinity
            for _ in 0..<3 {
                let start = Date()
                let ids = tok.encode(text)
                best = min(best, Date().timeIntervalSince(start))
                XCTAssertEqual(try tok.decode(ids), Array(text.utf8))
            }
            return best
        }
        let (longSeconds, shortSeconds) = (try fastest(long), try fastest(short))
        print(String(format: "BPE encode of one word: 100,000 letters %.3f s, 800,000 letters %.3f s (%.1fx)",
                     shortSeconds, longSeconds, longSeconds / shortSeconds))
        XCTAssertLessThan(longSeconds / shortSeconds, 24, "800,000 vs 100,000 letters")
    }
}
