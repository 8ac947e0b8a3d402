import Kernels

/// Dequantisation of ggml block formats: one small function per format, each turning `count` values' worth of
/// raw blocks into floats. Callers guarantee `src` holds `type.byteCount(values: count)` bytes and `dst` has
/// room for `count` floats (`dequantizeRow` checks both and is the entry point for everything else).
///
/// All multi-byte fields are little-endian, as ggml writes them; loads are unaligned-safe because tensor data
/// is only guaranteed to be aligned to the file's alignment, not to each block's fields.
public enum QuantBlockFormats {
    /// Dequantises one row (or any run of whole blocks) of `type` into `dst`.
    public static func dequantizeRow(
        _ type: GGMLType, src: UnsafeRawBufferPointer, count: Int, dst: UnsafeMutableBufferPointer<Float>
    ) throws {
        guard let bytes = type.byteCount(values: count) else {
            throw QuantError(reason: "\(count) values is not a whole number of \(type) blocks of \(type.blockSize)")
        }
        guard src.count >= bytes, dst.count >= count, let s = src.baseAddress, let d = dst.baseAddress else {
            if count == 0 { return }
            throw QuantError(reason: "\(type) row of \(count) values needs \(bytes) bytes, got \(src.count)")
        }
        switch type {
        case .f32: dequantizeF32(s, d, count)
        case .f16: dequantizeF16(s, d, count)
        case .bf16: dequantizeBF16(s, d, count)
        case .q8_0: dequantizeQ8_0(s, d, count)
        case .q4_0: dequantizeQ4_0(s, d, count)
        case .q4_1: dequantizeQ4_1(s, d, count)
        case .q5_0: dequantizeQ5_0(s, d, count)
        case .q5_1: dequantizeQ5_1(s, d, count)
        case .q4_K: dequantizeQ4_K(s, d, count)
        case .q5_K: dequantizeQ5_K(s, d, count)
        case .q6_K: dequantizeQ6_K(s, d, count)
        }
    }

