/// Seeded structure-blind mutations of a valid input, the way a file goes bad: flipped bits, a truncated tail,
/// spliced halves of two files, a length field turned into 0, 2^31 or 2^64−1, a JSON number made huge or a
/// bracket opened a thousand times. The same seed gives the same inputs on every machine, so a failure reported
/// by a fuzz run or test reproduces from its seed alone.
public struct ByteMutator {
    public var generator: SplitMix64

    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// Little-endian values that sit on the edges parsers get wrong: zero, one, sign bits, all ones, sizes
    /// beyond any file (2^40, 2^60) and just past 32 bits.
    static let interesting: [UInt64] = [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x7FFF, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        1 << 40, 1 << 60, UInt64(Int64.max), UInt64.max, UInt64.max - 7,
    ]

    /// Texts that stress JSON readers and tokenizers when dropped into the middle of an input.
    static let tokens: [String] = [
        "\"", "\\", "\\u", "\\ud800", "\\udc00\\ud800", "{", "}", "[", "]", ":", ",", "null", "true", "-0",
        "1e308", "1e999", "-1", "4294967296", "18446744073709551616", "9007199254740993", "0.5",
        "\u{0}", "\r\n", "\u{FEFF}", "\u{202E}", "\u{0301}", "\u{FFFD}", "\u{10FFFF}", "[CLS]", "<|im_start|>",
        "##", "Ġ", " ", "\"dtype\":\"F32\"", "\"data_offsets\":[0,", "\"shape\":[",
    ]

    /// `input` changed by one to four stacked mutations; `other` (another valid input) feeds splices.
    public mutating func mutate(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            bytes = mutateOnce(bytes, other: other)
        }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int {
        bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
    }

    private mutating func mutateOnce(_ input: [UInt8], other: [UInt8]) -> [UInt8] {
        var bytes = input
        switch Int.random(in: 0..<10, using: &generator) {
        case 0:  // flip one bit
            guard !bytes.isEmpty else { return [UInt8.random(in: 0...255, using: &generator)] }
            bytes[position(in: bytes)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
        case 1:  // overwrite a few bytes with random ones
            for _ in 0..<Int.random(in: 1...8, using: &generator) where !bytes.isEmpty {
                bytes[position(in: bytes)] = UInt8.random(in: 0...255, using: &generator)
            }
        case 2:  // truncate
            bytes.removeLast(bytes.isEmpty ? 0 : Int.random(in: 1...bytes.count, using: &generator))
        case 3:  // a length field (little-endian, 1, 2, 4 or 8 bytes) set to an edge value
            let width = [1, 2, 4, 8][Int.random(in: 0..<4, using: &generator)]
            guard bytes.count >= width else { return bytes }
            let at = Int.random(in: 0...(bytes.count - width), using: &generator)
            let value = Self.interesting[Int.random(in: 0..<Self.interesting.count, using: &generator)]
            for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        case 4:  // a length field nudged by a small amount (off-by-one and sign errors)
            let width = Bool.random(using: &generator) ? 4 : 8
            guard bytes.count >= width else { return bytes }
            let at = Int.random(in: 0...(bytes.count - width), using: &generator)
            var value: UInt64 = 0
            for k in 0..<width { value |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            value &+= UInt64(bitPattern: Int64.random(in: -16...16, using: &generator))
            for k in 0..<width { bytes[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        case 5:  // splice: our head, the other input's tail
            let cut = position(in: bytes), from = position(in: other)
            bytes = Array(bytes[..<cut]) + Array(other[from...])
        case 6:  // duplicate a range (repeated keys, entries, pieces)
            guard !bytes.isEmpty else { return bytes }
            let start = position(in: bytes)
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &generator))
            let copies = Int.random(in: 1...(Bool.random(using: &generator) ? 4 : 1000), using: &generator)
            let piece = Array(bytes[start..<end])
            bytes.insert(contentsOf: Array([[UInt8]](repeating: piece, count: copies).joined()), at: end)
        case 7:  // delete a range
            guard !bytes.isEmpty else { return bytes }
            let start = position(in: bytes)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...32, using: &generator)))
        case 8:  // insert a token that matters to JSON or tokenizers
            let token = Self.tokens[Int.random(in: 0..<Self.tokens.count, using: &generator)]
            bytes.insert(contentsOf: Array(token.utf8), at: position(in: bytes))
        default:  // replace a run of ASCII digits with an edge value (JSON sizes, offsets, ids)
            guard let digit = bytes.indices.dropFirst(position(in: bytes)).first(where: { (0x30...0x39).contains(bytes[$0]) })
            else { return bytes }
            var end = digit
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) { end += 1 }
            let value = Self.interesting[Int.random(in: 0..<Self.interesting.count, using: &generator)]
            let text = Bool.random(using: &generator) ? String(value) : "-" + String(value)
            bytes.replaceSubrange(digit..<end, with: Array(text.utf8))
        }
        return bytes
    }
}
