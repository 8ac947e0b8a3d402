import Embedder
import Foundation
import XCTest

final class SafetensorsTests: XCTestCase {
    private var files: [URL] = []

    override func tearDown() {
        for url in files { try? FileManager.default.removeItem(at: url) }
        files = []
    }

    /// Writes a safetensors file from a raw JSON header and data bytes (so broken files can be made too).
    private func write(header: String, data: [UInt8], headerLengthOverride: UInt64? = nil, truncateTo: Int? = nil) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vecdb-test-\(getpid())-\(files.count).safetensors")
        files.append(url)
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        let length = headerLengthOverride ?? UInt64(json.count)
        for i in 0..<8 { bytes.append(UInt8((length >> (8 * UInt64(i))) & 0xff)) }
        bytes += json + data
        if let truncateTo { bytes = Array(bytes.prefix(truncateTo)) }
        try Data(bytes).write(to: url)
        return url
    }

    private func littleEndian(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }
    }

    func testReadsF32F16BF16AndIgnoresMetadata() throws {
        // Values chosen to be exact in each format: 1, -2, 0.5, 65504 (F16 max), 2^-24 (smallest F16 subnormal).
        let f16: [UInt16] = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x0000]
        let bf16: [UInt16] = [0x3f80, 0xc000, 0x3f00, 0x4780]  // 1, -2, 0.5, 65536
        let f32: [Float] = [1.5, -3.25]
        let f32Bytes = f32.flatMap { value in (0..<4).map { UInt8((value.bitPattern >> (8 * UInt32($0))) & 0xff) } }
        // Odd header length on purpose so that the data area is unaligned.
        let header = """
        {"__metadata__":{"format":"pt"},"half":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},\
        "brain":{"dtype":"BF16","shape":[4],"data_offsets":[12,20]},"single":{"dtype":"F32","shape":[2],"data_offsets":[20,28]},\
        "ids":{"dtype":"I64","shape":[1],"data_offsets":[28,36]}}
        """
        let url = try write(header: header + (header.utf8.count % 2 == 0 ? " " : ""),
                            data: littleEndian(f16) + littleEndian(bf16) + f32Bytes + [UInt8](repeating: 0, count: 8))
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(Set(file.tensors.keys), ["half", "brain", "single", "ids"])
        XCTAssertEqual(file.tensors["half"]?.shape, [2, 3])
        XCTAssertEqual(try file.floats("half"), [1, -2, 0.5, 65504, Float(sign: .plus, exponent: -24, significand: 1), 0])
        XCTAssertEqual(try file.floats("brain"), [1, -2, 0.5, 65536])
        XCTAssertEqual(try file.floats("single"), f32)
        XCTAssertThrowsError(try file.floats("ids")) { XCTAssertTrue("\($0)".contains("'ids'"), "\($0)") }
        XCTAssertThrowsError(try file.floats("nothere")) { XCTAssertTrue("\($0)".contains("'nothere'"), "\($0)") }
    }

    func testF16SpecialValues() throws {
        let url = try write(header: #"{"t":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#,
                            data: littleEndian([0x7c00, 0xfc00, 0x8000, 0x03ff]))
        let values = try SafetensorsFile(url: url).floats("t")
        XCTAssertEqual(values[0], .infinity)
        XCTAssertEqual(values[1], -.infinity)
        XCTAssertEqual(values[2].bitPattern, (-Float(0)).bitPattern)
        XCTAssertEqual(values[3], Float(1023) * Float(sign: .plus, exponent: -24, significand: 1))
    }

    private func assertRejected(_ url: URL, mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile(url: url), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(url.lastPathComponent + ":"), "message should name the file: \(message)", file: file, line: line)
            for part in parts {
                XCTAssertTrue(message.contains(part), "\(message) should mention \(part)", file: file, line: line)
            }
        }
    }

    func testTruncatedFile() throws {
        assertRejected(try write(header: "", data: [], truncateTo: 5), mentions: ["5 bytes"])
        // Header promises a tensor whose bytes were cut off.
        assertRejected(try write(header: #"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: [UInt8](repeating: 0, count: 16),
                                 truncateTo: 8 + 55 + 8), mentions: ["'w'", "data_offsets [0, 16]", "data area"])
    }

    func testHeaderLengthBeyondFile() throws {
        assertRejected(try write(header: "{}", data: [], headerLengthOverride: 1_000_000), mentions: ["header length 1000000"])
        assertRejected(try write(header: "{}", data: [], headerLengthOverride: UInt64.max), mentions: ["header length"])
    }

    func testOffsetsOutsideDataArea() throws {
        assertRejected(try write(header: #"{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#,
                                 data: [UInt8](repeating: 0, count: 8)),
                       mentions: ["tensor 'embeddings.word_embeddings.weight'", "data_offsets [0, 12] outside the 8-byte data area"])
        assertRejected(try write(header: #"{"b":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: [UInt8](repeating: 0, count: 8)),
                       mentions: ["'b'", "[8, 4]"])
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        assertRejected(try write(header: header, data: [UInt8](repeating: 0, count: 12)), mentions: ["overlap", "'a'", "'b'"])
    }

    func testSizeNotMatchingShape() throws {
        assertRejected(try write(header: #"{"w":{"dtype":"F16","shape":[2,3],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
                       mentions: ["tensor 'w'", "8 bytes", "needs 12"])
    }

    func testUnknownDtypeAndMalformedFields() throws {
        assertRejected(try write(header: #"{"q":{"dtype":"Q4_0","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0]),
                       mentions: ["tensor 'q'", "unknown dtype 'Q4_0'"])
        assertRejected(try write(header: #"{"s":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
                       mentions: ["tensor 's'", "shape"])
        assertRejected(try write(header: #"{"d":{"dtype":"F32","shape":[1]}}"#, data: [0, 0, 0, 0]), mentions: ["tensor 'd'", "data_offsets"])
        assertRejected(try write(header: "not json", data: []), mentions: ["JSON"])
        assertRejected(try write(header: "[1,2]", data: []), mentions: ["JSON object"])
    }

    /// Found by libFuzzer (safetensors): a tensor name holding a newline split the error over two lines.
    func testControlCharactersInNamesStayOnOneLine() throws {
        let url = try write(header: "{\"a\\nb\\u001b[31m\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: [0, 0, 0, 0])
        XCTAssertThrowsError(try SafetensorsFile(url: url)) { error in
            XCTAssertEqual("\(error)", #"\#(url.lastPathComponent): tensor 'a\nb\u{1B}[31m': missing dtype"#)
        }
    }

    func testMissingFile() {
        XCTAssertThrowsError(try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))) {
            XCTAssertTrue("\($0)".hasPrefix("model.safetensors: cannot open"), "\($0)")
        }
    }

    func testRealModelHeader() throws {
        let file = try SafetensorsFile(url: try miniLMFolder().appendingPathComponent("model.safetensors"))
        XCTAssertEqual(file.tensors["embeddings.word_embeddings.weight"]?.shape, [30522, 384])
        XCTAssertEqual(file.tensors["embeddings.word_embeddings.weight"]?.dtype, .f32)
        XCTAssertEqual(try file.floats("encoder.layer.5.output.LayerNorm.bias").count, 384)
    }
}
