import LMDB

/// The on-disk layout (docs/FORMAT.md): the named LMDB databases of a vecdb environment and their key encodings.
///
/// Integers in keys are big-endian so that LMDB's byte order is numeric order; integers in values are
/// little-endian, as are the float32 vector components.
enum Layout {
    /// The newest layout version this build reads and writes, stored under `meta/format`. A reader refuses a larger
    /// version it does not know; a change that old readers would misread increments it.
    static let formatVersion: UInt32 = quantizedFormatVersion
    /// What a new database is stamped: the oldest version that describes it, so that older builds keep reading a
    /// database that uses nothing newer.
    static let baseFormatVersion: UInt32 = 1
    /// Version 2 adds lexical collections (the `postings` table), which a version-1 reader would take for empty
    /// vector collections and let go stale: the first lexical collection stamps it.
    static let lexicalFormatVersion: UInt32 = 2
    /// Version 3 adds vector collections compared by dot product or Euclidean distance, which a version-2 reader
    /// would search as cosine: the first such collection stamps it.
    static let metricFormatVersion: UInt32 = 3
    /// Version 4 adds int8-quantised indexes (index format 2, docs/INDEX.md), whose records a version-3 writer would
    /// leave stale: the first such index stamps it.
    static let quantizedFormatVersion: UInt32 = 4
    static let knownFormatVersions: ClosedRange<UInt32> = baseFormatVersion...formatVersion

    static let metaName = "meta"
    static let documentsName = "documents"
    static let keysName = "keys"
    static let collectionsName = "collections"
    static let vectorsName = "vectors"
    /// Every collection's HNSW index (docs/INDEX.md), keys prefixed by the collection id.
    static let hnswName = "hnsw"
    /// Contrastive adapters trained in the database, by name (`StoredAdapter`).
    static let adaptersName = "adapters"
    /// Frozen-model vectors of texts that are not documents (training queries), keyed by sha256 of space and text.
    static let embeddingCacheName = "embedding_cache"
    /// Postings of the documents' metadata fields (`MetadataKeys`), for filters.
    static let metadataName = "metadata"
    static let allNames = [metaName, documentsName, keysName, collectionsName, vectorsName, hnswName, adaptersName,
                           embeddingCacheName, metadataName, postingsName]

    static let formatKey = Array("format".utf8)
    static let nextDocumentKey = Array("next_document_id".utf8)
    static let nextCollectionKey = Array("next_collection_id".utf8)

    static func documentKey(_ id: UInt64) -> [UInt8] { bigEndian(id) }

    static func documentID(fromKey key: UnsafeRawBufferPointer) -> UInt64 {
        UInt64(bigEndian: key.loadUnaligned(as: UInt64.self))
    }

    /// `vectors` key: collection id then document id, so one collection's vectors are one contiguous key range.
    static func vectorKey(collection: UInt32, document: UInt64) -> [UInt8] {
        bigEndian(collection) + bigEndian(document)
    }

    static func vectorPrefix(collection: UInt32) -> [UInt8] { bigEndian(collection) }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// The float32 values stored in `raw` by `Transaction.putAppendingWhenLast(_:key:floats:)` (native order: vecdb runs on
    /// little-endian CPUs). Values in the map carry no alignment guarantee, so the bytes are copied, not rebound.
    static func floats(_ raw: UnsafeRawBufferPointer) -> [Float] {
        let count = raw.count / MemoryLayout<Float>.size
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<count * 4]))
            initialized = count
        }
    }

    static func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], as type: T.Type) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        return bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(as: T.self)) }
    }
}

/// The opened named databases of one environment.
struct Tables {
    let meta: Database
    let documents: Database
    let keys: Database
    let collections: Database
    let vectors: Database
    let hnsw: Database
    let adapters: Database
    let embeddingCache: Database
    /// Absent only in a database that predates it, opened read-only (a writable open adds and fills it).
    let metadata: Database?
    /// Lexical collections' postings; absent only in a database that predates them, opened read-only (which then
    /// has no lexical collection).
    let postings: Database?
}
