import Embedder
import Foundation
import TestSupport
import XCTest

/// The quality gate of the reduced precisions on both model families, against the reference implementations'
/// float32 vectors (sentence-transformers for MiniLM, transformers for SmolLM2; the fixtures of
/// SentenceTransformerTests and LlamaEmbedderTests): every vector within cosine 0.99 of the reference (bf16 0.999),
/// and the question × answer contrast that vecdb exists to show still there.
final class PrecisionTests: XCTestCase {
    private func cosine(_ a: [Float], _ b: [Float]) -> Double { LlamaTestSupport.cosine(a, b) }

    private func threshold(_ precision: Precision) -> Double { precision == .bf16 ? 0.999 : 0.99 }

    func testMiniLMReducedPrecisionsStayWithinTheGateOfSentenceTransformers() throws {
        let reference = try fixture("minilm_embeddings.json")
        let texts = try XCTUnwrap(reference["texts"] as? [String])
        let expected = try XCTUnwrap(reference["embeddings"] as? [Any]).map { try XCTUnwrap(floats($0)) }
        let qa = try XCTUnwrap(reference["cosine_questions_x_answers"] as? [String: Any])
        let matrix = try XCTUnwrap(qa["matrix"] as? [Any]).map { try XCTUnwrap(floats($0)) }
        for precision in [Precision.bf16, .int8] {
            let model = try SentenceTransformer(folder: try miniLMFolder(), precision: precision)
            XCTAssertEqual(model.model.precision, precision)
            let vectors = try model.embed(texts).map(\.vector)
            let cosines = zip(vectors, expected).map { cosine($0, $1) }
            print("MiniLM \(precision) (\(precision.kernelName)): cosine to sentence-transformers min "
                + "\(String(format: "%.5f", cosines.min()!)), mean \(String(format: "%.5f", cosines.reduce(0, +) / Double(cosines.count)))")
            for (i, c) in cosines.enumerated() { XCTAssertGreaterThanOrEqual(c, threshold(precision), "\(precision) text \(i)") }
            // One by one equals batched: the row quantisation is per token, so batch neighbours change nothing.
            for (i, text) in texts.enumerated() {
                XCTAssertGreaterThanOrEqual(cosine(try model.embed([text])[0].vector, vectors[i]), 0.99999, "\(precision) text \(i) alone")
            }
            for q in 0..<2 {
                for a in 0..<2 {
                    XCTAssertEqual(cosine(vectors[q], vectors[2 + a]), Double(matrix[q][a]), accuracy: 0.01, "\(precision) q\(q)×a\(a)")
                }
            }
        }
    }

    func testSmolLM2ReducedPrecisionsStayWithinTheGateOfTransformers() throws {
        let fixture = try LlamaTestSupport.fixture("smollm2_last_token") as! [String: Any]
        let variant = (fixture["variants"] as! [String: [String: Any]])["add_generation_prompt=False"]!
        let expected = (variant["last_hidden_full"] as! [[NSNumber]]).map { $0.map(\.floatValue) }
        let ids = (variant["token_ids"] as! [[Int]]).map { $0.map(Int32.init) }
        for precision in [Precision.bf16, .int8] {
            let embedder = try LlamaEmbedder(ggufFile: LlamaTestSupport.smolLM2URL(), pooling: .last, prompt: .chat,
                                             precision: precision)
            XCTAssertLessThan(embedder.model.weightBytes, 540_000_000, "packed layers replace the float copy")
            let states = try embedder.model.forward(ids)
            let cosines = ids.indices.map { cosine(states.lastToken(sequence: $0), expected[$0]) }
            print("SmolLM2 \(precision) (\(precision.kernelName)): cosine to transformers \(cosines.map { String(format: "%.5f", $0) }), "
                + "weights \(embedder.model.weightBytes / 1_000_000) MB")
            for (i, c) in cosines.enumerated() { XCTAssertGreaterThanOrEqual(c, threshold(precision), "\(precision) text \(i)") }
        }
    }
}
