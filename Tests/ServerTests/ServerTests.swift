import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Server
import VecDB
import XCTest

/// Every route of the native API over HTTP, against a real server on a loopback port: what it answers, and each
/// error status it gives for bad input.
final class ServerTests: XCTestCase {
    /// Ingested answers, ranked for each seed question: the scores are sentence-transformers' cosines (1e-4), and
    /// the answer follows the JSON `vecdb query --json` prints.
    func testIngestThenQueryMatchesSentenceTransformers() async throws {
        let seed = try SeedPairs.load()
        try await TestServer.run(self) { server in
            let documents = seed.answers.enumerated().map { ["id": "a\($0)", "text": $1, "metadata": ["n": $0]] as [String: Any] }
            let ingest = try await server.post("/v1/documents", ["documents": documents])
            XCTAssertEqual(ingest.status, 200, ingest.text)
            XCTAssertEqual(ingest.object["added"] as? Int, seed.answers.count)
            XCTAssertEqual(ingest.object["ids"] as? [Int], Array(0..<seed.answers.count))
            XCTAssertEqual(ingest.object["collections"] as? [String], ["minilm", "bm25"])
            let committed = try XCTUnwrap(ingest.object["snapshot"] as? Int)
            for (q, question) in seed.questions.enumerated() {
                let answer = try await server.post("/v1/query", ["text": question, "k": seed.answers.count, "exact": true])
                XCTAssertEqual(answer.status, 200, answer.text)
                XCTAssertEqual(answer.object["collection"] as? String, "minilm")
                XCTAssertEqual(answer.object["search"] as? String, "exact")
                XCTAssertGreaterThanOrEqual(try XCTUnwrap(answer.object["snapshot"] as? Int), committed)
                let results = try XCTUnwrap(answer.object["results"] as? [[String: Any]])
                let expected = seed.minilm[q].enumerated().sorted { $0.element > $1.element }
                XCTAssertEqual(results.map { $0["id"] as? Int }, expected.map(\.offset))
                for (result, reference) in zip(results, expected) {
                    XCTAssertEqual(try XCTUnwrap(result["score"] as? Double), reference.element, accuracy: 1e-4)
                    XCTAssertEqual(result["text"] as? String, seed.answers[reference.offset])
                    XCTAssertEqual(result["external_id"] as? String, "a\(reference.offset)")
                    XCTAssertEqual((result["metadata"] as? [String: Any])?["n"] as? Int, reference.offset)
                }
            }
            // The same documents again: nothing changes, nothing is embedded.
            let again = try await server.post("/v1/documents", ["documents": documents])
            XCTAssertEqual(again.object["unchanged"] as? Int, seed.answers.count)
            XCTAssertEqual(again.object["added"] as? Int, 0)
            // New text under an existing id replaces the document.
            let update = try await server.post("/v1/documents", ["documents": [["id": "a0", "text": "A GPU renders graphics."]]])
            XCTAssertEqual(update.object["updated"] as? Int, 1)
            XCTAssertEqual(update.object["ids"] as? [Int], [0])
            let stored = try await server.get("/v1/documents/a0?external=true")
            XCTAssertEqual(stored.object["text"] as? String, "A GPU renders graphics.")
            XCTAssertEqual(Set(stored.object["collections"] as? [String] ?? []), ["minilm", "bm25"])
        }
    }

