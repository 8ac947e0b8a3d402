import Foundation
import HTTPTypes
@testable import Server
import XCTest

/// The routes the web page reads besides queries: pages of documents, a document's neighbours, the seed's
/// comparison; and the page itself, served without a key and allowed to talk to nothing but this server.
final class BrowseTests: XCTestCase {
    /// Keyset pages walk every document once, in id order; a filter pages through its matches only; a bad filter or
    /// parameter is a 400 that names it. A `+` in the query string is a space, as browsers encode forms.
    func testDocumentPagesAndFilters() async throws {
        try await TestServer.run(self, models: ["bm25"]) { server in
            let documents = (0..<7).map { ["id": "d\($0)", "text": "document number \($0)", "metadata": ["even": $0 % 2 == 0]] as [String: Any] }
            let ingest = try await server.post("/v1/documents", ["documents": documents])
            XCTAssertEqual(ingest.status, 200, ingest.text)
            var seen: [Int] = []
            var after: Int?
            repeat {
                let page = try await server.get("/v1/documents?limit=3" + (after.map { "&after=\($0)" } ?? ""))
                XCTAssertEqual(page.status, 200, page.text)
                XCTAssertEqual(page.object["total"] as? Int, 7)
                let ids = try XCTUnwrap(page.object["documents"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
                XCTAssertLessThanOrEqual(ids.count, 3)
                seen += ids
                after = page.object["next"] as? Int
            } while after != nil
            XCTAssertEqual(seen, Array(0..<7))
            let even = try await server.get("/v1/documents?limit=2&where=%7B%22even%22:+true%7D")
            XCTAssertEqual(even.status, 200, even.text)
            XCTAssertEqual(even.object["total"] as? Int, 4)
            XCTAssertEqual((even.object["documents"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [0, 2])
            XCTAssertEqual(even.object["next"] as? Int, 2)
            let rest = try await server.get("/v1/documents?after=2&where=%7B%22even%22:true%7D")
            XCTAssertEqual((rest.object["documents"] as? [[String: Any]])?.compactMap { $0["id"] as? Int }, [4, 6])
            XCTAssertTrue(rest.object["next"] is NSNull, rest.text)
            for (query, words) in [("where=%7B%22even%22:", "character"), ("limit=0", "limit"), ("after=-1", "after"), ("page=2", "page")] {
                let bad = try await server.get("/v1/documents?" + query)
                XCTAssertEqual(bad.status, 400, query)
                XCTAssertTrue(bad.errorMessage?.contains(words) ?? false, bad.text)
            }
        }
    }

    /// A document's neighbours: in the vector space by its stored vector, in the lexical one by its text; itself
    /// never among them. The minilm order of the seed's answers for the GPU answer follows the reference cosines.
    func testNeighbors() async throws {
        let seed = try SeedPairs.load()
        try await TestServer.run(self) { server in
            let texts = seed.answers + ["A central processing unit executes the instructions of a program."]
            _ = try await server.post("/v1/documents", ["documents": texts.enumerated().map { ["id": "t\($0)", "text": $1] }])
            let answer = try await server.get("/v1/documents/t1/neighbors?external=true&k=5")
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.object["order"] as? [String], ["minilm", "bm25"])
            let neighbors = try XCTUnwrap(answer.object["neighbors"] as? [String: [[String: Any]]])
            let minilm = try XCTUnwrap(neighbors["minilm"])
            XCTAssertEqual(Set(minilm.compactMap { $0["id"] as? Int }), [0, 2])
            XCTAssertFalse(neighbors.values.joined().contains { $0["id"] as? Int == 1 })
            let scores = minilm.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >))
            let missing = try await server.get("/v1/documents/99/neighbors")
            XCTAssertEqual(missing.status, 404)
            let badK = try await server.get("/v1/documents/1/neighbors?k=0")
            XCTAssertEqual(badK.status, 400)
        }
    }

    /// `POST /v1/compare` without texts is the seed's experiment: minilm's 2×2 cosines equal sentence-transformers'
    /// (to the four decimals reported), with the article's published figures beside them.
    func testCompareSeedPairs() async throws {
        let seed = try SeedPairs.load()
        try await TestServer.run(self) { server in
            let answer = try await server.post("/v1/compare", [String: Any]())
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.object["order"] as? [String], ["minilm"])
            XCTAssertEqual(answer.object["questions"] as? [String], seed.questions)
            let minilm = try XCTUnwrap((answer.object["models"] as? [String: Any])?["minilm"] as? [String: Any])
            let matrix = try XCTUnwrap(minilm["similarities"] as? [[Double]])
            for i in 0..<2 {
                for j in 0..<2 { XCTAssertEqual(matrix[i][j], seed.minilm[i][j], accuracy: 5.1e-5) }
            }
            XCTAssertNotNil((answer.object["published"] as? [String: Any])?["e5-mistral-7b-instruct"])
            let own = try await server.post("/v1/compare", ["questions": [seed.questions[1]], "answers": [seed.answers[1]]])
            XCTAssertEqual(own.status, 200, own.text)
            XCTAssertNil(own.object["published"])
            for body in [["questions": ["a"]], ["questions": ["a", "b"], "answers": ["c"]], ["questions": [" "], "answers": ["c"]],
                         ["models": ["bm25"]], ["models": ["nope"]]] as [[String: Any]] {
                let bad = try await server.post("/v1/compare", body)
                XCTAssertTrue([400, 404].contains(bad.status), "\(body): \(bad.text)")
            }
        }
    }

    /// The page is served without a key (it asks for one) while the API needs it; its Content-Security-Policy lets
    /// it load and call only this server. `/` is the page for what asks for HTML, as browsers do (other clients get
    /// the version document Qdrant's clients read: QdrantRouteTests).
    func testPageServedWithPolicy() async throws {
        try await TestServer.run(self, models: ["bm25"], configure: { $0.apiKey = "s3cret" }) { server in
            let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,*/*;q=0.8"]
            for (path, type) in [("/", "text/html"), ("/app.js", "text/javascript"), ("/app.css", "text/css")] {
                let answer = try await server.get(path, headers: browser)
                XCTAssertEqual(answer.status, 200, path)
                XCTAssertTrue(answer.headers[.contentType]?.hasPrefix(type) ?? false, path)
                let policy = try XCTUnwrap(answer.headers[.contentSecurityPolicy])
                XCTAssertTrue(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), policy)
            }
            let page = try await server.get("/", headers: browser)
            XCTAssertTrue(page.text.contains("<script src=\"/app.js\""), page.text)
            XCTAssertFalse(page.text.contains("http://") || page.text.contains("https://"), "the page names no other origin")
            let withoutKey = try await server.get("/v1/documents")
            XCTAssertEqual(withoutKey.status, 401)
        }
    }
}
