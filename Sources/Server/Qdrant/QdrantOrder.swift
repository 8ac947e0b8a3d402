import Foundation
import VecDB

/// `scroll`'s `order_by`: points in the order of the numbers a payload key holds, as Qdrant's reference
/// implementation orders them — one entry per distinct number of a point (a point with `[3, 7]` comes twice),
/// points without a number at the key left out, equal numbers in the order the points were first stored,
/// `start_from` the first number kept (the last, descending). A page has no `next_page_offset`: the next page
/// starts from the last `order_value` seen.
struct QdrantOrder: Sendable {
    var path: MetadataPath
    var descending: Bool
    var startFrom: Double?

    /// `order_by`: a key, or `{"key", "direction": "asc"|"desc", "start_from"}`; nil when absent.
    init?(_ value: JSONValue?) throws {
        switch value {
        case nil, .null?: return nil
        case .string(let key)?:
            path = try QdrantPayload.path(key, field: "order_by")
            descending = false
        case .object?:
            let fields = try JSONFields(object: value!, path: "order_by")
            try fields.rejectUnknown(["key", "direction", "start_from"])
            guard let key = try fields.string("key") else { throw APIError.badRequest("order_by.key is required") }
            path = try QdrantPayload.path(key, field: "order_by.key")
            switch try fields.string("direction") ?? "asc" {
            case "asc": descending = false
            case "desc": descending = true
            default: throw APIError.badRequest("order_by.direction must be asc or desc")
            }
            switch fields.raw("start_from") {
            case nil, .null?: break
            case .number(let number)?: startFrom = number
            default: throw APIError.badRequest("order_by.start_from must be a number (datetimes are not supported)")
            }
        default:
            throw APIError.badRequest("order_by must be a key or {\"key\": …, \"direction\": …, \"start_from\": …}")
        }
    }

    /// The first `limit` entries among the documents `matches` holds (all when nil).
    func page(in snapshot: Snapshot, matching matches: DocumentSet?, limit: Int) throws -> [(id: QdrantPointID, document: UInt64, value: Double)] {
        var entries: [(id: QdrantPointID, document: UInt64, value: Double)] = []
        for entry in try snapshot.externalIDs() where matches?.contains(entry.id) ?? true {
            guard let id = QdrantPointID(externalID: entry.externalID), let document = try snapshot.document(id: entry.id) else { continue }
            var seen = Set<Double>()
            for case .number(let value) in path.values(in: QdrantPayload.payload(of: document), flattened: true) ?? [] where seen.insert(value).inserted {
                if let startFrom, descending ? value > startFrom : value < startFrom { continue }
                entries.append((id, entry.id, value))
            }
        }
        entries.sort { a, b in
            a.value != b.value ? (descending ? a.value > b.value : a.value < b.value) : a.document < b.document
        }
        return Array(entries.prefix(limit))
    }
}
