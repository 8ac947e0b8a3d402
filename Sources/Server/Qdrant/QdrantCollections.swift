import Foundation
import Index
import NIOConcurrencyHelpers
import VecDB

/// How a Qdrant collection was created: its vectors (one unnamed, or named ones), each a vecdb vector space of
/// raw vectors in the collection's own database. Kept as `qdrant.json` beside the database's files; the spaces'
/// sizes and metrics are also in the database's catalogue, which is what searches use.
struct QdrantCollectionConfig: Codable, Sendable, Equatable {
    struct Vector: Codable, Sendable, Equatable {
        /// The Qdrant name; "" for the unnamed vector.
        var name: String
        /// The vecdb space holding it.
        var space: String
        var size: Int
        var distance: Metric
    }

    var vectors: [Vector]
    /// Whether the collection has one unnamed vector (`"vectors": {"size": …}`) rather than named ones.
    var unnamed: Bool
    /// HNSW parameters at creation (`PATCH` may rebuild the indexes with others: the catalogue has those).
    var m: Int
    var efConstruct: Int

    /// The space of an unnamed vector.
    static let unnamedSpace = "vector"

    func vector(named name: String) -> Vector? { vectors.first { $0.name == name } }

    /// Qdrant's spelling of a metric.
    static func qdrantName(_ metric: Metric) -> String {
        switch metric {
        case .cosine: return "Cosine"
        case .dot: return "Dot"
        case .euclid: return "Euclid"
        }
    }
}

/// One Qdrant collection: a vecdb database of its own and how it was created.
struct QdrantCollection: Sendable {
    var name: String
    var database: VectorDatabase
    var config: QdrantCollectionConfig
}

/// The Qdrant collections of a server: one vecdb database each, in folders under `root` (the served database's
/// `collections` folder). Creating writes the new database under a hidden name and renames it into place, and
/// deleting renames it away before removing it, so a crash leaves a collection whole or absent, never half made;
/// hidden leftovers are removed at the next start.
final class QdrantCollections: Sendable {
    let root: String
    /// The open collections by name; nil until the first request reads the folder.
    private let open = NIOLockedValueBox<[String: QdrantCollection]?>(nil)

    static let configFile = "qdrant.json"

    init(root: String) { self.root = root }

    /// `body` with the open collections, read from `root` (made when absent) the first time.
    private func withCollections<T>(_ body: (inout [String: QdrantCollection]) throws -> T) throws -> T {
        try open.withLockedValue { state in
            if state == nil { state = try QdrantCollections.load(root) }
            return try body(&state!)
        }
    }

    /// Opens every collection under `root`, removing what a crash left half created or half deleted.
    private static func load(_ root: String) throws -> [String: QdrantCollection] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var found: [String: QdrantCollection] = [:]
        for entry in try fm.contentsOfDirectory(atPath: root).sorted() {
            let path = "\(root)/\(entry)"
            if entry.hasPrefix(".") {
                try? fm.removeItem(atPath: path)
                continue
            }
            guard let data = fm.contents(atPath: "\(path)/\(QdrantCollections.configFile)"),
                  let config = try? JSONDecoder().decode(QdrantCollectionConfig.self, from: data) else { continue }
            found[entry] = QdrantCollection(name: entry, database: try VectorDatabase(path: path, create: false), config: config)
        }
        return found
    }

    func names() throws -> [String] { try withCollections { $0.keys.sorted() } }

    /// The collection `name`, or 404 in Qdrant's words.
    func collection(_ name: String) throws -> QdrantCollection {
        guard let collection = try withCollections({ $0[name] }) else {
            throw APIError.notFound("Collection `\(name)` doesn't exist!")
        }
        return collection
    }

    func exists(_ name: String) throws -> Bool { try withCollections { $0[name] != nil } }

    /// Creates collection `name` with `config`: its database and spaces, then the rename that makes it visible.
    /// 409 when it exists.
    func create(_ name: String, config: QdrantCollectionConfig) throws {
        try QdrantCollections.checkName(name)
        guard try !exists(name) else { throw APIError(.conflict, "already_exists", "Wrong input: Collection `\(name)` already exists!") }
        let fm = FileManager.default
        let staging = "\(root)/.\(name).creating-\(UUID().uuidString)"
        do {
            try QdrantCollections.build(at: staging, config: config)
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        let path = "\(root)/\(name)"
        try withCollections { collections in
            guard collections[name] == nil else {
                try? fm.removeItem(atPath: staging)
                throw APIError(.conflict, "already_exists", "Wrong input: Collection `\(name)` already exists!")
            }
            guard rename(staging, path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(atPath: staging)
                throw APIError(.internalServerError, "internal", "cannot create collection `\(name)`: \(reason)")
            }
            collections[name] = QdrantCollection(name: name, database: try VectorDatabase(path: path, create: false), config: config)
        }
    }

    /// Writes the database of a new collection at `path` and closes it (LMDB must not have one environment open
    /// twice in a process, so the renamed folder is opened afresh).
    private static func build(at path: String, config: QdrantCollectionConfig) throws {
        let database = try VectorDatabase(path: path, create: true)
        try database.write { batch in
            for vector in config.vectors {
                try batch.createRawCollection(name: vector.space, dimensions: vector.size, metric: vector.distance,
                                              index: HNSWParameters(M: config.m, efConstruction: config.efConstruct))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(config).write(to: URL(fileURLWithPath: "\(path)/\(QdrantCollections.configFile)"), options: .atomic)
    }

    /// Deletes collection `name`; false when there is none.
    func delete(_ name: String) throws -> Bool {
        try withCollections { collections in
            guard collections.removeValue(forKey: name) != nil else { return false }
            let doomed = "\(root)/.\(name).deleting-\(UUID().uuidString)"
            if rename("\(root)/\(name)", doomed) == 0 { try? FileManager.default.removeItem(atPath: doomed) }
            return true
        }
    }

    /// Qdrant's rule for names, plus what a folder name needs: not empty, at most 255 bytes, none of
    /// `/ \ : * ? " < > |` or control characters, not starting with a dot.
    static func checkName(_ name: String) throws {
        let forbidden = Set("/\\:*?\"<>|")
        guard !name.isEmpty, name.utf8.count <= 255, !name.hasPrefix("."),
              !name.contains(where: { forbidden.contains($0) || $0.unicodeScalars.contains { $0.properties.generalCategory == .control } }) else {
            throw APIError.badRequest("Wrong input: collection name `\(name)` must be 1 to 255 bytes, not start with a dot, "
                                      + "and hold none of / \\ : * ? \" < > | or control characters")
        }
    }
}
