import Foundation
import VecDB

/// The JSON of a search result, an ingest summary: what `vecdb query --json` and `vecdb ingest --json` print, and
/// what the server answers for the same work.
public enum ResultJSON {
    /// A document: id, text, and the external id and metadata when it has them.
    public static func document(_ document: Document) -> [String: Any] {
        var object: [String: Any] = ["id": document.id, "text": document.text]
        if let external = document.externalID { object["external_id"] = external }
        if let metadata = document.metadataJSON, let parsed = try? JSONSerialization.jsonObject(with: Data(metadata.utf8)) {
            object["metadata"] = parsed
        }
        return object
    }

    /// A result: the document and its score.
    public static func result(_ document: Document, score: Double) -> [String: Any] {
        var object = self.document(document)
        object["score"] = score
        return object
    }

    /// One search's results, with the collection searched, the snapshot read and how it was searched.
    public static func search(_ results: SearchResults, collection: String) -> [String: Any] {
        [
            "results": results.hits.map { result($0.document, score: Double($0.score)) }, "collection": collection,
            "snapshot": results.snapshot, "search": results.mode.name, "scanned": results.scanned,
        ]
    }

    /// Ranked documents with their fused score and their rank in each input (nil: not in that input's ranking).
    public static func fusedResult(_ document: Document, score: Double, ranks: [String: Int?]) -> [String: Any] {
        var object = result(document, score: score)
        object["ranks"] = ranks.mapValues { $0 as Any? ?? NSNull() }
        return object
    }

    /// An ingest summary's counts.
    public static func summary(_ s: IngestSummary) -> [String: Any] {
        [
            "collections": s.collections, "added": s.added, "updated": s.updated, "embedded": s.embedded,
            "already_present": s.alreadyPresent, "skipped_blank": s.skippedBlank, "truncated": s.truncated,
            "lines_committed": s.linesCommitted, "seconds": rounded(s.seconds, 3),
            "docs_per_second": rounded(s.documentsPerSecond, 1),
        ]
    }

    /// `value` to `places` decimals, so printed timings do not carry float noise.
    public static func rounded(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }

    /// One JSON text of `object`, keys sorted, slashes as they are (`JSONText`).
    public static func data(_ object: Any) -> Data { JSONText.data(object) }
}