    /// A vector query ranks by cosine with the vector given (normalised first); /v1/embed gives the vectors the
    /// model makes, so embedding a stored answer and querying with it finds that answer first with score 1.
    func testEmbedAndVectorQuery() async throws {
        let seed = try SeedPairs.load()
        try await TestServer.run(self) { server in
            _ = try await server.post("/v1/documents", ["documents": seed.answers.map { ["text": $0] }])
            let embedded = try await server.post("/v1/embed", ["texts": seed.questions + [seed.answers[1]]])
            XCTAssertEqual(embedded.status, 200, embedded.text)
            XCTAssertEqual(embedded.object["dimensions"] as? Int, 384)
            let vectors = try XCTUnwrap(embedded.object["vectors"] as? [[Double]])
            XCTAssertEqual(vectors.count, seed.questions.count + 1)
            for (q, _) in seed.questions.enumerated() {
                // The question × answer cosine from the vectors /v1/embed returns, against the reference.
                let answerVector = try await server.post("/v1/embed", ["texts": [seed.answers[0]]]).object["vectors"] as? [[Double]]
                let cosine = zip(vectors[q], try XCTUnwrap(answerVector?.first)).map(*).reduce(0, +)
                XCTAssertEqual(cosine, seed.minilm[q][0], accuracy: 1e-4)
            }
            let scaled = vectors.last!.map { $0 * 3 }
            let found = try await server.post("/v1/query", ["vector": scaled, "k": 1, "model": "minilm"])
            XCTAssertEqual(found.status, 200, found.text)
            let top = try XCTUnwrap((found.object["results"] as? [[String: Any]])?.first)
            XCTAssertEqual(top["id"] as? Int, 1)
            XCTAssertEqual(try XCTUnwrap(top["score"] as? Double), 1, accuracy: 1e-5)
            let wrongLength = try await server.post("/v1/query", ["vector": [0.5, 0.5], "model": "minilm"])
            XCTAssertEqual(wrongLength.status, 400)
            XCTAssertTrue(wrongLength.errorMessage?.contains("2 dimensions") ?? false, wrongLength.text)
            let zero = try await server.post("/v1/query", ["vector": Array(repeating: 0, count: 384)])
            XCTAssertEqual(zero.status, 400)
            let lexical = try await server.post("/v1/embed", ["texts": ["x"], "model": "bm25"])
            XCTAssertEqual(lexical.status, 400)
            XCTAssertEqual(lexical.errorCode, "lexical_space")
        }
    }

    /// Concurrent requests share forward passes (the model lane batches waiting texts): each still gets its own
    /// texts' vectors, equal to what the model gives that text alone, and the seed cosines of sentence-transformers.
    func testConcurrentEmbeddingsAreEachRequestsOwn() async throws {
        let seed = try SeedPairs.load()
        try await TestServer.run(self, models: ["minilm"]) { server in
            let texts = seed.questions + seed.answers + (0..<12).map { "sentence number \($0) about cells and proteins" }
            var alone: [[Double]] = []
            for text in texts {
                let answer = try await server.post("/v1/embed", ["texts": [text]])
                alone.append(try XCTUnwrap((answer.object["vectors"] as? [[Double]])?.first))
            }
            let together = try await withThrowingTaskGroup(of: (Int, [[Double]]).self) { group in
                for (index, text) in texts.enumerated() {
                    group.addTask {
                        let answer = try await server.post("/v1/embed", ["texts": [text, text + " again"]])
                        return (index, answer.object["vectors"] as? [[Double]] ?? [])
                    }
                }
                var byIndex: [Int: [[Double]]] = [:]
                for try await (index, vectors) in group { byIndex[index] = vectors }
                return byIndex
            }
            for (index, vector) in alone.enumerated() {
                let batched = try XCTUnwrap(together[index])
                XCTAssertEqual(batched.count, 2)
                let cosine = zip(vector, batched[0]).map(*).reduce(0, +)
                XCTAssertEqual(cosine, 1, accuracy: 1e-5, "text \(index) got another text's vector")
            }
            let q = seed.questions.count
            for (i, _) in seed.questions.enumerated() {
                for (j, _) in seed.answers.enumerated() {
                    let cosine = zip(try XCTUnwrap(together[i])[0], try XCTUnwrap(together[q + j])[0]).map(*).reduce(0, +)
                    XCTAssertEqual(cosine, seed.minilm[i][j], accuracy: 1e-4)
                }
            }
        }
    }

