import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Reports
import VecDB

/// The paths of the native API (docs/SERVER.md, and the committed spec at `GET /openapi.json`).
enum Routes {
    static let health = "/healthz"
    static let info = "/v1/info"
    static let models = "/v1/models"
    static let metrics = "/metrics"
    static let documents = "/v1/documents"
    static let delete = "/v1/delete"
    static let query = "/v1/query"
    static let embed = "/v1/embed"
    static let compare = "/v1/compare"
    static let openAPI = "/openapi.json"
    static let all: Set<String> = Set([health, info, models, metrics, documents, delete, query, embed, compare, openAPI]
                                      + WebPage.assets.map(\.path))

    /// Whether `request` changes the database (the read-only key may not send it).
    static func writes(_ request: Request) -> Bool {
        switch (request.method, request.uri.path) {
        case (.post, documents), (.post, delete), (.delete, _): return true
        default: return false
        }
    }
}

/// The router of `vecdb serve`: each handler reads its request and makes one call into `service`.
public func buildRouter(service: DatabaseService) -> Router<BasicRequestContext> {
    let router = Router()
    // Added before the routes: Hummingbird wraps each route in the middleware present when it is added.
    router.add(middleware: APIMiddleware(keys: AccessKeys(apiKey: service.configuration.apiKey,
                                                          readOnlyKey: service.configuration.readOnlyKey),
                                         metrics: service.metrics, shuttingDown: { service.admission.isShuttingDown }))
    let limit = service.configuration.maxBodyBytes
    @Sendable func json(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
    @Sendable func external(_ request: Request) throws -> Bool { try QueryString(request).bool("external") ?? false }
    router.get(RouterPath(Routes.health)) { _, _ in
        let documents = try await service.read { try $0.documentCount() }
        return json(ResultJSON.data(["status": "ok", "documents": documents] as [String: Any]))
    }
    router.get(RouterPath(Routes.info)) { _, _ in json(try await service.info()) }
    router.get(RouterPath(Routes.models)) { _, _ in json(service.modelList()) }
    router.get(RouterPath(Routes.metrics)) { _, _ in
        let documents = try await service.read { try $0.documentCount() }
        let text = service.metrics.text(documents: documents, writeQueueDepth: service.admission.depth)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
    router.get(RouterPath(Routes.openAPI)) { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    for asset in WebPage.assets where asset.path != "/" {
        router.get(RouterPath(asset.path)) { _, _ in asset.response }
    }
    // The page for a browser; for any other client the version document Qdrant's clients read at `/`.
    let page = WebPage.assets.first { $0.path == "/" }!
    router.get("/") { request, _ in
        guard request.headers[.accept]?.contains("text/html") ?? false else {
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: QdrantRoutes.versionDocument)))
        }
        return page.response
    }
    QdrantRoutes.add(to: router, service: QdrantService(collections: service.qdrantCollections, lanes: service), bodyLimit: limit)
    router.get(RouterPath(Routes.documents)) { request, _ in json(try await service.documentPage(try QueryString(request))) }
    router.post(RouterPath(Routes.documents)) { request, _ in
        var request = request
        return json(try await service.ingest(request.jsonFields(limit: limit)))
    }
    router.get(RouterPath("\(Routes.documents)/:id")) { request, context in
        json(try await service.document(context.parameters.require("id"), external: external(request)))
    }
    router.get(RouterPath("\(Routes.documents)/:id/neighbors")) { request, context in
        json(try await service.neighbors(context.parameters.require("id"), try QueryString(request)))
    }
    router.delete(RouterPath("\(Routes.documents)/:id")) { request, context in
        json(try await service.deleteDocument(context.parameters.require("id"), external: external(request)))
    }
    router.post(RouterPath(Routes.delete)) { request, _ in
        var request = request
        return json(try await service.delete(request.jsonFields(limit: limit)))
    }
    router.post(RouterPath(Routes.query)) { request, _ in
        var request = request
        return json(try await service.query(request.jsonFields(limit: limit)))
    }
    router.post(RouterPath(Routes.embed)) { request, _ in
        var request = request
        return json(try await service.embed(request.jsonFields(limit: limit)))
    }
    router.post(RouterPath(Routes.compare)) { request, _ in
        var request = request
        return json(try await service.compare(request.jsonFields(limit: limit)))
    }
    return router
}

/// The application of `vecdb serve`: the router on `configuration`'s address, and a service that, when a shutdown
/// signal arrives, stops new writes and lets the admitted ones commit before the process ends.
public func buildApplication(
    service: DatabaseService, logger: Logger = Logger(label: "vecdb.serve"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = service.configuration
    return Application(
        router: buildRouter(service: service),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "vecdb"),
        services: [WriteDrain(service: service)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger
    )
}

/// Runs beside the HTTP server; on graceful shutdown (SIGTERM, SIGINT) it refuses new writes (503) and waits until
/// every admitted one has committed and been answered.
struct WriteDrain: Service {
    let service: DatabaseService

    func run() async throws {
        try? await gracefulShutdown()
        await service.drainWrites()
    }
}
