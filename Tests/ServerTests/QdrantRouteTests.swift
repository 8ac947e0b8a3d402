import Foundation
import HTTPTypes
@testable import Server
import VecDB
import XCTest

/// The Qdrant-compatible routes through the real router: Qdrant's envelopes and error bodies, bad requests refused
/// whole, the keys Qdrant clients send, and collections that survive a restart and a crash mid-create. What
/// they answer is checked against qdrant-client's local mode by Tests/Qdrant (scripts/test-qdrant).
final class QdrantRouteTests: XCTestCase {
    func testEnvelopesErrorsAndAllOrNothingUpserts() async throws {
        try await TestServer.run(self, models: ["bm25"]) { server in
            let empty = try await server.get("/collections")
            XCTAssertEqual(empty.status, 200, empty.text)
            XCTAssertEqual(empty.object["status"] as? String, "ok")
            XCTAssertNotNil(empty.object["time"] as? Double)
            XCTAssertEqual(((empty.object["result"] as? [String: Any])?["collections"] as? [Any])?.count, 0, empty.text)

            let missing = try await server.get("/collections/nothing")
            XCTAssertEqual(missing.status, 404)
            XCTAssertEqual((missing.object["status"] as? [String: Any])?["error"] as? String, "Collection `nothing` doesn't exist!")

            let manhattan = try await server.send(.put, "/collections/c", ["vectors": ["size": 2, "distance": "Manhattan"]])
            XCTAssertEqual(manhattan.status, 400)
            XCTAssertTrue(((manhattan.object["status"] as? [String: Any])?["error"] as? String)?.contains("vectors.distance") ?? false, manhattan.text)

            let created = try await server.send(.put, "/collections/c", ["vectors": ["size": 2, "distance": "Dot"]])
            XCTAssertEqual(created.status, 200, created.text)
            XCTAssertEqual(created.object["result"] as? Bool, true)
            let again = try await server.send(.put, "/collections/c", ["vectors": ["size": 2, "distance": "Dot"]])
            XCTAssertEqual(again.status, 409, again.text)

            // The second point is one dimension short: nothing of the request is written.
            let points: [[String: Any]] = [["id": 1, "vector": [1, 2]], ["id": 2, "vector": [1]]]
            let bad = try await server.send(.put, "/collections/c/points?wait=true", ["points": points])
            XCTAssertEqual(bad.status, 400)
            XCTAssertTrue(((bad.object["status"] as? [String: Any])?["error"] as? String)?.contains("points[1].vector") ?? false, bad.text)
            let count = try await server.post("/collections/c/points/count", ["exact": true])
            XCTAssertEqual((count.object["result"] as? [String: Any])?["count"] as? Int, 0)

            let good = try await server.send(.put, "/collections/c/points?wait=true", ["points": [["id": 1, "vector": [3, 4], "payload": ["k": "v"]]]])
            XCTAssertEqual((good.object["result"] as? [String: Any])?["status"] as? String, "completed", good.text)
            let found = try await server.post("/collections/c/points/query", ["query": [1, 1], "with_payload": true])
            let hit = try XCTUnwrap(((found.object["result"] as? [String: Any])?["points"] as? [[String: Any]])?.first)
            XCTAssertEqual(hit["id"] as? Int, 1)
            XCTAssertEqual(hit["score"] as? Double ?? 0, 7, accuracy: 1e-6, "Dot: the raw dot product")
            XCTAssertEqual(hit["payload"] as? [String: String], ["k": "v"])

            let unknown = try await server.post("/collections/c/points/scroll", ["limit": 2, "with_vectors": true])
            XCTAssertEqual(unknown.status, 400, "the REST field is with_vector: a misspelt one is refused, not ignored")
            let badFilter = try await server.post("/collections/c/points/count", ["filter": ["must": [["key": "k", "match": ["value": 1.5]]]]])
            XCTAssertEqual(badFilter.status, 400, badFilter.text)
            XCTAssertTrue(badFilter.text.contains("filter.must[0].match.value"), badFilter.text)

            let patched = try await server.send(.patch, "/collections/c", ["hnsw_config": ["m": 8, "ef_construct": 50]])
            XCTAssertEqual(patched.status, 200, patched.text)
            let info = try await server.get("/collections/c")
            let hnsw = ((info.object["result"] as? [String: Any])?["config"] as? [String: Any])?["hnsw_config"] as? [String: Any]
            XCTAssertEqual(hnsw?["m"] as? Int, 8, info.text)
            XCTAssertEqual(hnsw?["ef_construct"] as? Int, 50, info.text)
            let refused = try await server.send(.patch, "/collections/c", ["vectors": ["": ["on_disk": true]]])
            XCTAssertEqual(refused.status, 400, refused.text)
            let stillFound = try await server.post("/collections/c/points/query", ["query": [1, 1]])
            XCTAssertEqual(((stillFound.object["result"] as? [String: Any])?["points"] as? [Any])?.count, 1, "the rebuilt index holds the point")

            let version = try await server.get("/")
            XCTAssertEqual(version.object["version"] as? String, QdrantRoutes.compatibleVersion)
            let page = try await server.get("/", headers: [.accept: "text/html,application/xhtml+xml"])
            XCTAssertTrue(page.text.contains("<html"), "a browser still gets the page")
            let deleted = try await server.send(.delete, "/collections/c")
            XCTAssertEqual(deleted.object["result"] as? Bool, true)
            let exists = try await server.get("/collections/c/exists")
            XCTAssertEqual((exists.object["result"] as? [String: Any])?["exists"] as? Bool, false)
        }
    }

