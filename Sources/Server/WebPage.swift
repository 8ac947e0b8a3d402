import HTTPTypes
import Hummingbird
import NIOCore

/// The page `vecdb serve` shows at `/` (docs/SERVER.md, "The web page"): plain HTML, CSS and JavaScript compiled
/// into the binary from `Sources/Server/Web`, no build toolchain, nothing fetched from anywhere but this server.
enum WebPage {
    /// One file of the page and the answer that serves it.
    struct Asset: Sendable {
        let path: String
        let response: Response

        init(path: String, contentType: String, bytes: [UInt8]) {
            self.path = path
            response = Response(status: .ok, headers: [
                .contentType: contentType,
                // Only this server's own scripts, styles and API: the page can neither load nor send anything elsewhere.
                .contentSecurityPolicy: WebPage.contentSecurityPolicy,
                .xContentTypeOptions: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
                .cacheControl: "no-cache",
            ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    static let assets = [
        Asset(path: "/", contentType: "text/html; charset=utf-8", bytes: PackageResources.index_html),
        Asset(path: "/app.js", contentType: "text/javascript; charset=utf-8", bytes: PackageResources.app_js),
        Asset(path: "/app.css", contentType: "text/css; charset=utf-8", bytes: PackageResources.app_css),
    ]

    static let paths = Set(assets.map(\.path))
}
