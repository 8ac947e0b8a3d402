/// GPT-2's reversible byte ↔ character mapping for byte-level BPE.
///
/// Vocabulary entries are strings of printable characters, one per byte: bytes that are already printable
/// Latin-1 (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves, and the other 68 (controls, space, DEL, NBSP,
/// soft hyphen) are moved, in byte order, to U+0100 onwards — so space is `Ġ` (U+0120) and newline `Ċ` (U+010A).
enum BPEByteMapping {
    /// Character for each byte.
    static let byteToScalar: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: "\0", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if isPrintable(UInt8(b)) {
                out[b] = Unicode.Scalar(UInt8(b))
            } else {
                out[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return out
    }()

    static func isPrintable(_ b: UInt8) -> Bool {
        (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
    }

    /// Byte for a mapped character, or nil when the character is not one of the 256.
    static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let v = scalar.value
        if v < 256 { return isPrintable(UInt8(v)) ? UInt8(v) : nil }
        guard v < 256 + 68 else { return nil }
        // The n-th non-printable byte (in byte order) maps to 256 + n.
        var n: UInt32 = 0
        for b in 0..<256 where !isPrintable(UInt8(b)) {
            if n == v - 256 { return UInt8(b) }
            n += 1
        }
        return nil
    }
}
