import LMDB

/// Tunable parameters of an HNSW index (Malkov & Yashunin 2018), fixed when the index is created.
public struct HNSWParameters: Codable, Sendable, Equatable {
    /// Links per node on the upper layers, and links chosen for a new node on every layer.
    public var M: Int = 16
    /// Size of the dynamic candidate list while inserting: larger builds a better graph, slower.
    public var efConstruction: Int = 200
    /// Seed of the level draw, so that the same inserts in the same order build the same graph.
    public var seed: UInt64 = 0x5EED_1D5E
    /// How the graph walk reads vectors: as stored (float32), or as int8 codes rescored exactly at the end.
    public var quantization: Quantization = .none

    public init(M: Int = 16, efConstruction: Int = 200, seed: UInt64 = 0x5EED_1D5E, quantization: Quantization = .none) {
        self.M = M
        self.efConstruction = efConstruction
        self.seed = seed
        self.quantization = quantization
    }

    private enum CodingKeys: String, CodingKey { case M, efConstruction, seed, quantization }

    /// Collections recorded before quantisation existed have no `quantization` key: they are `.none`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        M = try c.decode(Int.self, forKey: .M)
        efConstruction = try c.decode(Int.self, forKey: .efConstruction)
        seed = try c.decode(UInt64.self, forKey: .seed)
        quantization = try c.decodeIfPresent(Quantization.self, forKey: .quantization) ?? .none
    }

    /// Most links per node on layer 0: M0 = 2·M, as the paper recommends.
    public var M0: Int { 2 * M }
}

/// The state of one collection's index, as stored in its metadata key.
public struct HNSWMetadata: Sendable, Equatable {
    /// Components of every vector.
    public var dimensions: Int
    public var parameters: HNSWParameters
    /// How the index compares vectors.
    public var metric: Metric
    /// Document id of the entry point (a node on the top layer), nil while the index has no live node.
    public var entryPoint: UInt64?
    /// Highest layer of the graph (0 when it has at most layer 0).
    public var maxLevel: Int
    /// Live (searchable) nodes.
    public var count: Int
    /// Removed nodes whose slots stay allocated (slots are not reused; rebuild to compact).
    public var deletedCount: Int

    /// Bytes of one vector as the graph walk reads it: its float32 components, or its int8 record.
    public var traversalBytesPerVector: Int {
        parameters.quantization == .int8 ? HNSWLayout.quantizedStride(dimensions: dimensions) : 4 * dimensions
    }

    /// Bytes the index stores per node slot: the float32 vector, the int8 record when quantised, the layer-0 link
    /// record (upper layers, ~1/M of the nodes, left out).
    public var storedBytesPerVector: Int {
        4 * dimensions + (parameters.quantization == .int8 ? HNSWLayout.quantizedStride(dimensions: dimensions) : 0)
            + HNSWLayout.linkRecordSize(M0: parameters.M0)
    }
}

/// How an index's graph walk reads vectors.
public enum Quantization: String, Codable, Sendable, CaseIterable {
    /// The float32 vectors as stored.
    case none
    /// One signed byte per component with one scale per vector (scalar quantisation), compared by integer dot
    /// products; the best candidates found are then rescored with the float32 vectors, so results carry exact scores.
    case int8

    /// Code in the index's metadata record (docs/INDEX.md); 0 is none, which is what older indexes hold.
    var code: UInt32 { self == .none ? 0 : 1 }

    init?(code: UInt32) {
        guard let q = Quantization.allCases.first(where: { $0.code == code }) else { return nil }
        self = q
    }
}

/// Byte layout of an index in its LMDB database (docs/INDEX.md is the readable version of this).
///
/// Keys start with the collection id, big-endian, then one kind byte, so one collection's index is one key range
/// and LMDB's byte order is numeric order. Values are little-endian.
enum HNSWLayout {
    /// The newest index format: version 2 adds int8 records (kind 5) that version-1 readers would not update. An
    /// index is stamped with the oldest version that describes it, so float32 indexes stay version 1.
    static let formatVersion: UInt32 = 2
    static let baseFormatVersion: UInt32 = 1
    static func formatVersion(for quantization: Quantization) -> UInt32 {
        quantization == .none ? baseFormatVersion : formatVersion
    }

    /// Nodes per block (2^10): vectors and layer-0 link records are stored in fixed blocks of this many slots, each
    /// block one LMDB value (contiguous overflow pages), so a node is found by pointer arithmetic.
    static let blockShift = 10
    static let nodesPerBlock = 1 << blockShift
    static let slotMask: UInt32 = UInt32(nodesPerBlock - 1)

    enum Kind: UInt8 {
        case metadata = 0
        case vectors = 1
        case links = 2
        case upper = 3
        case documents = 4
        case quantized = 5
    }

