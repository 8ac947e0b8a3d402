import Embedder
import Fuzzing
import Foundation
import TestSupport
import XCTest

final class GGUFReaderTests: XCTestCase {
    // MARK: - Synthetic files

    /// Every value type, nested arrays, an empty array and two tensors.
    static func sampleMetadata() -> [(String, GGUFValue)] {
        [
            ("general.architecture", .string("llama")),
            ("u8", .uint8(200)), ("i8", .int8(-5)), ("u16", .uint16(60000)), ("i16", .int16(-300)),
            ("u32", .uint32(4_000_000_000)), ("i32", .int32(-70000)), ("f32", .float32(1.5)),
            ("yes", .bool(true)), ("no", .bool(false)), ("u64", .uint64(1 << 40)), ("i64", .int64(-(1 << 40))),
            ("f64", .float64(-2.25)), ("unicode", .string("Café ☕️ 𝔘")),
            ("ints", .array(.int32, [.int32(1), .int32(-2), .int32(3)])),
            ("strings", .array(.string, [.string("a"), .string(""), .string("ĠHello")])),
            ("nested", .array(.array, [.array(.uint8, [.uint8(1), .uint8(2)]), .array(.uint8, [])])),
            ("empty", .array(.float32, [])),
        ]
    }

    static func sampleTensors() -> [GGUFTestWriter.Tensor] {
        var f32 = GGUFTestWriter()
        for v in [Float(1), -2, 0.5, 3] { f32.u32(v.bitPattern) }
        // One Q8_0 block: d = 0.5 (fp16 0x3800), q = 0, 1, …, 31 as signed bytes with sign alternating.
        var q8: [UInt8] = [0x00, 0x38]
        for j in 0..<32 { q8.append(UInt8(bitPattern: Int8(j % 2 == 0 ? j : -j))) }
        return [
            .init(name: "norm.weight", dims: [4], type: .f32, data: f32.bytes),
            .init(name: "embd.weight", dims: [32, 1], type: .q8_0, data: q8),
        ]
    }

    func testRoundTripEveryValueTypeAllVersions() throws {
        for version: UInt32 in [1, 2, 3] {
            let bytes = GGUFTestWriter.file(version: version, metadata: Self.sampleMetadata(), tensors: Self.sampleTensors())
            let f = try GGUFFile(bytes: bytes, name: "v\(version).gguf")
            XCTAssertEqual(f.version, Int(version))
            XCTAssertEqual(f.metadata.count, Self.sampleMetadata().count)
            for (k, v) in Self.sampleMetadata() {
                XCTAssertEqual(f[k], v, "v\(version) key \(k)")
            }
            XCTAssertEqual(f.metadata.map(\.key), Self.sampleMetadata().map(\.0), "file order kept")
            XCTAssertEqual(f.alignment, 32)
            XCTAssertEqual(f.dataOffset % 32, 0)
            XCTAssertEqual(try f.dequantize(named: "norm.weight"), [1, -2, 0.5, 3])
            let q = try f.dequantize(named: "embd.weight")
            XCTAssertEqual(q, (0..<32).map { Float($0 % 2 == 0 ? $0 : -$0) * 0.5 })
            XCTAssertEqual(f.tensor(named: "embd.weight")?.dims, [32, 1])
            XCTAssertNil(f.tensor(named: "missing"))
            XCTAssertThrowsError(try f.requireTensor("missing")) { e in
                XCTAssertTrue("\(e)".contains("v\(version).gguf") && "\(e)".contains("missing"), "\(e)")
            }
        }
    }

    func testCustomAlignment() throws {
        let meta = Self.sampleMetadata() + [("general.alignment", .uint32(64))]
        let bytes = GGUFTestWriter.file(metadata: meta, tensors: Self.sampleTensors(), alignment: 64)
        let f = try GGUFFile(bytes: bytes)
        XCTAssertEqual(f.alignment, 64)
        XCTAssertEqual(f.dataOffset % 64, 0)
        XCTAssertEqual(try f.dequantize(named: "norm.weight"), [1, -2, 0.5, 3])
        // A tensor offset that is not a multiple of the declared alignment is rejected.
        let bad = GGUFTestWriter.file(metadata: Self.sampleMetadata() + [("general.alignment", .uint32(48))],
                                      tensors: Self.sampleTensors(), alignment: 32)
        XCTAssertThrowsError(try GGUFFile(bytes: bad))
    }

