import Foundation
import TestSupport
import VecDB
import XCTest

/// `--where` on the command line: `query` (one model and `--models`), `delete`, their errors; and SIGKILL during
/// an ingest with metadata leaves postings that match the committed documents exactly.
final class FilterCLITests: XCTestCase {
    private let cli = CLI()

    private func database(_ folder: URL) throws -> String {
        let input = folder.appendingPathComponent("docs.jsonl")
        try Data("""
            {"id": "gpu", "text": "A graphics processing unit renders images.", "year": 2021, "tags": ["hw", "gpu"], "lang": "en"}
            {"id": "cpu", "text": "A central processing unit runs programs.", "year": 2019, "lang": "en"}
            {"id": "gpu-de", "text": "Ein Grafikprozessor berechnet Bilder.", "year": 2023, "lang": "de"}
            {"id": "tea", "text": "Green tea is made from unoxidised leaves.", "lang": "en", "draft": true}

            """.utf8).write(to: input)
        let db = folder.appendingPathComponent("db").path
        let ingest = try cli.run(["ingest", input.path, "--db", db])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        return db
    }

    private func ids(_ result: CLI.Result) throws -> [String] {
        XCTAssertEqual(result.status, 0, result.stderr)
        let results = try XCTUnwrap(try jsonObject(result.stdout)["results"] as? [[String: Any]])
        return results.map { $0["external_id"] as! String }
    }

    func testQueryWhereKeepsOnlyMatchingDocumentsAndShowsTheirMetadata() throws {
        let db = try database(try temporaryFolder(self))
        let query = ["query", "graphics card", "--db", db, "--json"]
        XCTAssertEqual(try ids(try cli.run(query + ["--where", #"{"year": {"$gte": 2020}}"#])), ["gpu", "gpu-de"])
        XCTAssertEqual(try ids(try cli.run(query + ["--where", #"{"lang": "en", "tags": "gpu"}"#])), ["gpu"])
        XCTAssertEqual(Set(try ids(try cli.run(query + ["--where", #"{"$or": [{"draft": true}, {"lang": "de"}]}"#]))), ["tea", "gpu-de"])
        XCTAssertEqual(Set(try ids(try cli.run(query + ["--where", #"{"year": {"$exists": false}}"#]))), ["tea"])
        let first = try XCTUnwrap(try jsonObject(try cli.run(query + ["--where", #"{"tags": {"$in": ["hw"]}}"#]).stdout)["results"]
            as? [[String: Any]]).first
        XCTAssertEqual(first?["metadata"] as? NSDictionary, ["year": 2021, "tags": ["hw", "gpu"], "lang": "en"] as NSDictionary)

        let compared = try cli.run(["query", "graphics card", "--db", db, "--models", "minilm", "--json", "--where", #"{"lang": "de"}"#])
        XCTAssertEqual(compared.status, 0, compared.stderr)
        let ranked = try XCTUnwrap((try jsonObject(compared.stdout)["models"] as? [String: Any])?["minilm"] as? [[String: Any]])
        XCTAssertEqual(ranked.map { $0["text"] as? String }, ["Ein Grafikprozessor berechnet Bilder."])

        let none = try cli.run(["query", "graphics card", "--db", db, "--where", #"{"lang": "fr"}"#])
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertEqual(none.stdout, "no documents\n")
    }

    func testBadFiltersFailInOneLineAndDeleteNothing() throws {
        let db = try database(try temporaryFolder(self))
        for (filter, says) in [
            (#"{"year": {"$gt": 2020"#, "invalid filter at character 22: expected ',' or '}'"),
            (#"{"year": {"$near": 1}}"#, "invalid filter at year.$near: unknown operator (use $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists)"),
            (#"{"year": "2021"}"#, "invalid filter at year: the field holds numbers, compared with a string"),
        ] {
            for command in [["query", "gpu", "--where", filter], ["delete", "--where", filter]] {
                let result = try cli.run(command + ["--db", db])
                XCTAssertEqual(result.status, 65, result.stderr)
                XCTAssertEqual(result.stderr, "Error: \(says)\n")
            }
        }
        XCTAssertTrue(try cli.run(["check", "--db", db]).stdout.hasPrefix("ok: 4 documents"))

        let deleted = try cli.run(["delete", "--db", db, "--where", #"{"lang": "en", "year": {"$lt": 2020}}"#])
        XCTAssertEqual(deleted.stdout, "deleted 1 document\n", deleted.stderr)
        XCTAssertTrue(try cli.run(["check", "--db", db]).stdout.hasPrefix("ok: 3 documents"))
        XCTAssertEqual(try cli.run(["delete", "--db", db, "--where", #"{"lang": "fr"}"#]).stdout, "deleted 0 documents\n")
        XCTAssertEqual(try cli.run(["delete", "--db", db]).status, 64)
    }

    func testKilledMetadataIngestLeavesPostingsOfCommittedDocumentsOnly() throws {
        let folder = try temporaryFolder(self)
        let lines = syntheticSentences(6_000, seed: 31)
        let kinds = ["alpha", "beta", "gamma"]
        let records = lines.enumerated().map { index, text in
            #"{"id": "n\#(index)", "text": "\#(text)", "kind": "\#(kinds[index % 3])", "rank": \#(index % 100), "tags": ["t\#(index % 7)"]}"#
        }
        let input = folder.appendingPathComponent("notes.jsonl")
        try Data((records.joined(separator: "\n") + "\n").utf8).write(to: input)
        var generator = SplitMix64(seed: 77)
        for trial in 0..<4 {
            let db = folder.appendingPathComponent("db\(trial)").path
            let (process, stdout, _) = try cli.start(["ingest", input.path, "--db", db, "--progress", "json", "--batch-size", "100"])
            var events = JSONLineReader(stdout)
            var reported = 0
            reading: while reported < 1 + trial {
                switch events.next(waitingAtMost: 60) {
                case .object(let event):
                    if event["event"] as? String == "commit" { reported += 1 }
                case .waiting: continue
                case .ended: break reading
                }
            }
            usleep(UInt32(generator.next() % 400_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): ingest finished before the kill")

            // check verifies every posting against the documents: none for a document that is not there.
            let check = try cli.run(["check", "--db", db])
            XCTAssertEqual(check.status, 0, "trial \(trial): \(check.stdout) \(check.stderr)")
            let database = try VectorDatabase(path: db, create: false, readOnly: true)
            let count = try database.documentCount()
            XCTAssertGreaterThanOrEqual(count, reported * 100, "trial \(trial): a reported commit is missing")
            XCTAssertEqual(count % 100, 0, "trial \(trial): a partial batch")
            let beta = try database.read { try $0.documents(matching: try MetadataFilter(json: #"{"kind": "beta", "rank": {"$lt": 50}}"#)) }
            XCTAssertEqual(beta.ids, (0..<UInt64(count)).filter { $0 % 3 == 1 && $0 % 100 < 50 }, "trial \(trial)")
        }
    }
}
