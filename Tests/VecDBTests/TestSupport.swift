import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// The installed all-MiniLM-L6-v2 (`$VECDB_MODELS`, else the user cache), loaded once; XCTest runs tests one at a
/// time, so sharing it is safe. A missing model fails the test:
/// CI pulls it first (scripts/test).
enum TestModel {
    nonisolated(unsafe) static let minilm: Result<SpaceEmbedder, Error> = Result {
        try testResolver.embedder("minilm", in: nil)
    }

    static func load() throws -> SpaceEmbedder {
        do {
            return try minilm.get()
        } catch {
            XCTFail("\(error) — run `vecdb models pull minilm` (or set VECDB_MODELS)")
            throw error
        }
    }
}

/// Models from the cache the environment names, as the CLI resolves them.
let testResolver = ModelResolver(store: .fromEnvironment())

/// The embedder of the model or adapter `name`, adapters looked up in `database`.
func embedder(_ name: String, database: VectorDatabase) throws -> SpaceEmbedder {
    try database.read { try testResolver.embedder(name, in: $0) }
}

/// A fresh database folder, removed after the test.
func temporaryDatabasePath(_ test: XCTestCase) -> String {
    let path = NSTemporaryDirectory() + "vecdb-test-\(UUID().uuidString)"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Writes `text` to a temporary file and returns a reader over it.
func reader(_ test: XCTestCase, _ text: String, name: String = "input.txt") throws -> InputReader {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
    try Data(text.utf8).write(to: url)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    let input = try InputReader(path: url.path, format: nil)
    try input.validateAll()
    return input
}

func fixture(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        throw VecDBError.invalidInput(InputLocation("Fixtures/\(name)"), "missing from the test bundle")
    }
    return try Data(contentsOf: url)
}

/// The seed article's pairs and the reference cosine tables (Fixtures/seed_pairs.json).
struct SeedPairs: Decodable {
    var questions: [String]
    var answers: [String]
    /// question × answer cosines of all-MiniLM-L6-v2.
    var minilm: [[Double]]
    /// question × answer cosines of SmolLM2 by "POOLING:PROMPT".
    var smollm2: [String: [[Double]]]

    static func load() throws -> SeedPairs { try JSONDecoder().decode(SeedPairs.self, from: try fixture("seed_pairs.json")) }
}
