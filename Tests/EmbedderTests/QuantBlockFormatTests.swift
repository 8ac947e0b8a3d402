import Embedder
import Foundation
import XCTest

final class QuantBlockFormatTests: XCTestCase {
    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.utf8.makeIterator()
        func nib(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 32) - 87 }
        while let a = it.next(), let b = it.next() { out.append(nib(a) << 4 | nib(b)) }
        return out
    }

    /// Synthetic blocks of every format against gguf-py's `gguf.quants.dequantize` (fixture quant_synthetic.json).
    func testSyntheticBlocksMatchGGUFPy() throws {
        let ref = try LlamaTestSupport.fixture("quant_synthetic") as! [String: Any]
        let cases = ref["cases"] as! [[String: Any]]
        var seen = Set<String>()
        for c in cases {
            let name = c["type"] as! String
            guard let type = GGMLType.allCases.first(where: { $0.description == name }) else {
                XCTFail("unknown type \(name)"); continue
            }
            seen.insert(name)
            let count = c["count"] as! Int
            let expected = (c["values"] as! [NSNumber]).map(\.floatValue)
            let got = try QuantBlockFormats.dequantize(type, bytes: Self.bytes(hex: c["hex"] as! String), count: count)
            let scale = expected.map(abs).max()!
            var worst: Float = 0
            for i in 0..<count { worst = max(worst, abs(got[i] - expected[i])) }
            XCTAssertLessThanOrEqual(worst, scale * 1e-6, "\(name): max |Δ| \(worst)")
        }
        XCTAssertEqual(seen.count, GGMLType.allCases.count)
    }

    /// Golden values dequantised by gguf-py from the real file (Q8_0, Q4_1 and F32 tensors).
    func testSmolLM2GoldenTensors() throws {
        let url = try LlamaTestSupport.smolLM2URL()
        let f = try GGUFFile(url: url)
        let ref = try LlamaTestSupport.fixture("smollm2_gguf_meta") as! [String: Any]
        let gold = ref["golden_dequant"] as! [String: [String: Any]]
        for name in gold.keys.sorted() {
            let g = gold[name]!
            let t = try f.requireTensor(name)
            XCTAssertEqual(t.type.description, g["type"] as! String)
            let shape = g["rows_x_cols"] as! [Int]
            XCTAssertEqual(t.rowCount, shape[0])
            XCTAssertEqual(t.rowLength, shape[1])
            let w = try f.dequantize(t)
            XCTAssertEqual(Array(w[0..<8]), (g["row0_first8"] as! [NSNumber]).map(\.floatValue), name)
            if let row1 = g["row1_first8"] as? [NSNumber] {
                XCTAssertEqual(Array(w[t.rowLength..<t.rowLength + 8]), row1.map(\.floatValue), name)
            }
            var sum = 0.0, sumAbs = 0.0
            for v in w { sum += Double(v); sumAbs += Double(abs(v)) }
            let es = (g["sum_all"] as! NSNumber).doubleValue, ea = (g["sum_abs_all"] as! NSNumber).doubleValue
            XCTAssertEqual(sum, es, accuracy: max(1e-6 * ea, 1e-9), name)
            XCTAssertEqual(sumAbs, ea, accuracy: 1e-9 * ea, name)
            if let hex = g["first_block_raw_hex"] as? String {
                let raw = f.withRawBytes(of: t) { Array($0.prefix(hex.count / 2)) }
                XCTAssertEqual(raw, Self.bytes(hex: hex), name)
            }
        }
    }

    func testRowsThatAreNotWholeBlocksThrow() {
        XCTAssertThrowsError(try QuantBlockFormats.dequantize(.q4_1, bytes: [UInt8](repeating: 0, count: 20), count: 31))
        XCTAssertThrowsError(try QuantBlockFormats.dequantize(.q6_K, bytes: [UInt8](repeating: 0, count: 100), count: 256))
    }
}