    static func metadataKey(_ c: UInt32) -> [UInt8] { bigEndian(c) + [Kind.metadata.rawValue] }
    static func blockKey(_ c: UInt32, _ kind: Kind, _ block: Int) -> [UInt8] {
        bigEndian(c) + [kind.rawValue] + bigEndian(UInt32(block))
    }
    static func documentKey(_ c: UInt32, _ id: UInt64) -> [UInt8] { bigEndian(c) + [Kind.documents.rawValue] + bigEndian(id) }
    static func prefix(_ c: UInt32) -> [UInt8] { bigEndian(c) }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    // Layer-0 link record of a node, in a `links` block, `linkRecordSize(M0)` bytes:
    //   +0            u32 neighbour count
    //   +4            M0 × u32 neighbour node numbers
    //   +4+4·M0       u8 level, u8 flags, u16 zero, u32 first upper record, u64 document id
    // The list comes first so that a layer-0 list and an upper-layer record have the same shape (count, slots).
    static func linkRecordSize(M0: Int) -> Int { 4 + 4 * M0 + 16 }
    static func headerOffset(M0: Int) -> Int { 4 + 4 * M0 }
    static let levelOffset = 0
    static let flagsOffset = 1
    static let upperStartOffset = 4
    static let documentOffset = 8
    /// Flag bit: the node was removed; its lists are empty and nothing links to it.
    static let deletedFlag: UInt8 = 1

    /// An upper-layer record in an `upper` block: u32 count then M × u32 neighbours. A node of level L owns L
    /// consecutive records (levels 1…L) starting at its `first upper record`.
    static func upperRecordSize(M: Int) -> Int { 4 + 4 * M }

    static let noNode = UInt32.max
    /// Bytes before the first vector of a vector block. LMDB puts a large value in overflow pages right after a
    /// 16-byte page header, so its data starts 16 bytes past a page boundary; 48 more bytes put every vector
    /// (a multiple of 64 bytes long when dims is a multiple of 16) on a cache-line boundary, so no SIMD load of it
    /// straddles two lines.
    static let vectorPad = 48
    /// Bytes of a node's int8 record in a `quantized` block: the codes, zero-padded, then a 16-byte trailer
    ///   +0 f32 scale, +4 i32 sum of the codes, +8 f32 squared length of the float32 vector, +12 u32 zero
    /// rounded up to whole cache lines, so that with `vectorPad` every record starts on one.
    static func quantizedStride(dimensions: Int) -> Int { (dimensions + 16 + 63) / 64 * 64 }

    /// Longest neighbour list any index can have (M ≤ 255 → M0 ≤ 510): size of the search's per-list buffers.
    static let maxListLength = 512
}

/// The metadata value (kind 0), 96 bytes little-endian.
struct MetaRecord: Equatable {
    var version: UInt32 = HNSWLayout.formatVersion
    var dimensions: UInt32
    var M: UInt32
    var efConstruction: UInt32
    var seed: UInt64
    /// SplitMix64 state of the level draw, advanced by every insert and committed with it.
    var rngState: UInt64
    var entryPoint: UInt32 = HNSWLayout.noNode
    var maxLevel: UInt32 = 0
    /// Node slots allocated (live + deleted); the next insert takes slot `nodeCount`.
    var nodeCount: UInt32 = 0
    var liveCount: UInt32 = 0
    var deletedCount: UInt32 = 0
    /// Upper-layer records allocated.
    var upperCount: UInt32 = 0
    /// `Metric.code`: 0 (cosine) in every index made before the code existed, whose bytes here were zero.
    var metric: UInt32 = 0
    /// `Quantization.code`: 0 (none) in every version-1 index.
    var quantization: UInt32 = 0

    static let size = 64

    var M0: Int { 2 * Int(M) }

    func encoded() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.size)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        u32(version); u32(dimensions); u32(M); u32(efConstruction)
        u64(seed); u64(rngState)
        u32(entryPoint); u32(maxLevel); u32(nodeCount); u32(liveCount); u32(deletedCount); u32(upperCount)
        u32(metric); u32(quantization)
        while out.count < Self.size { out.append(0) }
        return out
    }

    init(dimensions: Int, parameters: HNSWParameters, metric: Metric) {
        self.dimensions = UInt32(dimensions)
        self.metric = metric.code
        quantization = parameters.quantization.code
        version = HNSWLayout.formatVersion(for: parameters.quantization)
        M = UInt32(parameters.M)
        efConstruction = UInt32(parameters.efConstruction)
        seed = parameters.seed
        rngState = parameters.seed
    }

    init?(_ raw: UnsafeRawBufferPointer) {
        guard raw.count >= Self.size else { return nil }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        version = u32(0); dimensions = u32(4); M = u32(8); efConstruction = u32(12)
        seed = u64(16); rngState = u64(24)
        entryPoint = u32(32); maxLevel = u32(36); nodeCount = u32(40); liveCount = u32(44)
        deletedCount = u32(48); upperCount = u32(52); metric = u32(56); quantization = u32(60)
    }
}
