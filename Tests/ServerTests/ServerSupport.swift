import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Models
import NIOCore
import Server
import VecDB
import XCTest

/// A server on a fresh database, started on a free loopback port and driven over HTTP by a real client.
struct TestServer {
    let client: any TestClientProtocol
    let service: DatabaseService

    /// Starts `vecdb serve`'s application over a new database in a temporary folder, runs `body`, stops it.
    static func run(
        _ test: XCTestCase, models: [String] = ["minilm", "bm25"], mapSize: Int? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let path = NSTemporaryDirectory() + "vecdb-server-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try VectorDatabase(path: path, create: true, mapSize: mapSize)
        let served = try ServedModels.load(specs: models, database: database, resolver: ModelResolver(store: .fromEnvironment()))
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        let service = DatabaseService(database: database, models: served, configuration: try configuration.validated())
        let app = buildApplication(service: service)
        try await app.test(.ahc(.http)) { client in try await body(TestServer(client: client, service: service)) }
        await service.close()
    }

    /// A response: its status and its body as JSON (nil when it is not JSON).
    struct Answer: @unchecked Sendable {
        var status: Int
        var json: Any?
        var text: String
        var headers: HTTPFields

        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
    }

    /// Sends `method path` with `body` (a JSON value, or raw bytes as `Data`) and `headers`.
    func send(_ method: HTTPRequest.Method, _ path: String, _ body: Any? = nil, headers: HTTPFields = [:]) async throws -> Answer {
        var buffer: ByteBuffer?
        if let data = body as? Data {
            buffer = ByteBuffer(bytes: data)
        } else if let body {
            buffer = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))
        }
        var fields = headers
        if buffer != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: path, method: method, headers: fields, body: buffer)
        let bytes = Data(response.body.readableBytesView)
        return Answer(status: Int(response.status.code), json: try? JSONSerialization.jsonObject(with: bytes),
                      text: String(decoding: bytes, as: UTF8.self), headers: response.headers)
    }

    func post(_ path: String, _ body: Any, headers: HTTPFields = [:]) async throws -> Answer {
        try await send(.post, path, body, headers: headers)
    }

    func get(_ path: String, headers: HTTPFields = [:]) async throws -> Answer { try await send(.get, path, headers: headers) }
}

func fixture(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        throw VecDBError.invalidInput(InputLocation("Fixtures/\(name)"), "missing from the test bundle")
    }
    return try Data(contentsOf: url)
}

/// The seed article's pairs and sentence-transformers' question × answer cosines (Fixtures/README.md).
struct SeedPairs: Decodable {
    var questions: [String]
    var answers: [String]
    var minilm: [[Double]]

    static func load() throws -> SeedPairs { try JSONDecoder().decode(SeedPairs.self, from: try fixture("seed_pairs.json")) }
}
