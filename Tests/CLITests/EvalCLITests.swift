import Foundation
import XCTest

/// `vecdb eval` and `vecdb compare` as a user runs them (the built binary, the real minilm model).
final class EvalCLITests: XCTestCase {
    /// The committed SciFact subset, found from this source file (CLITests has no resource bundle).
    let mini = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../VecDBTests/Fixtures/eval/scifact-mini").standardizedFileURL.path

    func testEvalPrintsMetricsJSONAndWritesReportAndRun() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("eval.vecdb").path
        let report = folder.appendingPathComponent("report.html").path
        let runs = folder.appendingPathComponent("runs").path
        let result = try CLI().run(["eval", "--dataset", mini, "--db", db, "--json", "--exact", "--report", report, "--run-dir", runs])
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = try jsonObject(result.stdout)
        XCTAssertEqual(output["queries"] as? Int, 10)
        let models = try XCTUnwrap(output["models"] as? [String: Any])
        XCTAssertEqual(Array(models.keys), ["minilm"])
        let minilm = try XCTUnwrap(models["minilm"] as? [String: Any])
        XCTAssertEqual(minilm["search"] as? String, "exact")
        for key in ["ndcg_at_10", "mrr_at_10", "recall_at_10", "recall_at_100", "map_at_10"] {
            let value = try XCTUnwrap(minilm[key] as? Double, key)
            XCTAssertTrue((0...1).contains(value), "\(key) = \(value)")
        }
        XCTAssertEqual(minilm["recall_at_100"] as? Double, 1, "40 documents, k = 100: all are ranked")
        XCTAssertGreaterThan(try XCTUnwrap(minilm["seconds"] as? Double), 0)
        XCTAssertGreaterThan(try XCTUnwrap(minilm["peak_rss_mb"] as? Double), 10)
        XCTAssertTrue(result.stderr.contains("exact search"), result.stderr)
        XCTAssertTrue(result.stderr.contains("40 added"), result.stderr)

        let html = try String(contentsOfFile: report, encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && !html.contains("<script"))
        let run = try String(contentsOfFile: runs + "/minilm.run", encoding: .utf8)
        XCTAssertEqual(run.split(separator: "\n").count, 400)

        // The second run finds every document already embedded.
        let again = try CLI().run(["eval", "--dataset", mini, "--db", db])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("40 already present"), again.stderr)
        XCTAssertTrue(again.stdout.contains("nDCG@10") && again.stdout.contains("minilm"), again.stdout)
    }

    func testEvalRejectsBadInputInOneLine() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("eval.vecdb").path
        let missing = try CLI().run(["eval", "--dataset", folder.path, "--db", db])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("corpus.jsonl: no such file"), missing.stderr)
        let smallK = try CLI().run(["eval", "--dataset", mini, "--db", db, "--k", "10"])
        XCTAssertNotEqual(smallK.status, 0)
        XCTAssertTrue(smallK.stderr.contains("at least 100"), smallK.stderr)
        let unknownModel = try CLI().run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,nosuchmodel"])
        XCTAssertNotEqual(unknownModel.status, 0)
        XCTAssertTrue(unknownModel.stderr.contains("unknown model 'nosuchmodel'"), unknownModel.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "a bad model name fails before the database is made")
    }

    func testCompareSeedShowsPublishedFigures() throws {
        let result = try CLI().run(["compare"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("published figures"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Mistral-7B-Instruct-v0.1") && result.stdout.contains("e5-mistral-7b-instruct"))
        XCTAssertTrue(result.stdout.contains("minilm (computed by vecdb)"), result.stdout)

        let json = try jsonObject(try CLI().run(["compare", "--json"]).stdout)
        let minilm = try XCTUnwrap((json["models"] as? [String: Any])?["minilm"] as? [String: Any])
        XCTAssertEqual(minilm["top1_accuracy"] as? Double, 1)
        XCTAssertEqual((minilm["similarities"] as? [[Double]])?.count, 2)
        XCTAssertGreaterThan(try XCTUnwrap(minilm["gap"] as? Double), 0.3)
        let published = try XCTUnwrap(json["published"] as? [String: Any])
        let mistral = try XCTUnwrap(published["Mistral-7B-Instruct-v0.1"] as? [String: Any])
        XCTAssertEqual(mistral["similarities"] as? [[Double]], [[0.96, 0.90], [0.93, 0.94]])
    }

    func testCompareFiles() throws {
        let folder = try temporaryFolder(self)
        let q = folder.appendingPathComponent("q.txt"), a = folder.appendingPathComponent("a.txt")
        try Data("What colour is the sky?\nWhat do bees make?\nHow many legs does a spider have?\n".utf8).write(to: q)
        try Data("The sky is blue on a clear day.\nBees make honey.\nA spider has eight legs.\n".utf8).write(to: a)
        let result = try CLI().run(["compare", "--questions", q.path, "--answers", a.path, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try jsonObject(result.stdout)
        XCTAssertNil(json["published"], "published figures belong to the seed pairs only")
        let minilm = try XCTUnwrap((json["models"] as? [String: Any])?["minilm"] as? [String: Any])
        XCTAssertEqual((minilm["similarities"] as? [[Double]])?.count, 3)
        XCTAssertEqual(minilm["top1_accuracy"] as? Double, 1)

        try Data("only one answer\n".utf8).write(to: a)
        let mismatch = try CLI().run(["compare", "--questions", q.path, "--answers", a.path])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.stderr.contains("has 3 lines but"), mismatch.stderr)
        let half = try CLI().run(["compare", "--questions", q.path])
        XCTAssertNotEqual(half.status, 0)
        XCTAssertTrue(half.stderr.contains("give both --questions and --answers"), half.stderr)
    }
}
