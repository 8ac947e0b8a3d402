/// A read-only map from token bytes to ids, looked up by byte slices without building a key.
///
/// Keyed by UTF-8 bytes on purpose: Swift `String` equality and hashing follow canonical equivalence, so a
/// `[String: Int32]` would treat "é" (U+00E9) and "e\u{301}" as the same key — vocabularies are defined per
/// code point. The open-addressing table also lets WordPiece test every candidate substring of a word
/// without allocating.
struct VocabTable: Sendable {
    private var bytes: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var ids: [Int32] = []
    /// Entry index + 1 per slot, 0 = empty.
    private var slots: [Int32]
    private var mask: Int

    /// Longest key in bytes: longer candidates are skipped without hashing.
    private(set) var longestKey = 0
    var count: Int { ids.count }

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds or replaces `key` (a later duplicate wins, as in the Python tokenizers' dict building).
    mutating func insert(_ key: [UInt8], id: Int32) {
        if count * 2 >= slots.count { grow() }
        let existing = key.withUnsafeBufferPointer { find($0) }
        if let existing {
            ids[existing] = id
            return
        }
        let entry = ids.count
        starts.append(Int32(bytes.count))
        lengths.append(Int32(key.count))
        ids.append(id)
        bytes.append(contentsOf: key)
        longestKey = max(longestKey, key.count)
        place(entry, hash: Self.hash(key.withUnsafeBufferPointer { $0 }))
    }

    /// The id of exactly these bytes, if present.
    func id(_ key: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard key.count <= longestKey, let entry = find(key) else { return nil }
        return ids[entry]
    }

    func id(_ key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { id($0) }
    }

    private func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Self.hash(key) & mask
        while true {
            let stored = Int(slots[slot])
            if stored == 0 { return nil }
            let entry = stored - 1
            if Int(lengths[entry]) == key.count {
                let start = Int(starts[entry])
                var equal = true
                for i in 0..<key.count where bytes[start + i] != key[i] {
                    equal = false
                    break
                }
                if equal { return entry }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func place(_ entry: Int, hash: Int) {
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for entry in 0..<ids.count {
            let start = Int(starts[entry]), length = Int(lengths[entry])
            let h = bytes.withUnsafeBufferPointer { Self.hash(UnsafeBufferPointer(rebasing: $0[start..<start + length])) }
            place(entry, hash: h)
        }
    }

    /// FNV-1a, 64-bit.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }
}
