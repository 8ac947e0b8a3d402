import Embedder
import Foundation
import XCTest

final class WordPieceTokenizerTests: XCTestCase {
    private func tokenizers() throws -> [(String, WordPieceTokenizer)] {
        let folder = try miniLMFolder()
        return [
            ("tokenizer.json", try WordPieceTokenizer(tokenizerJSON: folder.appendingPathComponent("tokenizer.json"))),
            ("vocab.txt", try WordPieceTokenizer(vocabTxt: folder.appendingPathComponent("vocab.txt"))),
        ]
    }

    func testTrickyCasesMatchHuggingFace() throws {
        let cases = try XCTUnwrap(try fixture("minilm_tokenization.json")["cases"] as? [String: Any])
        XCTAssertEqual(cases.count, 26)
        for (source, tokenizer) in try tokenizers() {
            for (name, value) in cases.sorted(by: { $0.key < $1.key }) {
                let entry = try XCTUnwrap(value as? [String: Any])
                let text = try XCTUnwrap(entry["text"] as? String)
                let expected = try XCTUnwrap(int32s(entry["ids"]))
                let got = tokenizer.encode(text, maxTokens: 100_000)
                XCTAssertEqual(got.ids, expected, "\(source) case \(name): got tokens \(got.tokens)")
                XCTAssertFalse(got.truncated)
                if let tokens = entry["tokens"] as? [String] {
                    // Compare scalars, not Strings: String == would accept a canonically equivalent spelling.
                    XCTAssertEqual(got.tokens.map { Array($0.unicodeScalars) }, tokens.map { Array($0.unicodeScalars) },
                                   "\(source) case \(name)")
                }
            }
        }
    }

    func testLlamaCppCorpusMatchesHuggingFace() throws {
        let cases = try XCTUnwrap(try fixture("tokenizer_corpus_golden.json")["minilm_wordpiece_with_cls_sep"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 46)
        for (source, tokenizer) in try tokenizers() {
            for (index, entry) in cases.enumerated() {
                let text = try XCTUnwrap(entry["text"] as? String)
                let expected = try XCTUnwrap(int32s(entry["ids"]))
                XCTAssertEqual(tokenizer.encode(text, maxTokens: 100_000).ids, expected,
                               "\(source) corpus case \(index): \(text.debugDescription)")
            }
        }
    }

    func testReferenceTextsIDs() throws {
        let reference = try fixture("minilm_embeddings.json")
        let texts = try XCTUnwrap(reference["texts"] as? [String])
        let ids = try XCTUnwrap(reference["input_ids"] as? [Any]).map { try XCTUnwrap(int32s($0)) }
        for (_, tokenizer) in try tokenizers() {
            XCTAssertEqual(texts.map { tokenizer.encode($0, maxTokens: 256).ids }, ids)
        }
    }

    func testTruncatesAt256EndingInSEP() throws {
        let truncation = try XCTUnwrap(try fixture("minilm_tokenization.json")["truncation"] as? [String: Any])
        let text = (0..<400).map { "word\($0)" }.joined(separator: " ")
        let expectedLength = try XCTUnwrap(truncation["st_tokenized_len"] as? Int)
        let expectedLast = try XCTUnwrap(int32s(truncation["st_last_ids"]))
        for (source, tokenizer) in try tokenizers() {
            XCTAssertEqual(tokenizer.encode(text, maxTokens: 100_000).ids.count, truncation["raw_len_no_trunc"] as? Int, source)
            let cut = tokenizer.encode(text, maxTokens: 256)
            XCTAssertEqual(cut.ids.count, expectedLength, source)
            XCTAssertEqual(Array(cut.ids.suffix(3)), expectedLast, source)
            XCTAssertEqual(cut.ids.last, tokenizer.sepID)
            XCTAssertEqual(cut.tokens.last, "[SEP]")
            XCTAssertTrue(cut.truncated, source)
        }
    }

    func testVocabularyIsKeyedByScalarsNotCanonicalEquivalence() throws {
        // "é" precomposed and decomposed are == as Strings; a vocabulary must still tell them apart.
        let tokenizer = try WordPieceTokenizer(
            tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u{e9}", "e\u{301}", "x"], normalizer: BertNormalizer(lowercase: false),
            specialTokens: [], clsToken: "[CLS]", sepToken: "[SEP]", unkToken: "[UNK]", prefix: "##", maxInputCharsPerWord: 100)
        XCTAssertEqual(tokenizer.id(for: "\u{e9}"), 4)
        XCTAssertEqual(tokenizer.id(for: "e\u{301}"), 5)
        XCTAssertEqual(tokenizer.encode("\u{e9}", maxTokens: 10).ids, [2, 4, 3])
    }

    func testBadVocabTxtIsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-bad-vocab-\(getpid()).txt")
        try Data([0x5b, 0x55, 0x4e, 0x4b, 0x5d, 0x0a, 0xff, 0xfe, 0x0a]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try WordPieceTokenizer(vocabTxt: url)) { error in
            XCTAssertTrue("\(error)".contains("line 2"), "\(error)")
        }
    }

    /// Found by vecdb-fuzz (wordpiece-json): one vocabulary id of 2^31 − 1 made the reader allocate an array of
    /// 2^31 slots (34 GB) and crash. Ids beyond the entry count are now an error naming the token.
    func testHugeVocabularyIdIsAnErrorNotAnAllocation() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-huge-id-\(getpid())-tokenizer.json")
        let json = #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2147483647}}}"#
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try WordPieceTokenizer(tokenizerJSON: url)) { error in
            XCTAssertTrue("\(error)".hasSuffix("tokenizer.json: model.vocab['[SEP]'] has id 2147483647, but ids must be 0..<3"), "\(error)")
        }
    }

    /// A tokenizer.json may raise max_input_chars_per_word far above 100; a 200,000-letter word must then cost
    /// time in proportion to its length times the longest token, not to its length squared (minutes).
    func testLongWordWithRaisedLimitIsNotQuadratic() throws {
        let tokenizer = try WordPieceTokenizer(
            tokens: ["[UNK]", "[CLS]", "[SEP]", "a", "##a", "##aa"], normalizer: BertNormalizer(), specialTokens: [],
            clsToken: "[CLS]", sepToken: "[SEP]", unkToken: "[UNK]", prefix: "##", maxInputCharsPerWord: 1_000_000)
        let start = Date()
        let ids = tokenizer.encode(String(repeating: "a", count: 200_001), maxTokens: 1_000_000).ids
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertEqual(ids, [1, 3] + [Int32](repeating: 5, count: 100_000) + [2])
    }
}
