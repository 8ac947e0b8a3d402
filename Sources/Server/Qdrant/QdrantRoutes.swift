import Foundation
import Hummingbird
import VecDB

/// The routes of Qdrant's REST API that vecdb answers (docs/QDRANT.md), each one call into `QdrantService`, each
/// answer in Qdrant's envelope `{"result": …, "status": "ok", "time": seconds}` and each error in its
/// `{"status": {"error": "…"}, "time": …}` (`APIMiddleware` picks that shape for these paths).
enum QdrantRoutes {
    /// The Qdrant version whose REST spec (1.19) these routes follow; clients compare it with their own.
    static let compatibleVersion = "1.19.0"
    static let collections = "/collections"

    /// Whether `path` belongs to the Qdrant API (errors there take Qdrant's shape).
    static func owns(_ path: String) -> Bool {
        path == collections || path.hasPrefix(collections + "/") || path == "/readyz" || path == "/livez"
    }

    /// Whether a request to a Qdrant path changes data (the read-only key may not send it).
    static func writes(_ request: Request) -> Bool {
        let path = request.uri.path
        guard path.hasPrefix(collections + "/") else { return false }
        switch request.method {
        case .put, .patch, .delete: return true
        case .post:
            return ["/points/delete", "/points/payload", "/points/payload/delete", "/points/payload/clear", "/points/batch"]
                .contains { path.hasSuffix($0) }
        default: return false
        }
    }

    /// The metrics label of a Qdrant path: the collection name and point id replaced by their parameter names.
    static func route(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[1] == "collections" else { return path }
        parts[2] = "{collection_name}"
        if parts.count == 5, parts[3] == "points", !["delete", "payload", "batch", "scroll", "count", "query", "vectors"].contains(parts[4]) {
            parts[4] = "{id}"
        }
        return parts.joined(separator: "/")
    }

    /// `result` (JSON) in Qdrant's success envelope.
    static func envelope(_ result: Data, since started: ContinuousClock.Instant) -> Response {
        var body = Data("{\"result\":".utf8)
        body.append(result)
        body.append(Data(",\"status\":\"ok\",\"time\":\(seconds(since: started))}".utf8))
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// An error in Qdrant's shape, with the status `error` carries.
    static func errorResponse(_ error: APIError, since started: ContinuousClock.Instant) -> Response {
        var headers = error.headers
        headers[.contentType] = "application/json"
        let body = JSONText.data(["status": ["error": error.message], "time": seconds(since: started), "result": NSNull()] as [String: Any])
        return Response(status: error.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func seconds(since started: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// `GET /` for a client that does not ask for HTML: the version document Qdrant's clients check.
    static let versionDocument = JSONText.data(["title": "vecdb (Qdrant-compatible REST API)", "version": compatibleVersion] as [String: Any])

    /// Adds the Qdrant routes to `router`.
    static func add(to router: Router<BasicRequestContext>, service: QdrantService, bodyLimit limit: Int) {
        typealias Handler = @Sendable (Request, String, BasicRequestContext) async throws -> Data
        func route(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
            router.on(RouterPath(collections + path), method: method) { request, context in
                let started = ContinuousClock.now
                try QueryString(request).rejectUnknown(["wait", "timeout", "ordering", "consistency"])
                let name = path.isEmpty ? "" : try context.parameters.require("collection_name")
                return envelope(try await handler(request, name, context), since: started)
            }
        }
        @Sendable func body(_ request: Request) async throws -> JSONFields {
            var request = request
            return try await request.jsonFields(limit: limit)
        }
        route(.get, "") { _, _, _ in try service.listCollections() }
        route(.get, "/:collection_name") { _, name, _ in try await service.collectionInfo(name) }
        route(.put, "/:collection_name") { request, name, _ in try await service.createCollection(name, try await body(request)) }
        route(.patch, "/:collection_name") { request, name, _ in try await service.updateCollection(name, try await body(request)) }
        route(.delete, "/:collection_name") { _, name, _ in try await service.deleteCollection(name) }
        route(.get, "/:collection_name/exists") { _, name, _ in try service.exists(name) }
        route(.put, "/:collection_name/points") { request, name, _ in try await service.upsert(name, try await body(request)) }
        route(.post, "/:collection_name/points") { request, name, _ in try await service.retrieve(name, try await body(request)) }
        route(.get, "/:collection_name/points/:id") { _, name, context in
            try await service.point(name, try context.parameters.require("id"))
        }
        route(.post, "/:collection_name/points/delete") { request, name, _ in try await service.deletePoints(name, try await body(request)) }
        route(.post, "/:collection_name/points/payload") { request, name, _ in try await service.changePayload(name, try await body(request), .set) }
        route(.put, "/:collection_name/points/payload") { request, name, _ in
            try await service.changePayload(name, try await body(request), .overwrite)
        }
        route(.post, "/:collection_name/points/payload/delete") { request, name, _ in
            try await service.changePayload(name, try await body(request), .delete)
        }
        route(.post, "/:collection_name/points/payload/clear") { request, name, _ in
            try await service.changePayload(name, try await body(request), .clear)
        }
        route(.post, "/:collection_name/points/scroll") { request, name, _ in try await service.scroll(name, try await body(request)) }
        route(.post, "/:collection_name/points/count") { request, name, _ in try await service.count(name, try await body(request)) }
        route(.post, "/:collection_name/points/query") { request, name, _ in try await service.query(name, try await body(request)) }
        route(.post, "/:collection_name/points/query/batch") { request, name, _ in try await service.queryBatch(name, try await body(request)) }
        for probe in ["/readyz", "/livez"] {
            router.get(RouterPath(probe)) { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "all shards are ready")))
            }
        }
    }
}
