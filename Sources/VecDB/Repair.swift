import Index
import LMDB

/// A change that restores an invariant `check` found broken. Every kind is safe: it removes only what nothing can
/// reach or use (a vector without its document or collection, or of the wrong length; a key entry pointing at the
/// wrong document), or recomputes what other data determines (a key from its document, counts and counters, an
/// index from the collection's `vectors`). Nothing the user stored is guessed at.
enum Repair {
    case deleteVector([UInt8])
    case deleteKey([UInt8])
    case putKey([UInt8], UInt64)
    case setCounter([UInt8], UInt64)
    case recount(collection: String, to: Int)
    case rebuildIndex(collection: String)
    case dropIndex(collection: UInt32)
    case rebuildMetadata
    case setFormatVersion(UInt32)
    case rebuildPostings(collection: String)

    /// Repairs run step by step, one write transaction each, every step planned from a fresh check inside its own
    /// transaction: vectors first, so that counts and indexes are then computed over the vectors that stay.
    enum Step: CaseIterable {
        case vectors, keys, bookkeeping, indexes
    }

    var step: Step {
        switch self {
        case .deleteVector: return .vectors
        case .deleteKey, .putKey: return .keys
        case .setCounter, .recount, .setFormatVersion: return .bookkeeping
        case .rebuildIndex, .dropIndex, .rebuildMetadata, .rebuildPostings: return .indexes
        }
    }

    var action: String {
        switch self {
        case .deleteVector: return "vector removed"
        case .deleteKey: return "key entry removed"
        case .putKey: return "key entry restored"
        case .setCounter(_, let value): return "counter set to \(value)"
        case .recount(_, let count): return "count set to \(count)"
        case .rebuildIndex: return "index rebuilt from the stored vectors"
        case .dropIndex: return "index removed"
        case .rebuildMetadata: return "metadata index rebuilt from the documents"
        case .setFormatVersion(let version): return "format version set to \(version)"
        case .rebuildPostings: return "postings rebuilt from the documents"
        }
    }
}

/// What `VectorDatabase.repair()` did.
public struct RepairReport: Sendable {
    /// Each violation repaired, with what was done about it.
    public var repaired: [String]
    /// The violations left: those without a safe repair (an undecodable document, an unknown format version, a
    /// vector that is not unit length), for a person to look at.
    public var remaining: [String]
}

extension VectorDatabase {
    /// Verifies the database's invariants in one snapshot (`Snapshot.check`).
    public func check() throws -> [String] { try read { try $0.check() } }

    /// Repairs the violations `check` finds where that is safe (see `Repair`), each step in one write batch,
    /// and reports the rest untouched. A database whose format version is not this build's is not changed at all.
    public func repair() throws -> RepairReport {
        var repaired: [String] = []
        for step in Repair.Step.allCases {
            repaired += try write { batch -> [String] in
                guard let version = try batch.formatVersion(), Layout.knownFormatVersions.contains(version) else { return [] }
                let planned = try batch.violations().filter { $0.repair?.step == step }
                var rebuilt = Set<String>()
                for violation in planned {
                    try batch.apply(violation.repair!, rebuilt: &rebuilt)
                }
                return planned.map { "\($0.message): \($0.repair!.action)" }
            }
        }
        return RepairReport(repaired: repaired, remaining: try check())
    }
}

extension WriteBatch {
    fileprivate func apply(_ repair: Repair, rebuilt: inout Set<String>) throws {
        switch repair {
        case .deleteVector(let key):
            try txn.delete(tables.vectors, key: key)
        case .deleteKey(let key):
            try txn.delete(tables.keys, key: key)
        case .putKey(let key, let id):
            try txn.put(tables.keys, key: key, value: Layout.bigEndian(id))
        case .setCounter(let key, let value):
            try txn.put(tables.meta, key: key, value: Layout.littleEndian(value))
        case .recount(let name, let count):
            if catalogue[name] != nil { catalogue.update(name) { $0.count = count } }
        case .rebuildIndex(let name):
            // Several violations may name one index; one rebuild answers them all.
            guard rebuilt.insert(name).inserted, let parameters = catalogue[name]?.index else { return }
            try rebuildIndex(collection: name, parameters: parameters)
        case .dropIndex(let id):
            try HNSWIndex.drop(table: tables.hnsw, collection: id, in: txn)
        case .rebuildMetadata:
            // Several violations may name it; one rebuild answers them all.
            guard rebuilt.insert(Layout.metadataName).inserted, let table = tables.metadata else { return }
            try MetadataIndex.fill(table, from: tables.documents, in: txn)
        case .setFormatVersion(let version):
            try txn.put(tables.meta, key: Layout.formatKey, value: Layout.littleEndian(version))
        case .rebuildPostings(let name):
            guard rebuilt.insert(name).inserted, catalogue[name] != nil else { return }
            try rebuildPostings(collection: name)
        }
    }
}
