import Foundation
import LMDB

/// A vecdb database: documents stored once, and one collection of vectors per embedding model, in one LMDB
/// environment (a folder holding `data.mdb` and `lock.mdb`).
///
/// Every change is one `WriteBatch` (`write { batch in … }`), one LMDB write transaction, so after a crash the
/// database holds exactly the committed batches. Every read is one `Snapshot` (`read { snapshot in … }`): one
/// committed state, never blocking the writer. The one-line methods below (`search`, `document(id:)`, …) each read one
/// snapshot of their own; use `read` when several reads must agree.
///
/// A `VectorDatabase` may be shared by threads: LMDB's environment is (read transactions are not tied to a thread,
/// writers take turns on its lock), and the caches and the list of secondary indexes are behind locks.
public final class VectorDatabase: @unchecked Sendable {
    /// The database folder.
    public let path: String
    let environment: Environment
    let tables: Tables
    let catalogueCache = CatalogueCache()
    /// Filters evaluated in recent snapshots (`FilterCache`).
    let filterCache = FilterCache()
    /// The documents' parsed metadata in a recent snapshot (`ParsedMetadataCache`).
    let parsedMetadata = ParsedMetadataCache()
    /// Lexical collections' postings decoded in recent snapshots (`PostingsCache`).
    let postingsCache = PostingsCache()
    private let registry = DocumentIndexRegistry()
    /// Index search state reused by every search (see `SearchScratchPool`).
    let searchScratches = SearchScratchPool()

