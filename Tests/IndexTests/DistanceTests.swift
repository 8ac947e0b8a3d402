import Index
import XCTest

final class DistanceTests: XCTestCase {
    /// The scalar oracle the SIMD kernel must match.
    private func scalarDot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testDotMatchesScalarForEveryLengthAndAlignment() {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 3, 15, 16, 17, 63, 64, 65, 127, 384, 576, 1000] {
            let a = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            let b = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
            XCTAssertEqual(Double(Distance.dot(a, b)), scalarDot(a, b), accuracy: 1e-4, "count \(count)")
            // Unaligned: shift both vectors by 2 bytes, as LMDB may hand them over.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 8 + 4, alignment: 16)
            defer { raw.deallocate() }
            for (i, x) in a.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + i * 4, as: Float.self) }
            for (i, x) in b.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + count * 4 + i * 4, as: Float.self) }
            let d = Distance.dot(raw + 2, raw + 2 + count * 4, count: count)
            XCTAssertEqual(Double(d), scalarDot(a, b), accuracy: 1e-4, "unaligned count \(count)")
        }
    }
}
