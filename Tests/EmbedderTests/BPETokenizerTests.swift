import Embedder
import Foundation
import TestSupport
import XCTest

final class BPETokenizerTests: XCTestCase {
    nonisolated(unsafe) static var cached: BPETokenizer?

    func tokenizer() throws -> BPETokenizer {
        if let t = Self.cached { return t }
        let t = try BPETokenizer(gguf: GGUFFile(url: LlamaTestSupport.smolLM2URL()))
        Self.cached = t
        return t
    }

    /// The tricky strings and the templated prompts of smollm2_last_token.json.
    func testReferenceCasesAndTemplatedPrompts() throws {
        try LlamaTestSupport.assertReferenceCases(try tokenizer())
    }

    /// llama.cpp's tokenizer test corpus (tokenizer_corpus_golden.json, `smollm2_bpe_no_special`).
    func testLlamaCppCorpus() throws {
        try LlamaTestSupport.assertLlamaCppCorpus(try tokenizer())
    }

    func testControlTokensInRawText() throws {
        let tok = try tokenizer()
        XCTAssertEqual(tok.encode("<|im_start|><|im_end|><|endoftext|>"), [1, 2, 0])
        // A partial control token is ordinary text.
        XCTAssertFalse(tok.encode("<|im_start").contains(1))
        XCTAssertEqual(tok.encode(""), [])
    }

    /// Random bytes: invalid UTF-8 throws, valid input encodes and decodes back to the same bytes; random
    /// Unicode scalars (all planes, combining marks, controls) round-trip too. Never a crash or a hang.
    func testRandomInputsErrorOrRoundTrip() throws {
        let tok = try tokenizer()
        var rng = SplitMix64(seed: 99)
        var invalid = 0
        let start = Date()
        // Bytes without a token of their own are dropped, as by the reference (HF BPE without an unknown
        // token). The list is what the vocabulary lacks (checked with gguf-py): six control characters, the
        // UTF-8 lead bytes F1 and F2, and bytes that never occur in UTF-8.
        let dropped = Set(tok.droppedBytes)
        XCTAssertEqual(tok.droppedBytes, [4, 6, 19, 20, 22, 29, 192, 193, 241, 242] + Array(245...255))
        XCTAssertEqual(tok.encode("a\u{4}b"), tok.encode("a") + tok.encode("b"))
        for _ in 0..<3000 {
            let n = Int.random(in: 0...64, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                let ids = try tok.encode(utf8: bytes)
                XCTAssertEqual(try tok.decode(ids), bytes.filter { !dropped.contains($0) })
            } catch is BPETokenizerError {
                invalid += 1
            }
        }
        XCTAssertGreaterThan(invalid, 0)
        for _ in 0..<2000 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                let pick = Int.random(in: 0..<4, using: &rng)
                let v: UInt32 = pick == 0 ? UInt32.random(in: 0...0x7F, using: &rng)
                    : pick == 1 ? UInt32.random(in: 0x80...0x2FFF, using: &rng)
                    : pick == 2 ? UInt32.random(in: 0...0x10FFFF, using: &rng) : [0x20, 0x0A, 0x09, 0x27, 0x31][Int.random(in: 0..<5, using: &rng)]
                if let u = Unicode.Scalar(v) { s.append(u) }
            }
            let text = String(s)
            XCTAssertEqual(try tok.decode(tok.encode(text)), Array(text.utf8).filter { !dropped.contains($0) })
        }
        XCTAssertThrowsError(try tok.decode([-1]))
        XCTAssertThrowsError(try tok.decode([Int32(tok.vocabularySize)]))
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    /// Long inputs without a split point (one huge "word", one huge run of spaces or punctuation) stay fast.
    func testLongPiecesDoNotTakeQuadraticTime() throws {
        let tok = try tokenizer()
        let start = Date()
        for unit in ["a", "ab", " ", "!", "é", "你"] {
            let text = String(repeating: unit, count: 200_000)
            let ids = tok.encode(text)
            XCTAssertEqual(try tok.decode(ids), Array(text.utf8))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
    }
}
