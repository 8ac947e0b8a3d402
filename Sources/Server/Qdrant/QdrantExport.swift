import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Index
import VecDB

/// `vecdb export --qdrant URL`: copies a database into any server that speaks Qdrant's REST API — a Qdrant cluster,
/// or another `vecdb serve` — as one collection: every document a point (its metadata the payload, with its text
/// under `text`), every vector space a named vector (`minilm`, `smollm2`…; lexical spaces have no vectors and
/// stay behind). Upserts are idempotent (a document's point id is the same on every run), so an interrupted export
/// is resumed by running it again, or from the last document it reported (`resumeAfter`).
public struct QdrantExport: Sendable {
    public var url: URL
    public var apiKey: String?
    public var collection: String
    public var batchSize: Int

    public init(url: URL, apiKey: String?, collection: String, batchSize: Int = 256) {
        self.url = url
        self.apiKey = apiKey
        self.collection = collection
        self.batchSize = batchSize
    }

    /// Where an export stands after a batch was accepted.
    public struct Progress: Sendable {
        public var exported: Int
        public var total: Int
        /// The last document sent: `resumeAfter` for a later run.
        public var lastDocument: UInt64?
        public var spaces: [String]
    }

    /// A failed export step, in one line: the server's status and message, or the network's error.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The point id of `document` on the target: its own id when it is one Qdrant takes (an unsigned integer or a
    /// UUID), else a UUID made from the SHA-256 of its external id (or of its text, for a document without one).
    public static func pointID(of document: Document) -> Any {
        if let externalID = document.externalID, let id = QdrantPointID(externalID: externalID) { return id.json }
        let name = document.externalID.map { "vecdb:id:" + $0 } ?? "vecdb:text:" + document.text
        return QdrantPointID.canonicalUUID(String(SHA256.hex(Array(name.utf8)).prefix(32)))!
    }

    /// Runs the export of `database`, calling `progress` after each batch the server accepted.
    public func run(_ database: VectorDatabase, resumeAfter: UInt64? = nil, progress: (Progress) -> Void = { _ in }) throws -> Progress {
        let (spaces, total) = try database.read { snapshot in
            (snapshot.collections.filter { !$0.isLexical }.sorted { $0.name < $1.name }, try snapshot.documentCount())
        }
        guard !spaces.isEmpty else { throw Failure(description: "the database has no vector space to export (lexical spaces have no vectors)") }
        try prepareCollection(spaces)
        var state = Progress(exported: 0, total: total, lastDocument: resumeAfter, spaces: spaces.map(\.name))
        while true {
            let after = state.lastDocument
            let (points, last) = try database.read { snapshot -> ([[String: Any]], UInt64?) in
                let page = try snapshot.documentPage(after: after, limit: batchSize, matching: nil)
                var vectors: [String: [UInt64: [Float]]] = [:]
                for space in spaces { vectors[space.name] = try snapshot.vectors(collection: space.name, documentIDs: page.documents.map(\.id)) }
                let points = page.documents.map { document -> [String: Any] in
                    var payload: [String: Any] = ["text": document.text]
                    if let json = document.metadataJSON, case .object(let members)? = try? JSONValue(parsing: json) {
                        for (key, value) in members where key != "text" { payload[key] = value }
                    }
                    if let externalID = document.externalID, QdrantPointID(externalID: externalID) == nil { payload["vecdb_id"] = externalID }
                    var named: [String: [Float]] = [:]
                    for space in spaces { if let vector = vectors[space.name]?[document.id] { named[space.name] = vector } }
                    return ["id": QdrantExport.pointID(of: document), "vector": named, "payload": payload]
                }
                return (points, page.documents.last?.id)
            }
            guard let last else { break }
            _ = try send("PUT", "/collections/\(pathComponent)/points?wait=true", ["points": points])
            state.exported += points.count
            state.lastDocument = last
            progress(state)
        }
        return state
    }

