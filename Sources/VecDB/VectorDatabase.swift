import Foundation
import LMDB

/// A vecdb database: documents stored once, and one collection of vectors per embedding model, in one LMDB
/// environment (a folder holding `data.mdb` and `lock.mdb`).
///
/// Every change is one LMDB write transaction, so after a crash the database holds exactly the committed
/// transactions. Reads see one committed snapshot and never block the writer.
public final class VectorDatabase {
    /// The database folder.
    public let path: String
    let environment: Environment
    let tables: Tables
    /// The collections of the last snapshot a read decoded them in: a search per query would otherwise decode every
    /// collection's JSON again, though a snapshot's collections never change.
    private let collectionCache = CollectionCache()
    /// Index search state reused by every search (see `SearchScratchPool`).
    let searchScratches = SearchScratchPool()

    /// Opens the database in folder `path`. With `create`, a missing folder becomes a new empty database
    /// (folder 0700, files 0600, since documents may be private). The map size defaults to 1 TiB of address space
    /// (`VECDB_MAP_SIZE`, in bytes, overrides it); the file grows only as data is written.
    ///
    /// `readOnly` opens for reading only, which works where this process may read but not write: a read-only
    /// path, or another user's database shared readable. LMDB needs write access to `lock.mdb` to register its
    /// readers; when that is denied the database is opened without the lock file, and each read checks afterwards
    /// that no writer can have reused its snapshot's pages (`Environment.read`).
    public init(path: String, create: Bool, readOnly: Bool = false) throws {
        self.path = path
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw VecDBError("--db \(path) is a file; a vecdb database is a folder")
            }
            // A private folder of another user: without this, its data.mdb would look absent.
            guard access(path, R_OK | X_OK) == 0 else {
                throw VecDBError("cannot open database \(path): permission denied (the folder belongs to another user "
                    + "or is not readable)")
            }
            let hasData = fm.fileExists(atPath: path + "/data.mdb")
            let isEmpty = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).isEmpty
            guard hasData || (create && isEmpty) else {
                throw VecDBError(hasData || isEmpty
                    ? "no vecdb database at \(path); ingest a file first"
                    : "--db \(path) is a folder that is not a vecdb database (it has no data.mdb)")
            }
        } else {
            guard create else { throw VecDBError("no vecdb database at \(path); ingest a file first") }
            do {
                try fm.createDirectory(atPath: path, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
            } catch {
                throw VecDBError("cannot create database folder \(path): \(error.localizedDescription)")
            }
        }
        var options = Environment.Options()
        options.maxDatabases = Layout.allNames.count + 4
        if let text = ProcessInfo.processInfo.environment["VECDB_MAP_SIZE"] {
            guard let size = Int(text), size > 0 else { throw VecDBError("VECDB_MAP_SIZE=\(text) is not a byte count") }
            options.mapSize = size
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
            throw VecDBError("--db \(path): data.mdb is not a vecdb (LMDB) database: \(error)")
        } catch where error.code == EACCES || error.code == EPERM || error.code == EROFS {
            throw VecDBError("cannot open database \(path) for \(readOnly ? "reading" : "writing"): permission denied "
                + "(\(error)); it belongs to another user or lies on a read-only path")
        } catch {
            throw VecDBError("cannot open database \(path): \(error)")
        }
        tables = try VectorDatabase.openTables(environment, path: path, readOnly: readOnly)
    }

    /// Opens the named databases, refusing a layout version this build does not know. A new environment gets all
    /// of them, and its format stamp, in one transaction, so a crash while creating leaves either nothing or a
    /// complete empty database.
    private static func openTables(_ environment: Environment, path: String, readOnly: Bool) throws -> Tables {
        func open(_ name: String) throws -> Database? { try environment.openDatabase(name, create: false) }
        if let meta = try open(Layout.metaName),
           let stamp = try environment.read({ txn in try txn.value(meta, for: Layout.formatKey) }) {
            guard let version = Layout.readLittleEndian(stamp, as: UInt32.self) else {
                throw VecDBError("--db \(path): meta has a malformed format version; not a vecdb database")
            }
            guard version <= Layout.formatVersion else {
                throw VecDBError("--db \(path) has format version \(version); this vecdb reads up to \(Layout.formatVersion)")
            }
            func required(_ name: String) throws -> Database {
                guard let db = try open(name) else {
                    throw VecDBError("--db \(path): the '\(name)' table is missing; run `vecdb check`")
                }
                return db
            }
            // Tables added after format 1 are optional (FORMAT.md, versioning rule): an older database gains them on
            // its first open for writing.
            func added(_ name: String) throws -> Database {
                if let table = try open(name) { return table }
                guard !readOnly else {
                    throw VecDBError("--db \(path) predates the '\(name)' table; open it once for writing (e.g. `vecdb check --repair`) to add it")
                }
                return try environment.openDatabase(name, create: true)!
            }
            return Tables(meta: meta, documents: try required(Layout.documentsName), keys: try required(Layout.keysName),
                          collections: try required(Layout.collectionsName), vectors: try required(Layout.vectorsName),
                          hnsw: try added(Layout.hnswName), adapters: try added(Layout.adaptersName),
                          embeddingCache: try added(Layout.embeddingCacheName))
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
            throw VecDBError("--db \(path) is an LMDB environment that vecdb did not create")
        }
        guard metaEntries == 0 else { throw VecDBError("--db \(path): meta has no format version; not a vecdb database") }
        if readOnly {
            throw VecDBError("no vecdb database at \(path)" + (names.isEmpty ? "" : " (its creation was interrupted)")
                + "; ingest a file first")
        }
        return try environment.write { txn in
            func create(_ name: String) throws -> Database { try txn.openDatabase(name, create: true)! }
            let tables = Tables(
                meta: try create(Layout.metaName), documents: try create(Layout.documentsName), keys: try create(Layout.keysName),
                collections: try create(Layout.collectionsName), vectors: try create(Layout.vectorsName),
                hnsw: try create(Layout.hnswName), adapters: try create(Layout.adaptersName),
                embeddingCache: try create(Layout.embeddingCacheName))
            try txn.put(tables.meta, key: Layout.formatKey, value: Layout.littleEndian(Layout.formatVersion))
            return tables
        }
    }

    // MARK: Documents

    /// Number of stored documents.
    public func documentCount() throws -> Int {
        try environment.read { txn in try txn.count(tables.documents) }
    }

    /// The document with `id`, or nil.
    public func document(id: UInt64) throws -> Document? {
        try environment.read { txn in try document(id: id, in: txn) }
    }

    func document(id: UInt64, in txn: Transaction) throws -> Document? {
        try txn.withValue(tables.documents, key: Layout.documentKey(id)) { raw in
            guard let raw else { return nil }
            guard let document = Document.decode(id: id, raw) else {
                throw VecDBError("document \(id) is stored in an unknown or damaged form; run `vecdb check`")
            }
            return document
        }
    }

    /// The id of the document a JSONL `id` named, or nil.
    public func documentID(externalID: String) throws -> UInt64? {
        try environment.read { txn in try documentID(forKey: Document.dedupKey(text: "", externalID: externalID), in: txn) }
    }

    func documentID(forKey key: [UInt8], in txn: Transaction) throws -> UInt64? {
        try txn.withValue(tables.keys, key: key) { raw in
            guard let raw, raw.count == 8 else { return nil }
            return UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self))
        }
    }

    /// Deletes documents with their vectors in every collection, in one transaction. Returns the ids that existed;
    /// with `requireAll`, an unknown id throws and nothing is deleted.
    @discardableResult
    public func delete(ids: [UInt64], requireAll: Bool = false) throws -> [UInt64] {
        try writeCheckingSpace { txn in
            var collections = try self.collections(in: txn)
            var updates = IndexUpdates()
            var deleted: [UInt64] = []
            for id in ids {
                guard let document = try document(id: id, in: txn) else {
                    if requireAll { throw VecDBError("no document \(id)") }
                    continue
                }
                try txn.delete(tables.documents, key: Layout.documentKey(id))
                try txn.delete(tables.keys, key: document.dedupKey)
                try removeVectors(of: id, from: &collections, updates: &updates, in: txn)
                deleted.append(id)
            }
            try updates.apply(to: collections, table: tables.hnsw, in: txn)
            try save(collections, in: txn)
            return deleted
        }
    }

    /// Removes document `id`'s vector from each collection that has one, keeping the counts right and noting the
    /// index removals.
    func removeVectors(of id: UInt64, from collections: inout [Collection], updates: inout IndexUpdates, in txn: Transaction) throws {
        for index in collections.indices
        where try txn.delete(tables.vectors, key: Layout.vectorKey(collection: collections[index].id, document: id)) {
            collections[index].count -= 1
            updates.removed(id, from: collections[index])
        }
    }

    // MARK: Collections

    /// Every collection, by name.
    public func collections() throws -> [Collection] {
        try environment.read { txn in try collections(in: txn) }
    }

    func collections(in txn: Transaction) throws -> [Collection] {
        // A write transaction's collections change before it commits, and its id is reused by the snapshot it makes.
        if txn.isReadOnly, let cached = collectionCache.collections(snapshot: txn.id) { return cached }
        var result: [Collection] = []
        try txn.forEach(tables.collections) { key, value in
            guard let collection = try? JSONDecoder().decode(Collection.self, from: Data(value)) else {
                throw VecDBError("collection '\(String(decoding: key, as: UTF8.self))' is stored in an unknown form")
            }
            result.append(collection)
            return true
        }
        if txn.isReadOnly { collectionCache.store(result, snapshot: txn.id) }
        return result
    }

    /// The collection called `name`, or nil.
    public func collection(named name: String) throws -> Collection? {
        try environment.read { txn in try collections(in: txn).first { $0.name == name } }
    }

    func save(_ collections: [Collection], in txn: Transaction) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for collection in collections {
            try txn.put(tables.collections, key: Array(collection.name.utf8), value: Array(try encoder.encode(collection)))
        }
    }

    /// Reads and increments a counter in `meta`.
    func takeNext(_ key: [UInt8], in txn: Transaction) throws -> UInt64 {
        let current = try counter(key, in: txn)
        try txn.put(tables.meta, key: key, value: Layout.littleEndian(current + 1))
        return current
    }

    // MARK: Storage

    /// `environment.write`, with a full map reported as what it means for the user.
    func writeCheckingSpace<R>(_ body: (Transaction) throws -> R) throws -> R {
        do {
            return try environment.write(body)
        } catch let error as LMDBError where error.isMapFull {
            throw VecDBError("database \(path) is full: it reached its map size of \(environment.options.mapSize) bytes "
                + "(set VECDB_MAP_SIZE to allow more); the transaction was rolled back, earlier commits are intact")
        } catch let error as LMDBError where error.code == ENOSPC || error.code == EFBIG || error.code == EIO {
            // LMDB turns a short write (a disk that filled up mid-page, a file size limit) into EIO.
            throw VecDBError("database \(path): could not write (\(error)): the disk is full, a file size limit was reached, "
                + "or the disk failed; the transaction was rolled back, earlier commits are intact")
        }
    }

    /// Bytes of the data file in use, and the file's size on disk.
    public func storageBytes() throws -> (used: Int, file: Int) {
        let used = try environment.usedBytes()
        let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")
        return (used, (attributes?[.size] as? NSNumber)?.intValue ?? 0)
    }

    /// The id of the last committed write transaction: names the snapshot a reader sees.
    public func snapshotID() throws -> Int {
        try environment.read { txn in txn.id }
    }
}
