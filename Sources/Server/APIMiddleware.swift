import Foundation
import HTTPTypes
import Hummingbird
import VecDB

/// Wraps every route (and the not-found one): the key check, then the handler; any error becomes the JSON error
/// body and its status; each answer is counted in the metrics.
struct APIMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: AccessKeys
    let metrics: ServerMetrics
    let shuttingDown: @Sendable () -> Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        var errorCode: String?
        do {
            try keys.authorize(request)
            response = try await next(request, context)
        } catch {
            var apiError = APIError.from(error)
            if let http = error as? HTTPError, http.status == .notFound, http.body == nil {
                apiError.message = "no route \(request.method) \(request.uri.path) (GET /openapi.json lists them)"
            }
            if apiError.status.code >= 500 { context.logger.error("\(request.method) \(request.uri.path): \(apiError)") }
            errorCode = apiError.code
            response = QdrantRoutes.owns(request.uri.path)
                ? QdrantRoutes.errorResponse(apiError, since: started)
                : try apiError.response(from: request, context: context)
        }
        if shuttingDown() {
            // Clients close their kept-alive connections, so the server's drain ends when the last answer is sent.
            response.headers[.connection] = "close"
        }
        metrics.record(route: APIMiddleware.route(request.uri.path), method: request.method.rawValue, status: response.status.code,
                       duration: ContinuousClock.now - started, errorCode: errorCode)
        return response
    }

    /// The route a path belongs to, as a metrics label: few values, whatever the ids in the paths.
    static func route(_ path: String) -> String {
        if path.hasPrefix("/v1/documents/") { return path.hasSuffix("/neighbors") ? "/v1/documents/{id}/neighbors" : "/v1/documents/{id}" }
        if QdrantRoutes.owns(path) { return QdrantRoutes.route(path) }
        return Routes.all.contains(path) ? path : "other"
    }
}

/// The keys a server takes and what each may do. Keys come as `Authorization: Bearer KEY` or, as Qdrant's clients
/// send them, `api-key: KEY`; they are compared through their SHA-256 digests in constant time, so neither the key
/// nor its length leaks through timing.
struct AccessKeys: Sendable {
    private let full: [UInt8]?
    private let readOnly: [UInt8]?

    init(apiKey: String?, readOnlyKey: String?) {
        full = apiKey.map(AccessKeys.digest)
        readOnly = readOnlyKey.map(AccessKeys.digest)
    }

    /// Throws 401 without a valid key (when keys are set), 403 when the read-only key asks to write.
    func authorize(_ request: Request) throws {
        guard let full else { return }
        // The page's own files hold no data: the page asks for the key and sends it with its API calls.
        if request.uri.path == Routes.health || WebPage.paths.contains(request.uri.path) { return }
        guard let given = AccessKeys.presentedKey(request).map(AccessKeys.digest) else {
            throw AccessKeys.unauthorized("this server needs an API key: send Authorization: Bearer KEY")
        }
        if AccessKeys.equal(given, full) { return }
        if let readOnly, AccessKeys.equal(given, readOnly) {
            guard !Routes.writes(request), !QdrantRoutes.writes(request) else {
                throw APIError(.forbidden, "read_only_key", "the read-only key cannot \(request.method) \(request.uri.path)")
            }
            return
        }
        throw AccessKeys.unauthorized("the API key is not valid")
    }

    private static func unauthorized(_ message: String) -> APIError {
        var error = APIError(.unauthorized, "unauthorized", message)
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    private static func presentedKey(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmingCharacters(in: .whitespaces) }
            return nil
        }
        return HTTPField.Name("api-key").flatMap { request.headers[$0] }
    }

    private static func digest(_ key: String) -> [UInt8] {
        var hash = SHA256()
        hash.update(Array(key.utf8))
        return hash.finalize()
    }

    /// Equal digests, in time independent of where they differ.
    private static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0 && a.count == b.count
    }
}
