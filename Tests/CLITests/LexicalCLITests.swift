import Foundation
import TestSupport
import XCTest

/// `--model bm25` and `--fuse` as a user runs them: ingest over stored documents, query, stopword-only queries,
/// settings refused when they differ from the stored ones, fused lists with each input's rank, `info`, deletes and
/// upserts that `check` finds exact, and `eval` against bm25s's figures on the committed SciFact subset.
final class LexicalCLITests: XCTestCase {
    private let cli = CLI()
    let mini = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../VecDBTests/Fixtures/eval/scifact-mini").standardizedFileURL.path

    private func database(_ folder: URL) throws -> String {
        let input = folder.appendingPathComponent("docs.jsonl")
        try Data("""
            {"id": "gpu", "text": "A GPU is a graphics processing unit: it renders images in parallel.", "lang": "en"}
            {"id": "cpu", "text": "A central processing unit runs programs one instruction at a time.", "lang": "en"}
            {"id": "sf", "text": "OpenAI is based in San Francisco.", "lang": "en"}
            {"id": "cat", "text": "The cat sat on the mat.", "lang": "en"}
            {"id": "de", "text": "Ein Grafikprozessor berechnet Bilder.", "lang": "de"}

            """.utf8).write(to: input)
        let db = folder.appendingPathComponent("db").path
        let dense = try cli.run(["ingest", input.path, "--db", db])
        XCTAssertEqual(dense.status, 0, dense.stderr)
        // The same documents into the lexical space: indexed, not stored again.
        let lexical = try cli.run(["ingest", input.path, "--db", db, "--model", "bm25", "--json"])
        XCTAssertEqual(lexical.status, 0, lexical.stderr)
        let summary = try jsonObject(lexical.stdout)
        XCTAssertEqual(summary["added"] as? Int, 0)
        XCTAssertEqual(summary["embedded"] as? Int, 5)
        XCTAssertEqual(summary["collections"] as? [String], ["bm25"])
        return db
    }

    private func results(_ result: CLI.Result) throws -> [[String: Any]] {
        XCTAssertEqual(result.status, 0, result.stderr)
        return try XCTUnwrap(try jsonObject(result.stdout)["results"] as? [[String: Any]])
    }

