import BLAS
import XCTest

final class BLASTests: XCTestCase {
    func testKernelLoadedAndChecked() throws {
        let kernel = try BLAS.shared().kernel
        XCTAssertFalse(kernel.core.isEmpty)
        XCTAssertNotEqual(kernel.core, "unknown")
        XCTAssertLessThan(kernel.checkError, 1e-4)
        print("OpenBLAS core \(kernel.core), \(kernel.threads) threads, \(kernel.choice), check error \(kernel.checkError)")
    }

    func testTransposedSgemmMatchesNaiveLoop() throws {
        let blas = try BLAS.shared()
        let m = 13, n = 29, k = 37
        // op(A) = Aᵀ with A stored k×m; op(B) = Bᵀ with B stored n×k; C = 0.5·op(A)·op(B) + 2·C.
        let a: [Float] = (0..<k * m).map { Float(($0 * 37) % 23) / 11 - 1 }
        let b: [Float] = (0..<n * k).map { Float(($0 * 53) % 31) / 15 - 1 }
        var c: [Float] = (0..<m * n).map { Float($0 % 7) }
        var expected = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(a[p * m + i]) * Double(b[j * k + p]) }
                expected[i * n + j] = 0.5 * s + 2 * Double(c[i * n + j])
            }
        }
        c.withUnsafeMutableBufferPointer { pc in
            blas.sgemm(.transposed, .transposed, m: m, n: n, k: k, alpha: 0.5, a: a, lda: m, b: b, ldb: k,
                       beta: 2, c: pc.baseAddress!, ldc: n)
        }
        for i in 0..<m * n { XCTAssertEqual(Double(c[i]), expected[i], accuracy: 1e-4) }
    }
}
