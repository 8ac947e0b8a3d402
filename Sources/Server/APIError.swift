import Embedder
import Foundation
import Hummingbird
import Models
import Reports
import VecDB

/// Every failure the API answers: an HTTP status and `{"error": {"code", "message"}}`, `code` a stable word a client
/// can switch on, `message` one line naming what and where.
public struct APIError: Error, HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra headers (`WWW-Authenticate` on 401, `Retry-After` on 429 and 503).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        APIError.jsonResponse(["error": ["code": code, "message": message]], status: status, headers: headers)
    }

    /// A JSON response of `object`.
    static func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: ResultJSON.data(object))))
    }

    // MARK: The errors the handlers raise

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "invalid_request", message) }
    static func unknownField(_ field: String, allowed: [String]) -> APIError {
        APIError(.badRequest, "unknown_field", "unknown field \"\(field)\" (allowed: \(allowed.joined(separator: ", ")))")
    }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func bodyTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "body_too_large", "the request body is over the limit of \(limit) bytes (--max-body)")
    }

    static let shuttingDown: APIError = {
        var error = APIError(.serviceUnavailable, "shutting_down", "the server is shutting down; no new writes are taken")
        error.headers[.retryAfter] = "1"
        return error
    }()

    static func writeQueueFull(limit: Int) -> APIError {
        var error = APIError(.tooManyRequests, "write_queue_full", "\(limit) writes are already waiting; retry later")
        error.headers[.retryAfter] = "1"
        return error
    }

    // MARK: The store's and the models' errors

    /// The status and code of any error the store, the models or the server raise: bad input is 4xx, never 500.
    public static func from(_ error: Error) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as VecDBError: return from(error)
        case let error as ModelError: return from(error)
        case let error as EmbedderError: return APIError(.internalServerError, "model_error", "\(error)")
        case let error as HTTPError:
            return APIError(error.status, error.status == .notFound ? "not_found" : "http_\(error.status.code)",
                            error.body ?? error.status.reasonPhrase)
        default:
            return APIError(.internalServerError, "internal", "\(error)")
        }
    }

    private static func from(_ error: VecDBError) -> APIError {
        switch error {
        case .notFound: return APIError(.notFound, "not_found", error.description)
        case .incompatibleSpace: return APIError(.conflict, "incompatible_space", error.description)
        case .alreadyExists: return APIError(.conflict, "already_exists", error.description)
        case .conflict: return APIError(.conflict, "conflict", error.description)
        case .invalidFilter: return APIError(.badRequest, "invalid_filter", error.description)
        case .invalidInput, .invalidArgument: return APIError(.badRequest, "invalid_request", error.description)
        case .full, .writeFailed: return APIError(HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), "storage_full", error.description)
        case .afterCommits(let inner, _): return from(inner)
        case .noDatabase, .notADatabase, .unsupportedFormat, .needsUpgrade, .permissionDenied:
            return APIError(.serviceUnavailable, "database_unavailable", error.description)
        case .corrupted: return APIError(.internalServerError, "corrupted", error.description + " (run `vecdb check`)")
        }
    }

    private static func from(_ error: ModelError) -> APIError {
        switch error {
        case .notInstalled, .unknown, .invalidPath: return APIError(.notFound, "model_not_found", error.description)
        case .unsupportedSetting, .invalidSpec, .fixedByTraining, .lexicalSpace:
            return APIError(.badRequest, "invalid_model", error.description)
        case .baseModelChanged: return APIError(.conflict, "incompatible_space", error.description)
        case .downloadFailed, .hashMismatch: return APIError(.internalServerError, "model_unavailable", error.description)
        }
    }
}