    func testQueryRanksByBM25AndStopwordsFindNothing() throws {
        let db = try database(try temporaryFolder(self))
        let hits = try results(try cli.run(["query", "processing units", "--db", db, "--model", "bm25", "--json"]))
        XCTAssertEqual(hits.map { $0["external_id"] as! String }, ["gpu", "cpu"])
        XCTAssertGreaterThan(hits[0]["score"] as! Double, 0)
        let json = try jsonObject(try cli.run(["query", "processing", "--db", db, "--model", "bm25", "--json"]).stdout)
        XCTAssertEqual(json["search"] as? String, "maxscore")
        XCTAssertEqual(try results(try cli.run(["query", "processing", "--db", db, "--model", "bm25", "--json", "--exact"])).count, 2)

        for query in ["the of and it is", "xylophone"] {
            let none = try cli.run(["query", query, "--db", db, "--model", "bm25"])
            XCTAssertEqual(none.status, 0, none.stderr)
            XCTAssertEqual(none.stdout, "no documents\n")
            XCTAssertEqual(try results(try cli.run(["query", query, "--db", db, "--model", "bm25", "--json"])).count, 0)
        }
        let filtered = try results(try cli.run(["query", "grafikprozessor processing", "--db", db, "--model", "bm25", "--json",
                                                "--where", #"{"lang": "de"}"#]))
        XCTAssertEqual(filtered.map { $0["external_id"] as! String }, ["de"])
    }

    func testSettingsOtherThanTheStoredOnesAreRefused() throws {
        let db = try database(try temporaryFolder(self))
        let other = try cli.run(["query", "processing", "--db", db, "--model", "bm25", "--k1", "1.2"])
        XCTAssertEqual(other.status, 65, other.stderr)
        XCTAssertTrue(other.stderr.contains("was built with stemmer porter, stopwords english, k1 0.9, b 0.4; asked for stemmer porter, stopwords english, k1 1.2, b 0.4"),
                      other.stderr)
        XCTAssertEqual(other.stderr.split(separator: "\n").count, 1, other.stderr)
        // Another collection may have other settings.
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("one.txt")
        try Data("Running runners run.\n".utf8).write(to: input)
        let plain = try cli.run(["ingest", input.path, "--db", db, "--model", "bm25", "--collection", "plain", "--stemmer", "none", "--b", "0.75"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let plainQuery = ["query", "--db", db, "--model", "bm25", "--collection", "plain", "--json"]
        XCTAssertEqual(try results(try cli.run(plainQuery + ["runs"])).count, 0, "no stemmer: 'runs' is not 'run'")
        XCTAssertEqual(try results(try cli.run(plainQuery + ["running"])).count, 1)
        // The stemmed collection did not index that document: only "runs programs" stems to "run" there.
        XCTAssertEqual(try results(try cli.run(["query", "running", "--db", db, "--model", "bm25", "--json"])).map { $0["external_id"] as? String },
                       ["cpu"])
        for bad in [["--b", "2"], ["--k1", "-1"], ["--stemmer", "snowball"]] {
            let result = try cli.run(["query", "run", "--db", db, "--model", "bm25", "--collection", "x"] + bad)
            XCTAssertNotEqual(result.status, 0, bad.joined(separator: " "))
            XCTAssertFalse(result.stderr.isEmpty)
        }
        let onDense = try cli.run(["query", "run", "--db", db, "--k1", "1.2"])
        XCTAssertEqual(onDense.status, 64, onDense.stderr)
    }

    func testFusedListShowsEveryInputsRank() throws {
        let db = try database(try temporaryFolder(self))
        let fused = try cli.run(["query", "What does a graphics processing unit do?", "--db", db, "--models", "minilm,bm25",
                                 "--fuse", "rrf", "--json", "-k", "3"])
        XCTAssertEqual(fused.status, 0, fused.stderr)
        let object = try jsonObject(fused.stdout)
        XCTAssertEqual(object["fused"] as? String, "rrf(minilm,bm25)")
        let hits = try XCTUnwrap(object["results"] as? [[String: Any]])
        XCTAssertEqual(hits.count, 3)
        XCTAssertEqual(hits[0]["external_id"] as? String, "gpu")
        let ranks = try XCTUnwrap(hits[0]["ranks"] as? [String: Int])
        XCTAssertEqual(ranks["minilm"], 1)
        XCTAssertEqual(ranks["bm25"], 1)
        XCTAssertEqual(hits[0]["score"] as! Double, 2.0 / 61, accuracy: 1e-12)
        let text = try cli.run(["query", "graphics", "--db", db, "--models", "minilm,bm25", "--fuse", "weighted:0.5", "-k", "2"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix("weighted:0.5(minilm,bm25):\n  1. 1.0000  #0  [minilm 1, bm25 1]"), text.stdout)
        let bad = try cli.run(["query", "graphics", "--db", db, "--models", "minilm,bm25", "--fuse", "borda"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--fuse borda: use rrf, rrf:K or weighted:W"), bad.stderr)
    }

    func testInfoDeleteAndUpsertKeepPostingsExact() throws {
        let folder = try temporaryFolder(self)
        let db = try database(folder)
        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        let collections = try XCTUnwrap(info["collections"] as? [[String: Any]])
        let bm25 = try XCTUnwrap(collections.first { $0["name"] as? String == "bm25" })
        let lexical = try XCTUnwrap(bm25["lexical"] as? [String: Any])
        XCTAssertEqual(lexical["stemmer"] as? String, "porter")
        XCTAssertEqual(bm25["count"] as? Int, 5)
        XCTAssertGreaterThan(try XCTUnwrap(lexical["terms"] as? Int), 20)
        XCTAssertGreaterThan(try XCTUnwrap(lexical["bytes"] as? Int), 0)

        let deleted = try cli.run(["delete", "--db", db, "--where", #"{"lang": "de"}"#])
        XCTAssertEqual(deleted.status, 0, deleted.stderr)
        let upsert = folder.appendingPathComponent("upsert.jsonl")
        try Data(#"{"id": "cat", "text": "A processing plant for cat food."}"# .appending("\n").utf8).write(to: upsert)
        XCTAssertEqual(try cli.run(["ingest", upsert.path, "--db", db, "--model", "bm25"]).status, 0)
        let check = try cli.run(["check", "--db", db])
        XCTAssertEqual(check.status, 0, check.stdout + check.stderr)
        let hits = try results(try cli.run(["query", "processing grafikprozessor", "--db", db, "--model", "bm25", "--json"]))
        XCTAssertEqual(Set(hits.map { $0["external_id"] as! String }), ["gpu", "cpu", "cat"])
    }

    func testEvalMatchesBM25sAndAddsTheFusedRow() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("eval.vecdb").path
        let result = try cli.run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,bm25", "--fuse", "rrf", "--json",
                                  "--compare", "minilm,rrf(minilm,bm25)", "--permutations", "200"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let models = try XCTUnwrap(try jsonObject(result.stdout)["models"] as? [String: [String: Any]])
        XCTAssertEqual(Set(models.keys), ["minilm", "bm25", "rrf(minilm,bm25)"])
        // bm25s on the same documents (Fixtures/eval/scifact-mini-bm25s.json, made by bench/bm25/bm25s_scifact.py).
        let reference = try jsonObject(String(contentsOfFile: mini + "-bm25s.json", encoding: .utf8))
        for key in ["ndcg_at_10", "recall_at_10", "recall_at_100", "map_at_10", "mrr_at_10"] {
            XCTAssertEqual(try XCTUnwrap(models["bm25"]?[key] as? Double), try XCTUnwrap(reference[key] as? Double), accuracy: 1e-4, key)
        }
        let fused = try XCTUnwrap(models["rrf(minilm,bm25)"]?["ndcg_at_10"] as? Double)
        XCTAssertTrue((0...1).contains(fused))
        let bad = try cli.run(["eval", "--dataset", mini, "--db", db, "--models", "minilm,bm25", "--fuse", "rrf(minilm,nothing)"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("'nothing' was not evaluated"), bad.stderr)
    }

    /// SIGKILL during a bm25 ingest: the committed batches' postings are all there and exact (`check` verifies
    /// every posting against the documents), nothing of the batch in flight.
    func testKilledLexicalIngestKeepsExactlyTheCommittedBatches() throws {
        let folder = try temporaryFolder(self)
        let input = folder.appendingPathComponent("notes.txt")
        try Data((syntheticSentences(40_000, seed: 5).joined(separator: "\n") + "\n").utf8).write(to: input)
        var generator = SplitMix64(seed: 3)
        for trial in 0..<3 {
            let db = folder.appendingPathComponent("db\(trial)").path
            let (process, stdout, _) = try cli.start(["ingest", input.path, "--db", db, "--model", "bm25", "--progress", "json",
                                                      "--batch-size", "50"])
            var events = JSONLineReader(stdout)
            var reported = 0
            reading: while reported < 1 + trial * 3 {
                switch events.next(waitingAtMost: 60) {
                case .object(let event):
                    if event["event"] as? String == "commit" { reported += 1 }
                case .waiting: continue
                case .ended: break reading
                }
            }
            usleep(UInt32(generator.next() % 100_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): ingest finished before the kill")
            let check = try cli.run(["check", "--db", db])
            XCTAssertEqual(check.status, 0, "trial \(trial): \(check.stdout) \(check.stderr)")
            let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
            let documents = try XCTUnwrap(info["documents"] as? Int)
            XCTAssertGreaterThanOrEqual(documents, reported * 50, "trial \(trial): a reported commit is missing")
            XCTAssertEqual(documents % 50, 0, "trial \(trial): a partial batch")
            let bm25 = try XCTUnwrap((info["collections"] as? [[String: Any]])?.first { $0["name"] as? String == "bm25" })
            XCTAssertEqual(bm25["count"] as? Int, documents, "trial \(trial)")
        }
    }
}