    /// Opens the database in folder `path`. With `create`, a missing folder becomes a new empty database
    /// (folder 0700, files 0600, since documents may be private). The map size (`mapSize` bytes) defaults to 1 TiB of
    /// address space; the file grows only as data is written.
    ///
    /// `readOnly` opens for reading only, which works where this process may read but not write: a read-only
    /// path, or another user's database shared readable. LMDB needs write access to `lock.mdb` to register its
    /// readers; when that is denied the database is opened without the lock file, and each read checks afterwards
    /// that no writer can have reused its snapshot's pages (`Environment.read`).
    public init(path: String, create: Bool, readOnly: Bool = false, mapSize: Int? = nil) throws {
        self.path = path
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw VecDBError.notADatabase(path: path, reason: "is a file; a vecdb database is a folder")
            }
            // A private folder of another user: without this, its data.mdb would look absent.
            guard access(path, R_OK | X_OK) == 0 else {
                throw VecDBError.permissionDenied(path: path, operation: nil,
                                                  reason: "the folder belongs to another user or is not readable")
            }
            let hasData = fm.fileExists(atPath: path + "/data.mdb")
            let isEmpty = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).isEmpty
            guard hasData || (create && isEmpty) else {
                throw hasData || isEmpty
                    ? VecDBError.noDatabase(path: path)
                    : VecDBError.notADatabase(path: path, reason: "is a folder that is not a vecdb database (it has no data.mdb)")
            }
        } else {
            guard create else { throw VecDBError.noDatabase(path: path) }
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
            } catch {
                throw VecDBError.permissionDenied(path: path, operation: "creating", reason: error.localizedDescription)
            }
        }
        var options = Environment.Options()
        options.maxDatabases = Layout.allNames.count + 4
        if let mapSize {
            guard mapSize > 0 else { throw VecDBError.invalidArgument("a map size of \(mapSize) bytes") }
            options.mapSize = mapSize
        }
        options.readOnly = readOnly
        do {
            do {
                environment = try Environment(path: path, options: options)
            } catch where readOnly && (error.code == EACCES || error.code == EPERM) {
                options.noLock = true
                environment = try Environment(path: path, options: options)
            }
        } catch where error.isInvalidFile {
            throw VecDBError.notADatabase(path: path, reason: "holds a data.mdb that is not a vecdb (LMDB) database: \(error)")
        } catch where error.code == EACCES || error.code == EPERM || error.code == EROFS {
            throw VecDBError.permissionDenied(path: path, operation: readOnly ? "reading" : "writing",
                                              reason: "\(error); it belongs to another user or lies on a read-only path")
        } catch {
            throw VecDBError.notADatabase(path: path, reason: "cannot be opened: \(error)")
        }
        tables = try VectorDatabase.openTables(environment, path: path, readOnly: readOnly)
        if let metadata = tables.metadata { registry.add(MetadataIndex(table: metadata)) }
    }

    /// Opens the named databases, refusing a layout version this build does not know. A new environment gets all
    /// of them, and its format stamp, in one transaction, so a crash while creating leaves either nothing or a
    /// complete empty database.
    private static func openTables(_ environment: Environment, path: String, readOnly: Bool) throws -> Tables {
        func open(_ name: String) throws -> Database? { try environment.openDatabase(name, create: false) }
        if let meta = try open(Layout.metaName),
           let stamp = try environment.read({ txn in try txn.value(meta, for: Layout.formatKey) }) {
            guard let version = Layout.readLittleEndian(stamp, as: UInt32.self) else {
                throw VecDBError.notADatabase(path: path, reason: "has a malformed format version in meta")
            }
            guard version <= Layout.formatVersion else {
                throw VecDBError.unsupportedFormat(path: path, version: version, supported: Layout.formatVersion)
            }
            func required(_ name: String) throws -> Database {
                guard let db = try open(name) else {
                    throw VecDBError.corrupted("\(path): the '\(name)' table is missing")
                }
                return db
            }
            // Tables added after format 1 are optional (FORMAT.md, versioning rule): an older database gains them on
            // its first open for writing.
            func added(_ name: String) throws -> Database {
                if let table = try open(name) { return table }
                guard !readOnly else {
                    throw VecDBError.needsUpgrade(path: path, table: name)
                }
                return try environment.openDatabase(name, create: true)!
            }
            let documents = try required(Layout.documentsName)
            var metadata = try open(Layout.metadataName)
            if metadata == nil && !readOnly {
                // Created and filled from the stored documents in one transaction: a table that exists is complete.
                metadata = try environment.write { txn in
                    let table = try txn.openDatabase(Layout.metadataName, create: true)!
                    try MetadataIndex.fill(table, from: documents, in: txn)
                    return table
                }
            }
            return Tables(meta: meta, documents: documents, keys: try required(Layout.keysName),
                          collections: try required(Layout.collectionsName), vectors: try required(Layout.vectorsName),
                          hnsw: try added(Layout.hnswName), adapters: try added(Layout.adaptersName),
                          embeddingCache: try added(Layout.embeddingCacheName), metadata: metadata,
                          postings: try open(Layout.postingsName) ?? (readOnly ? nil : try environment.openDatabase(Layout.postingsName, create: true)))
        }
        // No format stamp: a new environment, or one whose creation was cut short by an older vecdb, which created
        // the tables one transaction each and stamped last (so its meta is empty and nothing was written).
        let (names, metaEntries) = try environment.read { txn -> ([String], Int) in
            guard let main = try txn.openDatabase("", create: false) else { return ([], 0) }
            var names: [String] = []
            try txn.forEach(main) { key, _ in
                names.append(String(decoding: key, as: UTF8.self))
                return true
            }
            return (names, try txn.openDatabase(Layout.metaName, create: false).map { try txn.count($0) } ?? 0)
        }
        guard names.allSatisfy(Layout.allNames.contains) else {
            throw VecDBError.notADatabase(path: path, reason: "is an LMDB environment that vecdb did not create")
        }
        guard metaEntries == 0 else { throw VecDBError.notADatabase(path: path, reason: "has no format version in meta") }
        if readOnly {
            throw VecDBError.noDatabase(path: path, interrupted: !names.isEmpty)
        }
        return try environment.write { txn in
            func create(_ name: String) throws -> Database { try txn.openDatabase(name, create: true)! }
            let tables = Tables(
                meta: try create(Layout.metaName), documents: try create(Layout.documentsName), keys: try create(Layout.keysName),
                collections: try create(Layout.collectionsName), vectors: try create(Layout.vectorsName),
                hnsw: try create(Layout.hnswName), adapters: try create(Layout.adaptersName),
                embeddingCache: try create(Layout.embeddingCacheName), metadata: try create(Layout.metadataName),
                postings: try create(Layout.postingsName))
            try txn.put(tables.meta, key: Layout.formatKey, value: Layout.littleEndian(Layout.baseFormatVersion))
            return tables
        }
    }

    // MARK: Scopes

    /// Runs `body` on one committed snapshot of the database (an LMDB read transaction, ended when `body` returns).
    public func read<R>(_ body: (Snapshot) throws -> R) throws -> R {
        try environment.read { txn in
            let snapshot = try Snapshot(database: self, transaction: txn)
            defer { snapshot.close() }
            return try body(snapshot)
        }
    }

    /// Runs `body` in one write batch and commits it when `body` returns; if `body` or the commit throws, nothing of
    /// it is written. Writers of this and other processes take turns (LMDB's writer lock); readers go on meanwhile.
    @discardableResult
    public func write<R>(_ body: (WriteBatch) throws -> R) throws -> R {
        do {
            return try environment.write { txn in
                let batch = try WriteBatch(database: self, transaction: txn, documentIndexes: registry.all)
                defer { batch.close() }
                let result = try body(batch)
                try batch.finish()
                return result
            }
        } catch let error as LMDBError where error.isMapFull {
            throw VecDBError.full(path: path, mapSize: environment.options.mapSize)
        } catch let error as LMDBError where error.code == ENOSPC || error.code == EFBIG || error.code == EIO {
            // LMDB turns a short write (a disk that filled up mid-page, a file size limit) into EIO.
            throw VecDBError.writeFailed(path: path, reason: "\(error)")
        }
    }

    /// Keeps `index` exact from now on: every later write batch tells it of the documents it stores and deletes.
    public func register(_ index: DocumentIndex) {
        registry.add(index)
    }

    // MARK: One read each

    /// Number of stored documents.
    public func documentCount() throws -> Int { try read { try $0.documentCount() } }

    /// The document with `id`, or nil.
    public func document(id: UInt64) throws -> Document? { try read { try $0.document(id: id) } }

    /// The id of the document a JSONL `id` named, or nil.
    public func documentID(externalID: String) throws -> UInt64? { try read { try $0.documentID(externalID: externalID) } }

    /// Every collection, by name.
    public func collections() throws -> [VectorCollection] { try read { $0.collections } }

    /// The collection called `name`, or nil.
    public func collection(named name: String) throws -> VectorCollection? { try read { $0.collection(named: name) } }

    /// The stored vectors of `documentIDs` in collection `name` (`Snapshot.vectors`).
    public func vectors(collection name: String, documentIDs: [UInt64]) throws -> [UInt64: [Float]] {
        try read { try $0.vectors(collection: name, documentIDs: documentIDs) }
    }

    /// Deletes documents with their vectors in every collection, in one batch. Returns the ids that existed; with
    /// `requireAll`, an unknown id throws and nothing is deleted.
    @discardableResult
    public func delete(ids: [UInt64], requireAll: Bool = false) throws -> [UInt64] {
        try write { batch in
            try ids.filter { id in
                let deleted = try batch.deleteDocument(id: id)
                if !deleted && requireAll { throw VecDBError.notFound(.document(id)) }
                return deleted
            }
        }
    }

    /// Deletes every document whose metadata satisfy `filter`, with its vectors, in one batch; returns how many.
    @discardableResult
    public func delete(where filter: MetadataFilter) throws -> Int {
        try write { batch in
            let matching = try batch.documents(matching: filter).ids
            for id in matching { try batch.deleteDocument(id: id) }
            return matching.count
        }
    }

    // MARK: Storage

    /// Bytes of the data file in use, and the file's size on disk.
    public func storageBytes() throws -> (used: Int, file: Int) {
        let used = try environment.usedBytes()
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
        return (used, (attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }
}

/// The secondary indexes of a database, registered from any thread.
private final class DocumentIndexRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var indexes: [DocumentIndex] = []

    var all: [DocumentIndex] { lock.withLock { indexes } }

    func add(_ index: DocumentIndex) { lock.withLock { indexes.append(index) } }
}