    /// `where` filters, BM25, several models, fusion and deletes.
    func testFiltersFusionAndDeletes() async throws {
        try await TestServer.run(self) { server in
            let documents: [[String: Any]] = [
                ["id": "gpu", "text": "A GPU is a graphics processing unit.", "metadata": ["lang": "en", "year": 2020]],
                ["id": "cpu", "text": "A CPU is a central processing unit.", "metadata": ["lang": "en", "year": 2010]],
                ["id": "de", "text": "Eine GPU ist ein Grafikprozessor.", "metadata": ["lang": "de", "year": 2021]],
            ]
            _ = try await server.post("/v1/documents", ["documents": documents])
            let filtered = try await server.post("/v1/query", ["text": "What is a GPU?", "where": ["lang": "en", "year": ["$gte": 2015]]])
            XCTAssertEqual((filtered.object["results"] as? [[String: Any]])?.map { $0["external_id"] as? String }, ["gpu"])
            let bm25 = try await server.post("/v1/query", ["text": "graphics unit", "model": "bm25"])
            XCTAssertEqual(bm25.object["search"] as? String, "maxscore")
            XCTAssertEqual((bm25.object["results"] as? [[String: Any]])?.first?["external_id"] as? String, "gpu")
            let fused = try await server.post("/v1/query", ["text": "graphics unit", "models": ["minilm", "bm25"], "fuse": "rrf", "k": 2])
            XCTAssertEqual(fused.status, 200, fused.text)
            XCTAssertEqual(fused.object["fused"] as? String, "rrf(minilm,bm25)")
            let fusedResults = try XCTUnwrap(fused.object["results"] as? [[String: Any]])
            XCTAssertEqual(fusedResults.count, 2)
            XCTAssertEqual(fusedResults.first?["external_id"] as? String, "gpu")
            // RRF, k 60: a document first in both lists scores 2 / 61.
            XCTAssertEqual(try XCTUnwrap(fusedResults.first?["score"] as? Double), 2.0 / 61, accuracy: 1e-12)
            XCTAssertEqual((fusedResults.first?["ranks"] as? [String: Any])?["bm25"] as? Int, 1)
            let lists = try await server.post("/v1/query", ["text": "graphics unit", "models": ["minilm", "bm25"]])
            XCTAssertEqual(lists.object["order"] as? [String], ["minilm", "bm25"])
            XCTAssertNotNil((lists.object["models"] as? [String: Any])?["bm25"])

            let byFilter = try await server.post("/v1/delete", ["where": ["lang": "de"]])
            XCTAssertEqual(byFilter.object["deleted"] as? Int, 1)
            let unknown = try await server.post("/v1/delete", ["ids": [0, 99]])
            XCTAssertEqual(unknown.status, 404)
            let answer1 = try await server.get("/v1/documents/0")
            XCTAssertEqual(answer1.status, 200, "a failed delete deletes nothing")
            let one = try await server.send(.delete, "/v1/documents/cpu?external=true")
            XCTAssertEqual(one.object["deleted"] as? Int, 1)
            let answer2 = try await server.get("/v1/documents/cpu?external=true")
            XCTAssertEqual(answer2.status, 404)
            let gone = try await server.send(.delete, "/v1/documents/1")
            XCTAssertEqual(gone.status, 404)
            XCTAssertEqual(gone.errorCode, "not_found")
            let info = try await server.get("/v1/info")
            XCTAssertEqual(info.object["documents"] as? Int, 1)
            XCTAssertEqual(((info.object["collections"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }.sorted(), ["bm25", "minilm"])
        }
    }

    /// Each kind of bad request gets its 4xx and a JSON error naming the field; nothing is written.
    func testBadRequests() async throws {
        try await TestServer.run(self, configure: { $0.maxBodyBytes = 4096 }) { server in
            func expect(_ answer: TestServer.Answer, _ status: Int, _ code: String, _ words: String, line: UInt = #line) {
                XCTAssertEqual(answer.status, status, answer.text, line: line)
                XCTAssertEqual(answer.errorCode, code, answer.text, line: line)
                XCTAssertTrue(answer.errorMessage?.contains(words) ?? false, "\(answer.text) lacks \(words)", line: line)
            }
            expect(try await server.post("/v1/query", Data("{\"text\": ".utf8)), 400, "invalid_json", "at character")
            expect(try await server.post("/v1/query", Data([0x7B, 0xFF, 0x7D])), 400, "invalid_json", "UTF-8")
            expect(try await server.post("/v1/query", [1, 2]), 400, "invalid_request", "JSON object")
            expect(try await server.post("/v1/query", ["text": "x", "kk": 3]), 400, "unknown_field", "\"kk\"")
            expect(try await server.post("/v1/query", ["text": "x", "k": 0]), 400, "invalid_request", "k must be an integer")
            expect(try await server.post("/v1/query", ["text": "x", "k": 2.5]), 400, "invalid_request", "k must be an integer")
            expect(try await server.post("/v1/query", ["text": "x", "exact": "yes"]), 400, "invalid_request", "exact must be true or false")
            expect(try await server.post("/v1/query", ["text": "x", "vector": [1]]), 400, "invalid_request", "one of text, vector")
            expect(try await server.post("/v1/query", ["text": "x", "where": ["year": ["$gte": "x", "$foo": 1]]]), 400, "invalid_filter", "year")
            expect(try await server.post("/v1/query", ["text": "x", "fuse": "rrf"]), 400, "invalid_request", "at least two")
            expect(try await server.post("/v1/query", ["text": "x", "ef": 5, "exact": true]), 400, "invalid_request", "not both")
            expect(try await server.post("/v1/query", ["text": "x", "model": "nomodel"]), 404, "model_not_found", "minilm, bm25")
            expect(try await server.post("/v1/query", ["vector": [1, 2], "model": "nocollection"]), 404, "model_not_found", "nocollection")
            expect(try await server.post("/v1/documents", ["documents": []]), 400, "invalid_request", "documents is empty")
            expect(try await server.post("/v1/documents", ["documents": [["text": "ok"], ["text": " "]]]), 400, "invalid_request", "documents[1].text is empty")
            expect(try await server.post("/v1/documents", ["documents": [["text": "ok", "meta": 1]]]), 400, "unknown_field", "documents[0].meta")
            expect(try await server.post("/v1/documents", ["documents": [["text": "ok", "id": true]]]), 400, "invalid_request", "documents[0].id")
            expect(try await server.post("/v1/documents", ["documents": [["text": "ok"]], "models": ["nope"]]), 404, "model_not_found", "nope")
            expect(try await server.post("/v1/documents", ["documents": [["text": String(repeating: "x", count: 5000)]]]), 413,
                   "body_too_large", "4096")
            expect(try await server.post("/v1/delete", ["ids": [1], "where": ["a": 1]]), 400, "invalid_request", "one of")
            expect(try await server.get("/v1/documents/abc"), 400, "invalid_request", "not a document number")
            expect(try await server.get("/v1/documents/7"), 404, "not_found", "no document 7")
            expect(try await server.get("/v1/documents/x?external=maybe"), 400, "invalid_request", "external")
            expect(try await server.get("/v2/nothing"), 404, "not_found", "no route GET /v2/nothing")
            expect(try await server.post("/v1/embed", ["texts": []]), 400, "invalid_request", "texts")
            let answer3 = try await server.get("/healthz")
            XCTAssertEqual(answer3.object["documents"] as? Int, 0, "no bad request wrote anything")
        }
    }

    /// A collection made another way than the served space (here: by another writer after start) is 409; a full
    /// write queue is 429; a server shutting down refuses writes with 503.
    func testConflictQueueAndShutdownStatuses() async throws {
        try await TestServer.run(self, models: ["minilm"], configure: { $0.writeQueueLimit = 1 }) { server in
            try server.service.database.write { batch in
                _ = try batch.createCollection(name: "minilm", model: "other", weightsSHA256: String(repeating: "0", count: 64),
                                               dimensions: 384, pooling: "mean", prompt: "raw", maxTokens: 256)
            }
            let conflict = try await server.post("/v1/documents", ["documents": [["text": "x"]]])
            XCTAssertEqual(conflict.status, 409, conflict.text)
            XCTAssertEqual(conflict.errorCode, "incompatible_space")
            try server.service.admission.admit()
            let full = try await server.post("/v1/delete", ["ids": [1]])
            XCTAssertEqual(full.status, 429, full.text)
            XCTAssertEqual(full.headers[.retryAfter], "1")
            server.service.admission.release()
            server.service.admission.beginShutdown()
            let closing = try await server.post("/v1/delete", ["ids": [1]])
            XCTAssertEqual(closing.status, 503, closing.text)
            XCTAssertEqual(closing.errorCode, "shutting_down")
            let answer4 = try await server.post("/v1/query", ["vector": Array(repeating: 1, count: 384)])
            XCTAssertEqual(answer4.status, 200,
                           "reads go on while writes drain")
        }
    }

    /// A database at its map size refuses the write with 507, writes nothing of it, and serves on.
    func testFullDatabaseIs507AndWritesNothing() async throws {
        try await TestServer.run(self, models: ["bm25"], mapSize: 1 << 20) { server in
            let small = try await server.post("/v1/documents", ["documents": [["text": "fits easily"]]])
            XCTAssertEqual(small.status, 200, small.text)
            let words = (0..<40_000).map { "w\($0)" }.joined(separator: " ")
            let big = try await server.post("/v1/documents", ["documents": (0..<8).map { ["text": "\($0) " + words] }])
            XCTAssertEqual(big.status, 507, big.text)
            XCTAssertEqual(big.errorCode, "storage_full")
            let health = try await server.get("/healthz")
            XCTAssertEqual(health.object["documents"] as? Int, 1, "nothing of the refused write is stored")
            let query = try await server.post("/v1/query", ["text": "fits", "model": "bm25"])
            XCTAssertEqual((query.object["results"] as? [Any])?.count, 1)
        }
    }

    /// With keys set: no key or a wrong one is 401 (with `WWW-Authenticate`), the read-only key reads but writing is
    /// 403, the full key (as Bearer or as Qdrant's `api-key` header) does everything, and /healthz needs none.
    func testKeys() async throws {
        try await TestServer.run(self, models: ["bm25"], configure: { $0.apiKey = "s3cret"; $0.readOnlyKey = "reader" }) { server in
            let full: HTTPFields = [.authorization: "Bearer s3cret"]
            let reader: HTTPFields = [.authorization: "Bearer reader"]
            let header = try XCTUnwrap(HTTPField.Name("api-key"))
            let answer5 = try await server.get("/healthz")
            XCTAssertEqual(answer5.status, 200)
            let none = try await server.get("/v1/info")
            XCTAssertEqual(none.status, 401)
            XCTAssertEqual(none.headers[.wwwAuthenticate], "Bearer")
            let answer6 = try await server.get("/v1/info", headers: [.authorization: "Bearer s3cre"])
            XCTAssertEqual(answer6.status, 401)
            let answer7 = try await server.get("/v1/info", headers: [.authorization: "Basic s3cret"])
            XCTAssertEqual(answer7.status, 401)
            let answer8 = try await server.get("/openapi.json")
            XCTAssertEqual(answer8.status, 401)
            // Before anything is ingested a served space has no collection: no results, not an error.
            let empty = try await server.post("/v1/query", ["text": "locks", "model": "bm25"], headers: reader)
            XCTAssertEqual(empty.status, 200, empty.text)
            XCTAssertEqual((empty.object["results"] as? [Any])?.count, 0)
            let document = ["documents": [["text": "keys and locks"]]]
            let denied = try await server.post("/v1/documents", document, headers: reader)
            XCTAssertEqual(denied.status, 403)
            XCTAssertEqual(denied.errorCode, "read_only_key")
            let answer9 = try await server.send(.delete, "/v1/documents/0", headers: reader)
            XCTAssertEqual(answer9.status, 403)
            let answer10 = try await server.post("/v1/delete", ["ids": [0]], headers: reader)
            XCTAssertEqual(answer10.status, 403)
            let answer11 = try await server.post("/v1/documents", document, headers: [header: "s3cret"])
            XCTAssertEqual(answer11.status, 200)
            let answer12 = try await server.post("/v1/query", ["text": "locks", "model": "bm25"], headers: reader)
            XCTAssertEqual(answer12.status, 200)
            let answer13 = try await server.get("/v1/documents/0", headers: reader)
            XCTAssertEqual(answer13.status, 200)
            let answer14 = try await server.send(.delete, "/v1/documents/0", headers: full)
            XCTAssertEqual(answer14.status, 200)
        }
    }

    /// Readers in parallel with a writer: every read succeeds, and each sees whole batches only (a filter on the
    /// batch number matches all of a batch's documents or none).
    func testConcurrentReadersSeeWholeBatches() async throws {
        try await TestServer.run(self, models: ["bm25"]) { server in
            let batches = 12, perBatch = 8
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for b in 0..<batches {
                        let documents = (0..<perBatch).map { ["text": "batch \(b) document \($0) words", "metadata": ["batch": b]] as [String: Any] }
                        let answer = try await server.post("/v1/documents", ["documents": documents])
                        XCTAssertEqual(answer.status, 200, answer.text)
                    }
                }
                for reader in 0..<6 {
                    group.addTask {
                        for round in 0..<25 {
                            let b = (reader + round) % batches
                            let answer = try await server.post("/v1/query", ["text": "words", "model": "bm25", "k": 100, "where": ["batch": b]])
                            XCTAssertEqual(answer.status, 200, answer.text)
                            let count = (answer.object["results"] as? [[String: Any]])?.count ?? -1
                            XCTAssertTrue(count == 0 || count == perBatch, "batch \(b): \(count) of \(perBatch) documents visible")
                            let health = try await server.get("/healthz")
                            XCTAssertEqual((health.object["documents"] as? Int ?? -1) % perBatch, 0)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let answer15 = try await server.get("/healthz")
            XCTAssertEqual(answer15.object["documents"] as? Int, batches * perBatch)
        }
    }

    /// /metrics counts requests by route and status, errors by code and commits; /v1/models lists the spaces;
    /// /openapi.json is the committed spec and names every route.
    func testMetricsModelsAndSpec() async throws {
        try await TestServer.run(self) { server in
            _ = try await server.post("/v1/documents", ["documents": [["text": "metrics"]]])
            _ = try await server.post("/v1/query", ["nope": 1])
            let metrics = try await server.get("/metrics")
            XCTAssertEqual(metrics.status, 200)
            XCTAssertTrue(metrics.text.contains(#"vecdb_http_requests_total{route="/v1/documents",method="POST",status="200"} 1"#), metrics.text)
            XCTAssertTrue(metrics.text.contains(#"vecdb_http_errors_total{code="unknown_field"} 1"#), metrics.text)
            XCTAssertTrue(metrics.text.contains("vecdb_commits_total 1"), metrics.text)
            XCTAssertTrue(metrics.text.contains("vecdb_documents_count 1.0"), metrics.text)
            XCTAssertTrue(metrics.text.contains("vecdb_http_request_duration_seconds_bucket"), metrics.text)
            let models = try await server.get("/v1/models")
            XCTAssertEqual((models.object["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["minilm", "bm25"])
            let spec = try await server.get("/openapi.json")
            XCTAssertEqual(spec.object["openapi"] as? String, "3.1.0")
            let paths = Set((spec.object["paths"] as? [String: Any] ?? [:]).keys)
            XCTAssertEqual(paths, Routes.all.subtracting(WebPage.paths).union(["/v1/documents/{id}", "/v1/documents/{id}/neighbors"]))
        }
    }
}
