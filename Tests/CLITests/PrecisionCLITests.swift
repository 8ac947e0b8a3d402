import Foundation
import TestSupport
import XCTest

/// `--precision` / `MODEL@PRECISION` on the command line: each precision is a collection of its own over the same
/// documents, shown in `info`; mixing precisions in one collection is refused; `VECDB_KERNELS=portable` forces the
/// portable products, whose vectors equal the SIMD ones.
final class PrecisionCLITests: XCTestCase {
    private let cli = CLI()

    private func vectors(_ result: CLI.Result) throws -> [[Double]] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try result.stdout.split(separator: "\n").map { line in
            try XCTUnwrap(try jsonObject(String(line))["vector"] as? [Double])
        }
    }

    private func cosine(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } / (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
    }

    func testEachPrecisionIsItsOwnCollectionAndMixingIsRefused() throws {
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("docs.txt")
        try Data("What is a GPU?\nA graphics processing unit renders images.\nGreen tea is made from leaves.\n".utf8).write(to: input)
        let db = folder.appendingPathComponent("db").path
        for arguments in [[String](), ["--precision", "int8"], ["--model", "minilm@bf16"]] {
            let ingest = try cli.run(["ingest", input.path, "--db", db] + arguments)
            XCTAssertEqual(ingest.status, 0, ingest.stderr)
        }
        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, 3, "documents are stored once")
        let collections = try XCTUnwrap(info["collections"] as? [[String: Any]])
        var precisionByName: [String: String] = [:]
        var hashes = Set<String>()
        for c in collections {
            precisionByName[try XCTUnwrap(c["name"] as? String)] = c["precision"] as? String
            hashes.insert(try XCTUnwrap(c["weights_sha256"] as? String))
        }
        XCTAssertEqual(precisionByName, ["minilm": "f32", "minilm@int8": "int8", "minilm@bf16": "bf16"])
        XCTAssertEqual(hashes.count, 3, "the weights hash covers the precision")

        // The int8 collection answers int8 queries; the f32 collection refuses them, naming both precisions.
        let query = try cli.run(["query", "What is a GPU?", "--db", db, "--model", "minilm@int8", "-k", "1", "--json"])
        XCTAssertEqual(query.status, 0, query.stderr)
        let refused = try cli.run(["query", "What is a GPU?", "--db", db, "--collection", "minilm", "--precision", "int8"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("'minilm'") && refused.stderr.contains("f32") && refused.stderr.contains("int8"),
                      refused.stderr)
        let conflicting = try cli.run(["embed", "x", "--model", "minilm@int8", "--precision", "bf16"])
        XCTAssertNotEqual(conflicting.status, 0)
        XCTAssertTrue(conflicting.stderr.contains("int8") && conflicting.stderr.contains("bf16"), conflicting.stderr)
    }

    func testForcedPortableProductsGiveTheSameVectors() throws {
        var portable = cli
        portable.environment["VECDB_KERNELS"] = "portable"
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("docs.txt")
        try Data("What is a GPU?\n".utf8).write(to: input)
        let db = folder.appendingPathComponent("db").path
        XCTAssertEqual(try portable.run(["ingest", input.path, "--db", db, "--precision", "int8"]).status, 0)
        let info = try portable.run(["info", "--json", "--db", db])
        let kernels = try XCTUnwrap(try jsonObject(info.stdout)["kernels"] as? [String: Any], info.stderr)
        XCTAssertEqual(kernels["linear_layers"] as? [String: String], ["f32": "openblas", "bf16": "portable", "int8": "portable"])
        let texts = ["What is a GPU?", "A graphics processing unit (GPU) is an electronic circuit that can perform mathematical calculations quickly"]
        for precision in ["int8", "bf16"] {
            let fastRun = try cli.run(["embed"] + texts + ["--precision", precision])
            let slowRun = try portable.run(["embed"] + texts + ["--precision", precision])
            let fast = try vectors(fastRun), slow = try vectors(slowRun)
            // The portable product is slower than f32: the user is told, in one line on stderr.
            XCTAssertTrue(slowRun.stderr.contains("note: \(precision) runs on the portable product"), slowRun.stderr)
            XCTAssertEqual(fast.count, 2)
            for (a, b) in zip(fast, slow) { XCTAssertGreaterThanOrEqual(cosine(a, b), 0.9999, precision) }
        }
    }
}

/// `vecdb eval` of one model at several precisions: each reduced precision's vectors are compared with the f32
/// collection's (per-document cosine, min and mean), beside the usual metrics.
final class PrecisionEvalCLITests: XCTestCase {
    let mini = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../VecDBTests/Fixtures/eval/scifact-mini").standardizedFileURL.path

    func testEvalReportsEachPrecisionsCosineToF32() throws {
        let db = try temporaryFolder(self).appendingPathComponent("eval.vecdb").path
        let result = try CLI().run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,minilm@bf16,minilm@int8", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let models = try XCTUnwrap(try jsonObject(result.stdout)["models"] as? [String: [String: Any]])
        XCTAssertNil(models["minilm"]?["cosine_to_f32"])
        let f32 = try XCTUnwrap(models["minilm"]?["ndcg_at_10"] as? Double)
        for (name, gate) in [("minilm@bf16", 0.999), ("minilm@int8", 0.99)] {
            let agreement = try XCTUnwrap(models[name]?["cosine_to_f32"] as? [String: Any], name)
            XCTAssertEqual(agreement["collection"] as? String, "minilm")
            XCTAssertEqual(agreement["documents"] as? Int, 40)
            let minimum = try XCTUnwrap(agreement["min"] as? Double), mean = try XCTUnwrap(agreement["mean"] as? Double)
            XCTAssertGreaterThanOrEqual(minimum, gate, name)
            XCTAssertLessThanOrEqual(minimum, mean)
            XCTAssertLessThan(mean, 1, "\(name) computes other vectors than f32")
            XCTAssertEqual(try XCTUnwrap(models[name]?["ndcg_at_10"] as? Double), f32, accuracy: 0.02, name)
        }
    }
}
