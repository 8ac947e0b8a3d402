import Embedder
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class SentenceTransformerTests: XCTestCase {
    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            na += Double(x) * Double(x)
            nb += Double(y) * Double(y)
        }
        return dot / (na * nb).squareRoot()
    }

    func testFolderSettings() throws {
        let model = try SentenceTransformer(folder: try miniLMFolder())
        XCTAssertEqual(model.dimensions, 384)
        XCTAssertEqual(model.maxTokens, 256)  // sentence_bert_config.json, not tokenizer.json's 128
        XCTAssertTrue(model.declaresNormalize)
        XCTAssertEqual(model.weightsFile.lastPathComponent, "model.safetensors")
        let long = try model.tokenize((0..<400).map { "word\($0)" }.joined(separator: " "))
        XCTAssertEqual(long.ids.count, 256)
        XCTAssertEqual(long.ids.last, 102)
        XCTAssertTrue(long.truncated)
        let embedded = try model.embed([(0..<400).map { "word\($0)" }.joined(separator: " ")])
        XCTAssertEqual(embedded[0].tokenCount, 256)
        XCTAssertTrue(embedded[0].truncated)
    }

    func testReferenceEmbeddingsBatchedAndOneByOne() throws {
        let reference = try fixture("minilm_embeddings.json")
        let texts = try XCTUnwrap(reference["texts"] as? [String])
        let expected = try XCTUnwrap(reference["embeddings"] as? [Any]).map { try XCTUnwrap(floats($0)) }
        let model = try SentenceTransformer(folder: try miniLMFolder())
        let batched = try model.embed(texts)
        let single = try texts.map { try model.embed([$0])[0] }
        let ids = try XCTUnwrap(reference["input_ids"] as? [Any]).map { try XCTUnwrap(int32s($0)) }
        for i in texts.indices {
            XCTAssertEqual(batched[i].vector.count, 384)
            XCTAssertEqual(batched[i].tokenCount, ids[i].count)
            XCTAssertFalse(batched[i].truncated)
            let norm = batched[i].vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
            let cb = cosine(batched[i].vector, expected[i]), cs = cosine(single[i].vector, expected[i])
            XCTAssertGreaterThanOrEqual(cb, 0.99999, "batched text \(i)")
            XCTAssertGreaterThanOrEqual(cs, 0.99999, "single text \(i)")
            let maxDiff = zip(batched[i].vector, expected[i]).map { abs($0 - $1) }.max() ?? 1
            XCTAssertLessThan(maxDiff, 1e-4, "text \(i)")
            print("text \(i): cosine batched \(cb), single \(cs), max |Δ| \(maxDiff)")
        }
        // Order must be the input order even though the batch is sorted by length inside.
        let reversed = try model.embed(texts.reversed())
        for i in texts.indices { XCTAssertGreaterThanOrEqual(cosine(reversed[texts.count - 1 - i].vector, expected[i]), 0.99999) }

        let qa = try XCTUnwrap(reference["cosine_questions_x_answers"] as? [String: Any])
        let matrix = try XCTUnwrap(qa["matrix"] as? [Any]).map { try XCTUnwrap(floats($0)) }
        XCTAssertEqual(matrix[0][0], 0.7337, accuracy: 0.0001)  // the values the brief quotes
        for q in 0..<2 {
            for a in 0..<2 {
                XCTAssertEqual(cosine(batched[q].vector, batched[2 + a].vector), Double(matrix[q][a]), accuracy: 0.0005,
                               "question \(q) × answer \(a)")
            }
        }
    }

    func testUnsupportedPoolingIsAClearError() throws {
        let source = try miniLMFolder()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-pooling-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["config.json", "tokenizer.json", "modules.json", "sentence_bert_config.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("model.safetensors"),
                                                   withDestinationURL: source.appendingPathComponent("model.safetensors"))
        try Data(#"{"word_embedding_dimension": 384, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#.utf8)
            .write(to: folder.appendingPathComponent("1_Pooling/config.json"))
        XCTAssertThrowsError(try SentenceTransformer(folder: folder)) { error in
            XCTAssertTrue("\(error)".contains("pooling_mode_cls_token"), "\(error)")
        }
        // Without sentence-transformers files: a plain HF folder, mean pooling, 512 tokens.
        for name in ["modules.json", "sentence_bert_config.json", "1_Pooling"] {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        let plain = try SentenceTransformer(folder: folder)
        XCTAssertEqual(plain.maxTokens, 512)
        XCTAssertFalse(plain.declaresNormalize)
    }

    func testThroughput() throws {
        let reference = try fixture("minilm_throughput.json")
        let runs = try XCTUnwrap(reference["runs"] as? [String: Any])
        let torch = try XCTUnwrap((runs["threads=2"] as? [String: Any])?["sentences_per_sec_median"] as? Double)
        // Same recipe as scripts/minilm_bench.py: 1,024 sentences of 16–24 words from a fixed word list.
        let words = ("the of and to in is was for on that with as by at from his her they have had not are this which be or an were their "
            + "one all also but has more its new after first two other some time year city people state world system during most many years "
            + "between under government school company used music river known team game called war film water book history market energy "
            + "computer network processing unit graphics memory model data science research university student teacher language library "
            + "bridge mountain island village church museum station airport hospital engine vehicle software hardware function signal")
            .split(separator: " ").map(String.init)
        var state: UInt64 = 42
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let sentences = (0..<1024).map { _ -> String in
            let s = (0..<(16 + next() % 9)).map { _ in words[next() % words.count] }.joined(separator: " ")
            return s.prefix(1).uppercased() + s.dropFirst() + "."
        }
        let model = try SentenceTransformer(folder: try miniLMFolder(), batchSize: 32)
        let tokens = try sentences.map { try model.tokenize($0).ids.count }.reduce(0, +)
        _ = try model.embed(Array(sentences.prefix(64)))  // warm-up: scratch buffers, OpenBLAS threads
        func cpuSeconds() -> Double {
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        var times: [Double] = []
        let cpuStart = cpuSeconds()
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try model.embed(sentences)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            XCTAssertEqual(result.count, sentences.count)
        }
        let median = times.sorted()[1]
        // The machine is shared: CPU time shows what the runs cost even when other jobs stretch wall time.
        let cpuPerRun = (cpuSeconds() - cpuStart) / 3
        let tokenizeStart = DispatchTime.now().uptimeNanoseconds
        for s in sentences { _ = try model.tokenize(s) }
        let tokenizeSeconds = Double(DispatchTime.now().uptimeNanoseconds - tokenizeStart) / 1e9
        print(String(format: "THROUGHPUT: %.1f sentences/s (%.0f tokens/s, avg %.1f tokens, runs %@ s; tokenization alone %.3f s) vs sentence-transformers %.1f/s = %.2fx; CPU %.2f s per run (user+sys, both threads); load %@",
                     Double(sentences.count) / median, Double(tokens) / median, Double(tokens) / 1024,
                     times.map { String(format: "%.3f", $0) }.joined(separator: ", "), tokenizeSeconds, torch,
                     Double(sentences.count) / median / torch, cpuPerRun,
                     (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"))
    }
}