    /// Convenience for tests and small tensors: dequantises a byte array.
    public static func dequantize(_ type: GGMLType, bytes: [UInt8], count: Int) throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        try bytes.withUnsafeBytes { raw in
            try out.withUnsafeMutableBufferPointer { try dequantizeRow(type, src: raw, count: count, dst: $0) }
        }
        return out
    }

    // MARK: - Field loads

    @inline(__always) static func u8(_ p: UnsafeRawPointer, _ o: Int) -> UInt8 { p.load(fromByteOffset: o, as: UInt8.self) }

    /// A block's IEEE half scale as a float.
    @inline(__always) static func f16(_ p: UnsafeRawPointer, _ o: Int) -> Float {
        Kernels.float(fromHalf: UInt16(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
    }

    @inline(__always) static func u32(_ p: UnsafeRawPointer, _ o: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }

    // MARK: - Plain floats

    static func dequantizeF32(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n { d[i] = Float(bitPattern: u32(s, 4 * i)) }
    }

    /// Whole F16 tensors are rows of halves: the kernel widens them with F16C where the CPU has it.
    static func dequantizeF16(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        Kernels.active.widenHalves(s, into: d, count: n)
    }

    static func dequantizeBF16(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for i in 0..<n {
            d[i] = Kernels.float(fromBFloat16: UInt16(littleEndian: s.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    // MARK: - 32-value blocks

    /// Q8_0: x = q · d with q a signed byte.
    static func dequantizeQ8_0(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 32) {
            let blk = s + b * 34, out = d + b * 32
            let scale = f16(blk, 0)
            for j in 0..<32 { out[j] = Float(Int8(bitPattern: u8(blk, 2 + j))) * scale }
        }
    }

    /// Q4_0: low nibbles are values 0–15, high nibbles values 16–31, both offset by 8.
    static func dequantizeQ4_0(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 32) {
            let blk = s + b * 18, out = d + b * 32
            let scale = f16(blk, 0)
            for j in 0..<16 {
                let q = u8(blk, 2 + j)
                out[j] = Float(Int(q & 15) - 8) * scale
                out[j + 16] = Float(Int(q >> 4) - 8) * scale
            }
        }
    }

    /// Q4_1: unsigned nibbles with a scale and a minimum: x = q · d + m.
    static func dequantizeQ4_1(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 32) {
            let blk = s + b * 20, out = d + b * 32
            let scale = f16(blk, 0), minimum = f16(blk, 2)
            for j in 0..<16 {
                let q = u8(blk, 4 + j)
                out[j] = Float(q & 15) * scale + minimum
                out[j + 16] = Float(q >> 4) * scale + minimum
            }
        }
    }

    /// Q5_0: nibble plus a fifth bit from the 32-bit `qh` (bit j for value j, bit j+16 for value j+16), offset 16.
    static func dequantizeQ5_0(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 32) {
            let blk = s + b * 22, out = d + b * 32
            let scale = f16(blk, 0)
            let qh = u32(blk, 2)
            for j in 0..<16 {
                let q = u8(blk, 6 + j)
                let lo = Int(q & 15) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float(lo - 16) * scale
                out[j + 16] = Float(hi - 16) * scale
            }
        }
    }

    /// Q5_1: as Q5_0 but unsigned with a minimum: x = q · d + m.
    static func dequantizeQ5_1(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 32) {
            let blk = s + b * 24, out = d + b * 32
            let scale = f16(blk, 0), minimum = f16(blk, 2)
            let qh = u32(blk, 4)
            for j in 0..<16 {
                let q = u8(blk, 8 + j)
                let lo = UInt32(q & 15) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float(lo) * scale + minimum
                out[j + 16] = Float(hi) * scale + minimum
            }
        }
    }

    // MARK: - 256-value super-blocks (k-quants)

    /// The 6-bit scale and minimum of sub-block `j` (0–7) from the 12 packed bytes of Q4_K/Q5_K: sub-blocks
    /// 0–3 keep theirs in the low 6 bits of bytes j and j+4; 4–7 combine a nibble of bytes 8–11 with the
    /// top 2 bits of bytes j-4 and j.
    @inline(__always) static func scaleMin(_ q: UnsafeRawPointer, _ j: Int) -> (Float, Float) {
        if j < 4 {
            return (Float(u8(q, j) & 63), Float(u8(q, j + 4) & 63))
        }
        let sc = (u8(q, j + 4) & 0x0F) | ((u8(q, j - 4) >> 6) << 4)
        let m = (u8(q, j + 4) >> 4) | ((u8(q, j) >> 6) << 4)
        return (Float(sc), Float(m))
    }

    /// Q4_K: 8 sub-blocks of 32; each 64-value chunk takes low nibbles for its first sub-block and high nibbles
    /// for its second; x = d · sc · q − dmin · m.
    static func dequantizeQ4_K(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 256) {
            let blk = s + b * 144, out = d + b * 256
            let dAll = f16(blk, 0), dMin = f16(blk, 2)
            let scales = blk + 4, qs = blk + 16
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(scales, 2 * chunk)
                let (sc2, m2) = scaleMin(scales, 2 * chunk + 1)
                let d1 = dAll * sc1, min1 = dMin * m1, d2 = dAll * sc2, min2 = dMin * m2
                let q = qs + 32 * chunk, o = out + 64 * chunk
                for l in 0..<32 {
                    let byte = u8(q, l)
                    o[l] = d1 * Float(byte & 15) - min1
                    o[l + 32] = d2 * Float(byte >> 4) - min2
                }
            }
        }
    }

    /// Q5_K: Q4_K plus a fifth bit per value from `qh`; chunk c uses bits 2c (low nibbles) and 2c+1 (high).
    static func dequantizeQ5_K(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 256) {
            let blk = s + b * 176, out = d + b * 256
            let dAll = f16(blk, 0), dMin = f16(blk, 2)
            let scales = blk + 4, qh = blk + 16, qs = blk + 48
            for chunk in 0..<4 {
                let (sc1, m1) = scaleMin(scales, 2 * chunk)
                let (sc2, m2) = scaleMin(scales, 2 * chunk + 1)
                let d1 = dAll * sc1, min1 = dMin * m1, d2 = dAll * sc2, min2 = dMin * m2
                let bitLo = UInt8(1) << UInt8(2 * chunk), bitHi = UInt8(2) << UInt8(2 * chunk)
                let q = qs + 32 * chunk, o = out + 64 * chunk
                for l in 0..<32 {
                    let byte = u8(q, l), h = u8(qh, l)
                    o[l] = d1 * Float((byte & 15) + (h & bitLo != 0 ? 16 : 0)) - min1
                    o[l + 32] = d2 * Float((byte >> 4) + (h & bitHi != 0 ? 16 : 0)) - min2
                }
            }
        }
    }

    /// Q6_K: 6-bit values (4 low bits in `ql`, 2 high bits in `qh`) offset by 32, 16 signed 8-bit scales of
    /// 16 values each. Each 128-value half reads 64 bytes of `ql` and 32 of `qh`; the four 32-value quarters
    /// take low/high nibbles of `ql[l]`/`ql[l+32]` and bit pairs 0,2,4,6 of `qh[l]`.
    static func dequantizeQ6_K(_ s: UnsafeRawPointer, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
        for b in 0..<(n / 256) {
            let blk = s + b * 210, out = d + b * 256
            let dAll = f16(blk, 208)
            for half in 0..<2 {
                let ql = blk + 64 * half, qh = blk + 128 + 32 * half, sc = blk + 192 + 8 * half
                let o = out + 128 * half
                for l in 0..<32 {
                    let i = l / 16
                    let a = u8(ql, l), c = u8(ql, l + 32), h = u8(qh, l)
                    let q1 = Int((a & 15) | ((h & 3) << 4)) - 32
                    let q2 = Int((c & 15) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int((a >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int((c >> 4) | (((h >> 6) & 3) << 4)) - 32
                    func scale(_ k: Int) -> Float { dAll * Float(Int8(bitPattern: u8(sc, k))) }
                    o[l] = scale(i) * Float(q1)
                    o[l + 32] = scale(i + 2) * Float(q2)
                    o[l + 64] = scale(i + 4) * Float(q3)
                    o[l + 96] = scale(i + 6) * Float(q4)
                }
            }
        }
    }
}

/// A dequantisation request that does not fit the format (row not a whole number of blocks, short buffer).
public struct QuantError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { "dequantise: \(reason)" }
}