    private var pathComponent: String {
        collection.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? collection
    }

    /// Creates the collection with one named vector per space, or checks that an existing one has those vectors.
    private func prepareCollection(_ spaces: [VectorCollection]) throws {
        let wanted = Dictionary(uniqueKeysWithValues: spaces.map {
            ($0.name, ["size": $0.dimensions, "distance": QdrantCollectionConfig.qdrantName($0.vectorMetric)] as [String: Any])
        })
        let exists = try send("GET", "/collections/\(pathComponent)/exists", nil)
        if case .object(let result)? = exists, result.first(where: { $0.key == "exists" })?.value == .bool(true) {
            let info = try send("GET", "/collections/\(pathComponent)", nil)
            let vectors = info.flatMap { QdrantExport.member($0, ["config", "params", "vectors"]) }
            for (name, params) in wanted {
                let size = vectors.flatMap { QdrantExport.member($0, [name, "size"]) }
                let distance = vectors.flatMap { QdrantExport.member($0, [name, "distance"]) }
                guard size == .number(Double(params["size"] as! Int)), distance == .string(params["distance"] as! String) else {
                    throw Failure(description: "collection '\(collection)' exists on \(url.absoluteString) without the vector '\(name)' "
                        + "(\(params["size"]!) dimensions, \(params["distance"]!)); export to a new collection (--collection)")
                }
            }
        } else {
            _ = try send("PUT", "/collections/\(pathComponent)", ["vectors": wanted])
        }
    }

    private static func member(_ value: JSONValue, _ path: [String]) -> JSONValue? {
        path.reduce(Optional(value)) { current, key in
            guard case .object(let members)? = current else { return nil }
            return members.first { $0.key == key }?.value
        }
    }

    /// One request; the `result` of a 2xx answer, else a failure naming the status and the server's message.
    /// A 429 or 503 is retried after a pause, a few times.
    private func send(_ method: String, _ path: String, _ body: Any?) throws -> JSONValue? {
        guard let target = URL(string: url.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path) else {
            throw Failure(description: "\(url.absoluteString): not a URL to which paths can be added")
        }
        var request = URLRequest(url: target, timeoutInterval: 300)
        request.httpMethod = method
        if let body {
            request.httpBody = JSONText.data(body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let apiKey { request.setValue(apiKey, forHTTPHeaderField: "api-key") }
        for attempt in 0..<5 {
            let (data, status) = try QdrantExport.perform(request)
            if (status == 429 || status == 503) && attempt < 4 {
                Thread.sleep(forTimeInterval: Double(1 << attempt) * 0.5)
                continue
            }
            let parsed = String(validating: data, as: UTF8.self).flatMap { try? JSONValue(parsing: $0) }
            guard (200..<300).contains(status) else {
                let message = parsed.flatMap { QdrantExport.member($0, ["status", "error"]) }.flatMap { value -> String? in
                    if case .string(let text) = value { return text }
                    return nil
                } ?? String(decoding: data.prefix(200), as: UTF8.self)
                throw Failure(description: "\(method) \(target.absoluteString): \(status): \(message)")
            }
            return parsed.flatMap { QdrantExport.member($0, ["result"]) }
        }
        throw Failure(description: "\(method) \(target.absoluteString): the server stayed busy")
    }

    private static func perform(_ request: URLRequest) throws -> (Data, Int) {
        let done = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        URLSession.shared.dataTask(with: request) { data, response, error in
            outcome.data = data ?? Data()
            outcome.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            outcome.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = outcome.error {
            throw Failure(description: "\(request.httpMethod ?? "") \(request.url?.absoluteString ?? ""): \(error.localizedDescription)")
        }
        return (outcome.data, outcome.status)
    }

    /// The answer of one request, handed from URLSession's thread to the waiting one after the semaphore.
    private final class Outcome: @unchecked Sendable {
        var data = Data()
        var status = 0
        var error: Error?
    }
}
