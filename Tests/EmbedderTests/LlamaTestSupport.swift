import Embedder
import Foundation
import TestSupport
import XCTest

/// Fixture and model lookup shared by the GGUF/Quant/BPE/Llama tests.
enum LlamaTestSupport {
    /// A reference JSON copied into Fixtures/ (never read from /work/shared at run time).
    static func fixture(_ name: String) throws -> Any {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureMissing(name: name)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url))
    }

    struct FixtureMissing: Error, CustomStringConvertible {
        let name: String
        var description: String { "fixture \(name).json missing from the test bundle" }
    }

    struct ModelMissing: Error, CustomStringConvertible {
        let path: String
        var description: String { "SmolLM2 GGUF not found at \(path): run `vecdb models pull smollm2` (or set VECDB_MODELS)" }
    }

    /// `$VECDB_MODELS/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf`, default folder `~/.cache/vecdb/models`.
    /// A missing model fails the test (it is never skipped).
    static func smolLM2URL(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let env = ProcessInfo.processInfo.environment["VECDB_MODELS"]
        let root = (env?.isEmpty == false) ? URL(fileURLWithPath: env!)
            : FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/vecdb/models")
        let url = root.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
        guard FileManager.default.fileExists(atPath: url.path) else {
            let e = ModelMissing(path: url.path)
            XCTFail(e.description, file: file, line: line)
            throw e
        }
        return url
    }

    static func cosine(_ a: [Float], _ b: [Double]) -> Double {
        precondition(a.count == b.count)
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<a.count {
            dot += Double(a[i]) * b[i]
            na += Double(a[i]) * Double(a[i])
            nb += b[i] * b[i]
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double { cosine(a, b.map(Double.init)) }
}

/// Reference checks shared by every way of building the SmolLM2 tokenizer (GGUF metadata, tokenizer.json).
extension LlamaTestSupport {
    /// The tricky strings and the templated prompts of smollm2_last_token.json give the reference ids and tokens.
    static func assertReferenceCases(_ tok: BPETokenizer) throws {
        let ref = try LlamaTestSupport.fixture("smollm2_last_token") as! [String: Any]
        let cases = ref["tokenization_cases"] as! [String: [String: Any]]
        XCTAssertEqual(cases.count, 12)
        for name in cases.keys.sorted() {
            let c = cases[name]!
            let text = c["text"] as! String
            let got = tok.encode(text)
            XCTAssertEqual(got, (c["ids"] as! [Int]).map(Int32.init), "case \(name): \(text.debugDescription)")
            XCTAssertEqual(try got.map { try tok.token(forId: $0) }, c["tokens"] as! [String], name)
            XCTAssertEqual(try tok.decode(got), Array(text.utf8), "round trip \(name)")
        }
        let variants = ref["variants"] as! [String: [String: Any]]
        var checked = 0
        for v in variants.keys.sorted() {
            let texts = variants[v]!["templated_texts"] as! [String]
            let ids = variants[v]!["token_ids"] as! [[Int]]
            XCTAssertEqual(texts.count, ids.count, v)
            for (t, i) in zip(texts, ids) {
                XCTAssertEqual(tok.encode(t), i.map(Int32.init), "\(v): \(t.debugDescription)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 0)
    }

    /// llama.cpp's tokenizer test corpus (tokenizer_corpus_golden.json, `smollm2_bpe_no_special`).
    static func assertLlamaCppCorpus(_ tok: BPETokenizer) throws {
        let ref = try LlamaTestSupport.fixture("tokenizer_corpus_golden") as! [String: Any]
        let cases = ref["smollm2_bpe_no_special"] as! [[String: Any]]
        XCTAssertGreaterThan(cases.count, 30)
        var failures = 0
        for c in cases {
            let text = c["text"] as! String
            let expected = (c["ids"] as! [Int]).map(Int32.init)
            let got = tok.encode(text)
            if got != expected {
                failures += 1
                XCTFail("\(text.debugDescription): got \(got.prefix(40)) expected \(expected.prefix(40))")
            }
            XCTAssertEqual(try tok.decode(got), Array(text.utf8))
        }
        XCTAssertEqual(failures, 0)
    }
}
