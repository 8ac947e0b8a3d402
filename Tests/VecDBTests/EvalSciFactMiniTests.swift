import Foundation
import VecDB
import Embedder
import Evaluation
import Models
import Training
import XCTest

/// `RetrievalEvaluation` end to end on the committed 40-document SciFact subset with the real minilm model: the
/// metrics must equal pytrec_eval's over the same run (scifact_mini_expected.json, written by
/// bench/eval/check_run.py from `vecdb eval --run-dir`), and a second run must reuse the stored vectors.
final class EvalSciFactMiniTests: XCTestCase {
    func miniDataset() throws -> BEIRDataset {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/eval/scifact-mini", withExtension: nil))
        return try BEIRDataset(folder: url)
    }

    func testEvaluatesMiniSciFactLikePytrecEval() throws {
        let embedder = try TestModel.load()
        let dataset = try miniDataset()
        XCTAssertEqual(dataset.corpus.count, 40)
        XCTAssertEqual(dataset.queries.count, 10)
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        var phases: [RetrievalEvaluation.Phase] = []
        let first = try XCTUnwrap(try RetrievalEvaluation.run(dataset: dataset, database: database, embedder: embedder) { phase, _, _ in
            if phases.last != phase { phases.append(phase) }
        }.first)
        XCTAssertNil(first.index, "the exact scan is the measure; the index only with index: true")
        XCTAssertEqual(phases, [.ingest, .embedQueries, .search])
        XCTAssertEqual(first.ingest.added, 40)
        XCTAssertEqual(first.run.count, 10)
        // k = 100 over 40 documents: every query ranks the whole corpus, so every relevant document is retrieved.
        XCTAssertTrue(first.run.values.allSatisfy { $0.count == 40 })
        XCTAssertEqual(first.metrics["recall_at_100"], 1)
        XCTAssertEqual(first.relevantScores.count, 13)
        XCTAssertEqual(first.nonRelevantScores.count, 10 * 40 - 13)
        for metric in RetrievalEvaluation.reported {
            let value = try XCTUnwrap(first.metrics[metric.key], metric.key)
            XCTAssertTrue((0...1).contains(value), "\(metric.key) = \(value)")
        }
        // The distractors are minilm's own top-ranked non-relevant abstracts, so ranks are not all 1, but the
        // relevant abstracts stay near the top.
        XCTAssertGreaterThan(first.metrics["ndcg_at_10"]!, 0.5)
        XCTAssertLessThan(first.metrics["mrr_at_10"]!, 1)

        struct Expected: Decodable { var metrics: [String: Double] }
        let expected = try JSONDecoder().decode(Expected.self, from: fixture("eval/scifact_mini_expected.json"))
        XCTAssertEqual(Set(expected.metrics.keys), Set(RetrievalEvaluation.reported.map(\.key)))
        for (key, value) in expected.metrics {
            XCTAssertEqual(first.metrics[key]!, value, accuracy: 1e-6, "\(key) differs from pytrec_eval")
        }

        // The TREC run lists every query's documents ranked 1…40.
        let lines = first.trecRun().split(separator: "\n")
        XCTAssertEqual(lines.count, 400)
        XCTAssertEqual(lines.first?.split(separator: " ").count, 6)

        // Again on the same database: nothing is embedded twice and the numbers do not move.
        let second = try RetrievalEvaluation.run(dataset: dataset, database: database, embedder: embedder)[0]
        XCTAssertEqual(second.ingest.alreadyPresent, 40)
        XCTAssertEqual(second.ingest.added + second.ingest.embedded + second.ingest.updated, 0)
        XCTAssertEqual(second.metrics, first.metrics)
    }

    func testRefusesKBelow100() throws {
        let embedder = try TestModel.load()
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        XCTAssertThrowsError(try RetrievalEvaluation.run(dataset: try miniDataset(), database: database, embedder: embedder,
                                                         k: 10)) { error in
            XCTAssertTrue("\(error)".contains("at least 100"), "\(error)")
        }
    }

    func testRefusesACollectionWithDocumentsFromElsewhere() throws {
        let embedder = try TestModel.load()
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        _ = try database.ingest(from: InputReader(records: [IngestRecord(text: "A note that is not in SciFact.", externalID: "other-1", line: 1)],
                                                  sourceName: "notes"), embedder: embedder)
        XCTAssertThrowsError(try RetrievalEvaluation.run(dataset: try miniDataset(), database: database, embedder: embedder)) { error in
            XCTAssertTrue("\(error)".contains("holds 41 vectors but the corpus has 40 documents"), "\(error)")
        }
        // Its own collection in the same database holds only the corpus.
        let own = try RetrievalEvaluation.run(dataset: try miniDataset(), database: database,
                                              embedder: try SpaceEmbedder(embedder.reference, collection: "scifact-minilm"))[0]
        XCTAssertEqual(own.collection, "scifact-minilm")
        XCTAssertEqual(own.ingest.embedded, 40, "documents are stored once; only the new collection's vectors are computed")
    }

    func testReportIsOneSelfContainedFile() throws {
        let embedder = try TestModel.load()
        let dataset = try miniDataset()
        let database = try VectorDatabase(path: temporaryDatabasePath(self), create: true)
        let evaluation = try RetrievalEvaluation.run(dataset: dataset, database: database, embedder: embedder)[0]
        let html = EvaluationReport.html(dataset: dataset, evaluations: [evaluation], notes: ["minilm": ["seconds": "1.0"]])
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("</html>"))
        for forbidden in ["<script", " src=", "href=", "url(", "@import", "<link", "<img", "<iframe"] {
            XCTAssertFalse(html.lowercased().contains(forbidden), "the report must not load anything: found \(forbidden)")
        }
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 2, "metric bars and one histogram")
        for label in ["nDCG@10", "MRR@10", "Recall@10", "Recall@100", "MAP@10", "relevant (n=13", "non-relevant in top 100 (n=387"] {
            XCTAssertTrue(html.contains(label), "missing \(label)")
        }
        XCTAssertTrue(html.contains(String(format: "%.4f", evaluation.metrics["ndcg_at_10"]!)))
    }
}