    /// Every prefix of a valid file that loses header or tensor bytes is an error; only the padding after the
    /// last tensor may be cut.
    func testEveryTruncationThrows() throws {
        let bytes = GGUFTestWriter.file(metadata: Self.sampleMetadata(), tensors: Self.sampleTensors())
        let whole = try GGUFFile(bytes: bytes)
        let needed = whole.dataOffset + whole.tensors.map { $0.offset + $0.byteCount }.max()!
        XCTAssertLessThan(needed, bytes.count)
        for cut in needed...bytes.count { XCTAssertNoThrow(try GGUFFile(bytes: Array(bytes[0..<cut]))) }
        for cut in 0..<needed {
            XCTAssertThrowsError(try GGUFFile(bytes: Array(bytes[0..<cut]), name: "cut\(cut)"), "cut at \(cut)") { e in
                XCTAssertTrue(e is GGUFError)
                XCTAssertTrue("\(e)".contains("cut\(cut)"))
            }
        }
        XCTAssertNoThrow(try GGUFFile(bytes: bytes))
    }

    /// Found by libFuzzer (gguf): a metadata key holding a newline and NULs split the error over lines.
    func testControlCharactersInKeysStayOnOneLine() throws {
        var w = GGUFTestWriter()
        w.bytes = Array("GGUF".utf8)
        w.u32(3)
        w.u64(0)
        w.u64(1)
        w.string("bad\n\0key")
        w.u32(77)
        w.u8(0)
        XCTAssertThrowsError(try GGUFFile(bytes: w.bytes, name: "k.gguf")) { e in
            XCTAssertEqual("\(e)", #"GGUF k.gguf: metadata 'bad\n\0key': unknown value type 77"#)
        }
    }

    /// Header counts and lengths far beyond the file must throw before any allocation.
    func testHugeCountsThrowWithoutAllocating() throws {
        let huge: UInt64 = 1 << 60
        func header(tensors: UInt64, kvs: UInt64) -> GGUFTestWriter {
            var w = GGUFTestWriter()
            w.bytes = Array("GGUF".utf8)
            w.u32(3)
            w.u64(tensors)
            w.u64(kvs)
            return w
        }
        XCTAssertThrowsError(try GGUFFile(bytes: header(tensors: huge, kvs: 0).bytes)) { e in
            XCTAssertTrue("\(e)".contains("tensor_count"), "\(e)")
        }
        XCTAssertThrowsError(try GGUFFile(bytes: header(tensors: 0, kvs: huge).bytes)) { e in
            XCTAssertTrue("\(e)".contains("metadata_kv_count"), "\(e)")
        }
        XCTAssertThrowsError(try GGUFFile(bytes: header(tensors: 0, kvs: UInt64.max).bytes))
        // 100 key/value pairs claimed, room for far fewer.
        var few = header(tensors: 0, kvs: 100)
        few.bytes += [UInt8](repeating: 0, count: 200)
        XCTAssertThrowsError(try GGUFFile(bytes: few.bytes))
        // A 2^60-byte key.
        var w = header(tensors: 0, kvs: 1)
        w.u64(huge)
        w.bytes += [UInt8](repeating: 65, count: 64)
        XCTAssertThrowsError(try GGUFFile(bytes: w.bytes)) { e in XCTAssertTrue("\(e)".contains("metadata[0].key"), "\(e)") }
        // A 2^60-long string value and a 2^60-long array.
        for type in [GGUFValueType.string, .array] {
            var v = header(tensors: 0, kvs: 1)
            v.string("big")
            v.u32(type.rawValue)
            if type == .array { v.u32(GGUFValueType.uint64.rawValue) }
            v.u64(huge)
            v.bytes += [UInt8](repeating: 0, count: 64)
            XCTAssertThrowsError(try GGUFFile(bytes: v.bytes)) { e in XCTAssertTrue("\(e)".contains("'big'"), "\(e)") }
        }
        // An array of 2^40 empty arrays: each needs 12 bytes, so the count alone is refused.
        var nested = header(tensors: 0, kvs: 1)
        nested.string("nest")
        nested.u32(GGUFValueType.array.rawValue)
        nested.u32(GGUFValueType.array.rawValue)
        nested.u64(1 << 40)
        nested.bytes += [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try GGUFFile(bytes: nested.bytes))
        // A tensor whose dimensions multiply past Int.max, and one whose data runs past the end.
        for dims: [UInt64] in [[1 << 40, 1 << 40], [32, 1 << 20]] {
            let t = GGUFTestWriter.Tensor(name: "t", dims: dims, type: .f32, data: [])
            var bytes = GGUFTestWriter.file(metadata: [], tensors: [t])
            bytes += [UInt8](repeating: 0, count: 64)
            XCTAssertThrowsError(try GGUFFile(bytes: bytes)) { e in XCTAssertTrue("\(e)".contains("tensor 't'"), "\(e)") }
        }
        // Unknown value and tensor types, bad bools, invalid UTF-8, version and magic.
        var badType = header(tensors: 0, kvs: 1)
        badType.string("k")
        badType.u32(99)
        XCTAssertThrowsError(try GGUFFile(bytes: badType.bytes + [0, 0, 0, 0]))
        var badBool = header(tensors: 0, kvs: 1)
        badBool.string("k")
        badBool.u32(GGUFValueType.bool.rawValue)
        badBool.u8(7)
        XCTAssertThrowsError(try GGUFFile(bytes: badBool.bytes))
        var badUTF8 = header(tensors: 0, kvs: 1)
        badUTF8.u64(2)
        badUTF8.bytes += [0xC3, 0x28]
        badUTF8.u32(GGUFValueType.uint8.rawValue)
        badUTF8.u8(1)
        XCTAssertThrowsError(try GGUFFile(bytes: badUTF8.bytes)) { e in XCTAssertTrue("\(e)".contains("UTF-8"), "\(e)") }
        var v9 = header(tensors: 0, kvs: 0)
        v9.bytes[4] = 9
        XCTAssertThrowsError(try GGUFFile(bytes: v9.bytes)) { e in XCTAssertTrue("\(e)".contains("version"), "\(e)") }
        var bigEndian = header(tensors: 0, kvs: 0)
        bigEndian.bytes[4...7] = [0, 0, 0, 3]
        XCTAssertThrowsError(try GGUFFile(bytes: bigEndian.bytes)) { e in XCTAssertTrue("\(e)".contains("big-endian"), "\(e)") }
        XCTAssertThrowsError(try GGUFFile(bytes: Array("GGML".utf8) + [3, 0, 0, 0])) { e in
            XCTAssertTrue("\(e)".contains("magic"), "\(e)")
        }
        var tensorType = GGUFTestWriter.file(metadata: [], tensors: [.init(name: "t", dims: [4], type: .f32, data: [UInt8](repeating: 0, count: 16))])
        // Patch the tensor's type (after name length 8 + "t" + n_dims 4 + dim 8) to an unsupported id.
        let typeAt = 24 + 8 + 1 + 4 + 8
        tensorType[typeAt] = 99
        XCTAssertThrowsError(try GGUFFile(bytes: tensorType)) { e in XCTAssertTrue("\(e)".contains("tensor 't'"), "\(e)") }
    }

    /// Random byte flips in a valid file: any outcome but a crash or hang (parse or throw).
    func testRandomByteFlipsNeverCrash() throws {
        let bytes = GGUFTestWriter.file(metadata: Self.sampleMetadata(), tensors: Self.sampleTensors())
        var rng = SplitMix64(seed: 42)
        var thrown = 0
        for _ in 0..<5000 {
            var b = bytes
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do {
                let f = try GGUFFile(bytes: b)
                for t in f.tensors { _ = try f.dequantize(t) }
            } catch {
                thrown += 1
            }
        }
        XCTAssertGreaterThan(thrown, 0)
        for n in [0, 1, 3, 4, 8, 23, 24, 100, 4096] {
            for _ in 0..<50 {
                var random = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if n >= 8 && Bool.random(using: &rng) { random[0..<8] = [0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0] }
                XCTAssertThrowsError(try GGUFFile(bytes: random))
            }
        }
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try GGUFFile(url: URL(fileURLWithPath: "/nonexistent/x.gguf"))) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/x.gguf"), "\(e)")
        }
    }

    // MARK: - The real SmolLM2 file

    func testSmolLM2HeaderMatchesGGUFPy() throws {
        let url = try LlamaTestSupport.smolLM2URL()
        let f = try GGUFFile(url: url)
        let ref = try LlamaTestSupport.fixture("smollm2_gguf_meta") as! [String: Any]
        let meta = ref["metadata"] as! [String: Any]
        XCTAssertEqual(f.version, (meta["GGUF.version"] as! [Int])[0])
        XCTAssertEqual(f.tensors.count, ref["n_tensors"] as! Int)
        XCTAssertEqual(f.metadata.count, (meta["GGUF.kv_count"] as! [Int])[0])
        for (key, expected) in meta where !key.hasPrefix("GGUF.") {
            guard let value = f[key] else { XCTFail("missing \(key)"); continue }
            switch expected {
            case let s as String: XCTAssertEqual(value.stringValue, s, key)
            case let b as Bool where value.boolValue != nil: XCTAssertEqual(value.boolValue, b, key)
            case let n as NSNumber:
                XCTAssertEqual(value.doubleValue!, n.doubleValue, accuracy: abs(n.doubleValue) * 1e-7, key)
            case let a as [String]: XCTAssertEqual(value.arrayValue?.map { $0.stringValue ?? "?" }, a, key)
            case let d as [String: Any]:
                let arr = value.arrayValue!
                XCTAssertEqual(arr.count, d["len"] as! Int, key)
                let first5 = d["first5"] as! [Any], last3 = d["last3"] as! [Any]
                for (i, e) in first5.enumerated() { XCTAssertEqual("\(Self.plain(arr[i]))", "\(e)", key) }
                for (i, e) in last3.enumerated() { XCTAssertEqual("\(Self.plain(arr[arr.count - 3 + i]))", "\(e)", key) }
            default: XCTFail("unhandled \(key)")
            }
        }
        let tensors = ref["tensors"] as! [[String: Any]]
        for (t, e) in zip(f.tensors, tensors) {
            XCTAssertEqual(t.name, e["name"] as! String)
            XCTAssertEqual(t.type.description, e["type"] as! String)
            XCTAssertEqual(t.dims, e["shape_ggml_ne"] as! [Int])
            XCTAssertEqual(t.byteCount, e["n_bytes"] as! Int)
            XCTAssertEqual(f.dataOffset + t.offset, e["offset"] as! Int, t.name)
        }
    }

    static func plain(_ v: GGUFValue) -> String {
        if let s = v.stringValue { return s }
        if let i = v.intValue { return "\(i)" }
        return "\(v)"
    }

    /// Headers cut at many offsets of the real file (the header is 1.78 MB) all throw.
    func testSmolLM2TruncatedHeadersThrow() throws {
        let url = try LlamaTestSupport.smolLM2URL()
        let handle = try FileHandle(forReadingFrom: url)
        let head = [UInt8](try handle.read(upToCount: 1_800_000)!)
        var rng = SplitMix64(seed: 7)
        var cuts = [0, 1, 4, 8, 16, 24, 100, 1000, 1_785_000, 1_785_663]
        for _ in 0..<60 { cuts.append(Int.random(in: 0..<head.count, using: &rng)) }
        for cut in cuts {
            XCTAssertThrowsError(try GGUFFile(bytes: Array(head[0..<cut]), name: "smollm2-cut\(cut)"), "cut \(cut)")
        }
        // Byte flips in the metadata/tensor table of the real header: parse or throw, never crash.
        for _ in 0..<40 {
            var b = head
            b[Int.random(in: 8..<head.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            _ = try? GGUFFile(bytes: b)
        }
    }
}
