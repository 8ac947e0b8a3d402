import Embedder
import Foundation
import VecDB
import Evaluation
import Models
import Training
import XCTest

/// `trainAdapter` end to end with the real minilm on the committed SciFact subset: the adapter becomes a model space
/// of its own, stored vectors agree with query-time vectors, training is reproducible, retraining replaces it.
final class AdapterTests: XCTestCase {
    private func miniData() throws -> AdapterTrainingData {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/eval/scifact-mini", withExtension: nil))
        return AdapterTrainingData(dataset: try BEIRDataset(folder: url, split: "test"))
    }

    private func options(seed: UInt64) -> ContrastiveTrainingOptions {
        var options = ContrastiveTrainingOptions()
        options.epochs = 4
        options.batchSize = 8
        options.seed = seed
        options.validationFraction = 0.2
        return options
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    func testAdapterIsAModelSpaceOfItsOwn() throws {
        let base = try TestModel.load()
        let data = try miniData()
        XCTAssertEqual(data.queries.count, 10)
        XCTAssertEqual(data.pairCount, 13)
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var epochs: [Int] = []
        let record = try database.trainAdapter(name: "minilm+sci", base: base, data: data, options: options(seed: 7)) { event in
            if case let .epoch(report) = event { epochs.append(report.epoch) }
        }
        XCTAssertEqual(epochs.first, 0)
        XCTAssertEqual(record.base.collection, "minilm")
        XCTAssertEqual(record.shape, AdapterShape(input: 384, output: 384))
        XCTAssertEqual(record.data.trainingQueries + record.data.validationQueries, 10)
        XCTAssertEqual(record.data.validationQueries, 2)
        XCTAssertEqual(record.options.seed, 7)

        let collections = Dictionary(uniqueKeysWithValues: try database.collections().map { ($0.name, $0) })
        XCTAssertEqual(collections["minilm"]?.count, 40, "the corpus is stored once, with its frozen vectors")
        XCTAssertEqual(collections["minilm+sci"]?.count, 40, "every stored document got its adapted vector")
        XCTAssertEqual(try database.documentCount(), 40)
        XCTAssertEqual(try database.check(), [])

        // A document's stored adapted vector (projected from its stored frozen one) equals what the adapter's
        // embedder computes from its text at query time.
        let adapted = try embedder("minilm+sci", database: database)
        XCTAssertEqual(adapted.spaces.map(\.collection), ["minilm+sci"])
        let documentText = data.documents[3].text
        let id = try XCTUnwrap(try database.documentID(externalID: data.documents[3].externalID!))
        let stored = try XCTUnwrap(try database.vectors(collection: "minilm+sci", documentIDs: [id])[id])
        let computed = try adapted.embed([documentText])[0][0].vector
        XCTAssertGreaterThan(cosine(stored, computed), 0.99999)
        let frozen = try XCTUnwrap(try database.vectors(collection: "minilm", documentIDs: [id])[id])
        XCTAssertLessThan(cosine(stored, frozen), 0.9999, "the adapter changed the space")

        let hits = try database.query(data.queries[0], embedder: adapted, k: 3, mode: .exact).hits
        XCTAssertEqual(hits.count, 3)

        // The same data and seed in another database give the same weights; the training data hash is sha256 of the
        // pairs, checked with coreutils.
        let again = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        let second = try again.trainAdapter(name: "minilm+sci", base: base, data: data, options: options(seed: 7))
        XCTAssertEqual(try again.adapter(named: "minilm+sci")?.weights, try database.adapter(named: "minilm+sci")?.weights)
        XCTAssertEqual(second.history.map(\.loss), record.history.map(\.loss))
        XCTAssertEqual(record.data.sha256, try sha256sum(pairsBytes(data)))

        // Retraining under the same name replaces the adapter and all its vectors.
        let before = try XCTUnwrap(try database.collections().first { $0.name == "minilm+sci" })
        _ = try database.trainAdapter(name: "minilm+sci", base: base, data: data, options: options(seed: 8))
        let after = try XCTUnwrap(try database.collections().first { $0.name == "minilm+sci" })
        XCTAssertNotEqual(before.weightsSHA256, after.weightsSHA256)
        XCTAssertEqual(after.count, 40)
        XCTAssertEqual(try database.adapters().map(\.name), ["minilm+sci"])
        XCTAssertEqual(try database.check(), [])
        let replaced = try XCTUnwrap(try database.vectors(collection: "minilm+sci", documentIDs: [id])[id])
        let recomputed = try embedder("minilm+sci", database: database).embed([documentText])[0][0].vector
        XCTAssertGreaterThan(cosine(replaced, recomputed), 0.99999)
    }

    func testDocumentsWithFrozenVectorsJoinTheAdapterSpaceWithoutEmbedding() throws {
        let base = try TestModel.load()
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        _ = try database.trainAdapter(name: "minilm+sci", base: base, data: try miniData(), options: options(seed: 1))
        // A document ingested later with the base model only...
        _ = try database.ingest(from: reader(self, "Graphics processing units accelerate matrix products.\n"), embedder: base)
        XCTAssertEqual(try database.collections().first { $0.name == "minilm+sci" }?.count, 40)
        // ...is mapped into the adapter's space by the next ingest through the adapter, from its stored vector.
        let adapted = try embedder("minilm+sci", database: database)
        let summary = try database.ingest(from: reader(self, "Graphics processing units accelerate matrix products.\n"), embedder: adapted)
        XCTAssertEqual(summary.embedded, 1)
        XCTAssertEqual(summary.alreadyPresent, 1)
        XCTAssertEqual(try database.collections().first { $0.name == "minilm+sci" }?.count, 41)
        XCTAssertEqual(try database.query("What speeds up matrix products?", embedder: adapted, k: 1, mode: .exact).hits.count, 1)
        XCTAssertEqual(try database.check(), [])
    }

    func testPairsFilesAndNamesAreChecked() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pairs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appendingPathComponent("pairs.jsonl")
        try Data("{\"query\": \"q1\", \"positive\": \"a1\"}\n{\"query\": \"q2\"}\n".utf8).write(to: bad)
        XCTAssertThrowsError(try AdapterTrainingData(pairsFile: bad)) { error in
            XCTAssertEqual("\(error)", "pairs.jsonl:2: field \"positive\" is missing")
        }
        let good = folder.appendingPathComponent("good.jsonl")
        try Data("{\"query\": \"q1\", \"positive\": \"a1\"}\n{\"query\": \"q1\", \"positive\": \"a2\"}\n{\"query\": \"q2\", \"positive\": \"a1\"}\n".utf8)
            .write(to: good)
        let data = try AdapterTrainingData(pairsFile: good)
        XCTAssertEqual(data.queries, ["q1", "q2"])
        XCTAssertEqual(data.documents.map(\.text), ["a1", "a2"])
        XCTAssertEqual(data.relevant, [[0, 1], [0]])

        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        for name in ["minilm", "a:b", "x/y", ""] {
            XCTAssertThrowsError(try database.trainAdapter(name: name, base: try TestModel.load(), data: data, options: options(seed: 1)),
                                 "name '\(name)'")
        }
        XCTAssertEqual(try database.adapters().count, 0)
    }

    /// The pairs in training order: query, NUL, document, newline.
    private func pairsBytes(_ data: AdapterTrainingData) -> Data {
        var bytes = Data()
        for (query, documents) in zip(data.queries, data.relevant) {
            for index in documents { bytes += Data(query.utf8) + Data([0]) + Data(data.documents[index].text.utf8) + Data([0x0A]) }
        }
        return bytes
    }

    private func sha256sum(_ bytes: Data) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(bytes)
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(64))
    }
}
