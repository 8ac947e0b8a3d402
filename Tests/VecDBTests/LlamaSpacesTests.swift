import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// SmolLM2 inside the database: several vector spaces from one ingest, each reproducing the reference tables.
final class LlamaSpacesTests: XCTestCase {
    func testOnePassFillsEverySpaceWithReferenceScores() throws {
        let reference: ModelReference
        do {
            reference = try ModelReference("smollm2", store: .fromEnvironment())
        } catch {
            return XCTFail("\(error) — run `vecdb models pull smollm2` (or set VECDB_MODELS)")
        }
        let seed = try SeedPairs.load()
        let embedder = try SpaceEmbedder(reference, options: EmbeddingOptions(poolings: ["last", "logits", "mean"],
                                                                             prompts: ["chat", "chat-gen"]))
        XCTAssertEqual(embedder.spaces.map(\.collection), [
            "smollm2", "smollm2:logits:chat", "smollm2:mean:chat",
            "smollm2:last:chat-gen", "smollm2:logits:chat-gen", "smollm2:mean:chat-gen",
        ])
        XCTAssertEqual(embedder.spaces.map(\.dimensions), [576, 49152, 576, 576, 49152, 576])

        let db = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        let summary = try db.ingest(from: try reader(self, seed.answers.joined(separator: "\n")), embedder: embedder)
        XCTAssertEqual(summary.added, 2)
        XCTAssertEqual(try db.collections().map(\.count), Array(repeating: 2, count: 6))
        XCTAssertEqual(try db.check(), [])

        for (space, collection) in embedder.spaces.enumerated() {
            let key = "\(collection.pooling):\(collection.prompt)"
            guard let table = seed.smollm2[key] else { continue }  // the reference has no mean-pooled table
            for (q, question) in seed.questions.enumerated() {
                let hits = try db.query(question, embedder: embedder, space: space, k: 2).hits
                XCTAssertEqual(hits.count, 2)
                for hit in hits {
                    let a = try XCTUnwrap(seed.answers.firstIndex(of: hit.document.text))
                    XCTAssertEqual(Double(hit.score), table[q][a], accuracy: 0.005, "\(key) q\(q) a\(a)")
                }
            }
        }
        // The seed's point: the base LLM's last token rates every pair about 0.9, relevant or not.
        let irrelevant = try db.query(seed.questions[0], embedder: embedder, k: 2).hits.map(\.score).min()!
        XCTAssertGreaterThan(irrelevant, 0.85)
    }
}
