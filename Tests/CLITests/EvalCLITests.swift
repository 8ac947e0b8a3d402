import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
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
        // Without --models: every installed model (CI installs both) and the lexical space.
        XCTAssertEqual(Set(models.keys), ["minilm", "smollm2", "bm25"])
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

    /// --compare on the subset with two real models: the JSON layout of the issue, the report's comparison
    /// charts, and --index reported apart from the exact scan.
    func testCompareReportsPairsAndTheIndexApart() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("eval.vecdb").path
        let report = folder.appendingPathComponent("compare.html").path
        let result = try CLI().run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,smollm2", "--pooling", "mean",
                                    "--prompt", "raw", "--compare", "minilm,smollm2:mean:raw", "--index", "--json",
                                    "--report", report])
        XCTAssertEqual(result.status, 0, result.stderr)
        let output = try jsonObject(result.stdout)
        let models = try XCTUnwrap(output["models"] as? [String: [String: Any]])
        for name in ["minilm", "smollm2:mean:raw"] {
            let model = try XCTUnwrap(models[name], name)
            XCTAssertEqual(model["search"] as? String, "exact", "the model's own figures come from the exact scan")
            let index = try XCTUnwrap(model["index"] as? [String: Any], name)
            XCTAssertEqual(index["ef"] as? Int, 100, "ef = k, the narrowest beam for k = 100")
            XCTAssertEqual(index["search"] as? String, "hnsw(ef=100)")
            for key in ["ndcg_at_10", "mrr_at_10", "recall_at_10", "recall_at_100", "map_at_10", "recall_vs_exact"] {
                XCTAssertNotNil(index[key] as? Double, "\(name) index.\(key)")
            }
            // 40 vectors and ef 100: the beam holds the whole graph, so the index finds the exact top 100.
            XCTAssertEqual(index["recall_vs_exact"] as? Double, 1)
            XCTAssertEqual(index["ndcg_at_10"] as? Double, model["ndcg_at_10"] as? Double)
        }
        let comparisons = try XCTUnwrap(output["comparisons"] as? [[String: Any]])
        XCTAssertEqual(comparisons.count, 1)
        let pair = comparisons[0]
        XCTAssertEqual(Set(pair.keys), ["a", "b", "wins", "ties", "losses", "mean_delta", "ci95", "p_randomization",
                                        "p_ttest", "p_holm", "per_query"])
        XCTAssertEqual(pair["a"] as? String, "minilm")
        XCTAssertEqual(pair["b"] as? String, "smollm2:mean:raw")
        let perQuery = try XCTUnwrap(pair["per_query"] as? [String: Double])
        XCTAssertEqual(perQuery.count, 10)
        let wins = try XCTUnwrap(pair["wins"] as? Int), ties = try XCTUnwrap(pair["ties"] as? Int)
        let losses = try XCTUnwrap(pair["losses"] as? Int)
        XCTAssertEqual(wins + ties + losses, 10)
        XCTAssertEqual(wins, perQuery.values.filter { $0 > 1e-12 }.count)
        // delta = b − a in nDCG@10, so the mean delta is the difference of the two models' means.
        let meanDelta = try XCTUnwrap(pair["mean_delta"] as? Double)
        XCTAssertEqual(meanDelta, perQuery.values.reduce(0, +) / 10, accuracy: 1e-12)
        XCTAssertEqual(meanDelta, (models["smollm2:mean:raw"]!["ndcg_at_10"] as! Double) - (models["minilm"]!["ndcg_at_10"] as! Double),
                       accuracy: 2e-5, "means are rounded to 5 decimals")
        let interval = try XCTUnwrap(pair["ci95"] as? [Double])
        XCTAssertEqual(interval.count, 2)
        XCTAssertTrue(interval[0] <= meanDelta && meanDelta <= interval[1], "\(interval)")
        for key in ["p_randomization", "p_ttest", "p_holm"] {
            XCTAssertTrue((0...1).contains(try XCTUnwrap(pair[key] as? Double, key)), key)
        }
        XCTAssertEqual(pair["p_holm"] as? Double, pair["p_randomization"] as? Double, "one pair: Holm changes nothing")

        let html = try String(contentsOfFile: report, encoding: .utf8)
        for forbidden in ["<script", " src=", "href=", "url(", "@import", "<link", "<img", "<iframe"] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "the report must not load anything: found \(forbidden)")
        }
        for text in ["Model comparisons", "Per-query nDCG@10 delta", "Where the relevant documents moved",
                     "queries that changed most", "top 3 under minilm", "top 3 under smollm2:mean:raw", "Through the HNSW index",
                     "recall vs exact"] {
            XCTAssertTrue(html.contains(text), "missing \(text)")
        }
        // Every chart is well-formed XML, so a browser draws it whatever else is on the page.
        let charts = html.components(separatedBy: "<svg").dropFirst().map { "<svg" + $0.components(separatedBy: "</svg>")[0] + "</svg>" }
        XCTAssertEqual(charts.count, 2 * 2 + 2, "per model bars and histogram; per pair delta bars and rank shift")
        for chart in charts {
            let parser = XMLParser(data: Data(chart.utf8))
            XCTAssertTrue(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? ""): \(chart.prefix(200))")
        }
        // One line per relevant (query, document) pair in the rank-shift chart: 13 in the subset.
        let rankShift = try XCTUnwrap(charts.first { $0.contains("rank of each relevant document") })
        XCTAssertEqual(rankShift.components(separatedBy: "stroke-opacity=\"0.35\"").count - 1, 13)

        let text = try CLI().run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,smollm2", "--pooling", "mean",
                                  "--prompt", "raw", "--compare", "minilm,smollm2:mean:raw"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("p Holm") && text.stdout.contains("smollm2:mean:raw"), text.stdout)
    }

    func testCompareAndIndexFlagsAreChecked() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("eval.vecdb").path
        let one = try CLI().run(["eval", "--dataset", mini, "--db", db, "--compare", "minilm"])
        XCTAssertEqual(one.status, 64)
        XCTAssertTrue(one.stderr.contains("at least two"), one.stderr)
        let stranger = try CLI().run(["eval", "--dataset", mini, "--db", db, "--models", "minilm", "--compare", "minilm,smollm2"])
        XCTAssertEqual(stranger.status, 64)
        XCTAssertTrue(stranger.stderr.contains("'smollm2' is not among --models"), stranger.stderr)
        let both = try CLI().run(["eval", "--dataset", mini, "--db", db, "--exact", "--index"])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--exact and --index exclude each other"), both.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "bad flags fail before the database is made")
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