    /// Qdrant clients send `api-key`; the read-only key may search but not write; without a key, 401 in Qdrant's shape.
    func testKeys() async throws {
        try await TestServer.run(self, models: ["bm25"], configure: { $0.apiKey = "full"; $0.readOnlyKey = "reader" }) { server in
            let create = try await server.send(.put, "/collections/k", ["vectors": ["size": 2, "distance": "Cosine"]], headers: [HTTPField.Name("api-key")!: "full"])
            XCTAssertEqual(create.status, 200, create.text)
            let reader: HTTPFields = [HTTPField.Name("api-key")!: "reader"]
            let write = try await server.send(.put, "/collections/k/points", ["points": [["id": 1, "vector": [1, 0]]]], headers: reader)
            XCTAssertEqual(write.status, 403, write.text)
            let payload = try await server.post("/collections/k/points/payload", ["payload": ["a": 1], "points": [1]], headers: reader)
            XCTAssertEqual(payload.status, 403, payload.text)
            let query = try await server.post("/collections/k/points/query", ["query": [1, 0]], headers: reader)
            XCTAssertEqual(query.status, 200, query.text)
            let anonymous = try await server.get("/collections")
            XCTAssertEqual(anonymous.status, 401)
            XCTAssertNotNil((anonymous.object["status"] as? [String: Any])?["error"] as? String, anonymous.text)
        }
    }

    /// Collections are reopened at the next start; a folder a crash left mid-create (a hidden name) is removed.
    func testCollectionsPersistAndHalfCreatedOnesVanish() throws {
        let root = NSTemporaryDirectory() + "vecdb-qdrant-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = QdrantCollectionConfig(vectors: [.init(name: "a", space: "a", size: 3, distance: .euclid)], unnamed: false, m: 8, efConstruct: 40)
        do {
            let collections = QdrantCollections(root: root)
            try collections.create("kept", config: config)
            try collections.collection("kept").database.addVectors(collection: "a", [(id: "7", text: "", vector: [1, 2, 3])])
            XCTAssertThrowsError(try collections.create("bad/name", config: config))
            XCTAssertThrowsError(try collections.create(".hidden", config: config))
        }
        try FileManager.default.createDirectory(atPath: root + "/.lost.creating-1", withIntermediateDirectories: true)
        let reopened = QdrantCollections(root: root)
        XCTAssertEqual(try reopened.names(), ["kept"])
        XCTAssertEqual(try reopened.collection("kept").config, config)
        XCTAssertEqual(try reopened.collection("kept").database.documentCount(), 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/.lost.creating-1"))
        XCTAssertTrue(try reopened.delete("kept"))
        XCTAssertFalse(try reopened.delete("kept"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root), [])
    }
}
