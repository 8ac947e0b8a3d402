import CKernels
import Foundation
import Kernels
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Every kernel against an oracle (Glibc, a scalar loop in Double), for every set this CPU runs; and every set against
/// the portable one on random odd sizes, so a set that is never the active one on this machine is still checked.
final class KernelsTests: XCTestCase {
    private let sets = Kernels.supported
    private var portable: Kernels { Kernels(named: "portable")! }
    /// Sizes around the 16-lane width and the 64-value unroll, plus the model widths (32, 384, 576, 1536).
    private let sizes = [1, 3, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 384, 577, 1536, 1999]

    private func random(_ count: Int, in range: ClosedRange<Float> = -1...1, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return range.lowerBound + (range.upperBound - range.lowerBound) * Float(state >> 40) / Float(1 << 24)
        }
    }

    private func assertClose(_ a: [Float], _ b: [Float], relative: Float, _ message: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, message, file: file, line: line)
        for (i, (x, y)) in zip(a, b).enumerated() where abs(x - y) > relative * max(1, abs(x), abs(y)) {
            XCTFail("\(message): [\(i)] \(x) vs \(y)", file: file, line: line)
            return
        }
    }

    func testPortableIsAlwaysThereAndTheActiveSetIsSupported() {
        XCTAssertEqual(sets.last?.name, "portable")
        XCTAssertTrue(sets.contains(Kernels.active), "\(Kernels.active)")
        XCTAssertNil(Kernels(named: "no-such-set"))
        #if arch(x86_64)
        // A build on x86-64 carries every set; which of them run depends on the CPU.
        XCTAssertEqual(vecdb_kernel_table_count, 3)
        #endif
    }

    func testRequestedSetIsChosenOnlyWhenSupported() {
        let fastest = Int(vecdb_kernels_choose(nil))
        XCTAssertEqual(Int(vecdb_kernels_choose("unknown")), fastest)
        for set in sets {
            XCTAssertEqual(String(cString: vecdb_kernels_at(vecdb_kernels_choose(set.name)).pointee.name), set.name)
        }
        XCTAssertEqual(String(cString: vecdb_kernels_at(Int32(fastest)).pointee.name), sets[0].name)
        if let requested = Kernels.requested, Kernels(named: requested) != nil {
            XCTAssertEqual(Kernels.active.name, requested)
        } else {
            XCTAssertEqual(Kernels.active, sets[0])
        }
    }

    func testErfWithin1e6OfGlibc() {
        let xs = (0...1_200_000).map { -6 + Float($0) * 1e-5 } + [0, -0, 1e-30, -1e-30, 20, -20, 1e10, -1e10]
        for set in sets {
            var worst: Double = 0, worstAt: Float = 0
            for (x, y) in zip(xs, set.erf(xs)) {
                let error = abs(Double(y) - Glibc.erf(Double(x)))
                if error > worst { (worst, worstAt) = (error, x) }
            }
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(set): max |erf error| \(worst) at x = \(worstAt)")
            XCTAssertEqual(set.erf([Float.infinity, -Float.infinity]), [1, -1], "\(set)")
        }
    }

    func testExpWithin1e6RelativeOfGlibc() {
        let xs = (0...1_000_000).map { -80 + Float($0) * 1.68e-4 } + [0, -0, 1, -1, 88, -87]
        for set in sets {
            var worst: Double = 0, worstAt: Float = 0
            for (x, y) in zip(xs, set.exp(xs)) {
                let exact = Glibc.exp(Double(x))
                let error = abs(Double(y) - exact) / exact
                if error > worst { (worst, worstAt) = (error, x) }
            }
            XCTAssertLessThanOrEqual(worst, 1e-6, "\(set): max relative exp error \(worst) at x = \(worstAt)")
            XCTAssertEqual(set.exp([0])[0], 1, "\(set)")
            // Far below the range the result is (almost) zero, never garbage from exponent wrap-around.
            XCTAssertLessThan(set.exp([-1000])[0], 1e-37, "\(set)")
            XCTAssertGreaterThanOrEqual(set.exp([-1000])[0], 0, "\(set)")
        }
    }

    func testGELUMatchesErfDefinition() {
        for set in sets {
            var row: [Float] = (0..<37).map { Float($0 - 18) * 0.37 + 0.25 }  // 37: a partial vector at the end
            let inputs = row.map(Double.init)
            row.withUnsafeMutableBufferPointer { set.gelu($0.baseAddress!, count: $0.count) }
            for (v, g) in zip(inputs, row) {
                XCTAssertEqual(Double(g), 0.5 * v * (1 + Glibc.erf(v / 2.0.squareRoot())), accuracy: 2e-6, "\(set)")
            }
        }
    }

    func testLayerNormAndSoftmax() {
        for set in sets {
            let n = 45
            var row: [Float] = (0..<n).map { sin(Float($0)) * 3 + 1 }
            let residual: [Float] = (0..<n).map { cos(Float($0)) }
            let gamma: [Float] = (0..<n).map { 1 + Float($0) / 100 }
            let beta: [Float] = (0..<n).map { Float($0) / 50 }
            let summed = zip(row, residual).map { Double($0 + $1) }
            let mean = summed.reduce(0, +) / Double(n)
            let variance = summed.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            row.withUnsafeMutableBufferPointer { r in
                set.layerNorm(r.baseAddress!, adding: residual, bias: nil, gamma: gamma, beta: beta, count: n, epsilon: 1e-12)
            }
            for i in 0..<n {
                let expected = (summed[i] - mean) / variance.squareRoot() * Double(gamma[i]) + Double(beta[i])
                XCTAssertEqual(Double(row[i]), expected, accuracy: 1e-5, "\(set)")
            }

            var scores: [Float] = (0..<21).map { Float($0) * 7 - 50 }
            let exact = scores.map { Glibc.exp(Double($0) - 90) }
            let total = exact.reduce(0, +)
            let logSum = set.softmax(&scores)
            for (p, e) in zip(scores, exact) { XCTAssertEqual(Double(p), e / total, accuracy: 1e-6, "\(set)") }
            XCTAssertEqual(Double(logSum), 90 + Glibc.log(total), accuracy: 1e-5, "\(set)")
        }
    }

    func testRMSNormAndSwiGLUMatchTheirDefinitions() {
        for set in sets {
            let dim = 37, rows = 3
            let x = random(rows * dim, in: -3...3, seed: 5), w = random(dim, seed: 6)
            var y = [Float](repeating: 0, count: rows * dim)
            set.rmsNorm(x, weight: w, into: &y, rows: rows, dim: dim, epsilon: 1e-5)
            for r in 0..<rows {
                let slice = x[r * dim..<(r + 1) * dim].map(Double.init)
                let scale = 1 / (slice.map { $0 * $0 }.reduce(0, +) / Double(dim) + 1e-5).squareRoot()
                for i in 0..<dim {
                    XCTAssertEqual(Double(y[r * dim + i]), slice[i] * scale * Double(w[i]), accuracy: 1e-5, "\(set)")
                }
            }
            let gate = random(dim, in: -10...10, seed: 7), up = random(dim, seed: 8)
            var out = [Float](repeating: 0, count: dim)
            set.swiGLU(gate: gate, up: up, into: &out, count: dim)
            for i in 0..<dim {
                let g = Double(gate[i])
                XCTAssertEqual(Double(out[i]), g / (1 + Glibc.exp(-g)) * Double(up[i]), accuracy: 1e-5, "\(set)")
            }
        }
    }

    /// The scalar oracle the SIMD dot product must match.
    private func scalarDot(_ a: [Float], _ b: [Float]) -> Double {
        zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func testDotMatchesScalarForEveryLengthAndAlignment() {
        for set in sets {
            for count in [0] + sizes {
                let a = random(count, seed: UInt64(count)), b = random(count, seed: UInt64(count) + 1000)
                XCTAssertEqual(Double(set.dot(a, b)), scalarDot(a, b), accuracy: 1e-4, "\(set) count \(count)")
                // Unaligned: shift both vectors by 2 bytes, as LMDB may hand them over.
                let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 8 + 4, alignment: 16)
                defer { raw.deallocate() }
                for (i, x) in a.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + i * 4, as: Float.self) }
                for (i, x) in b.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + count * 4 + i * 4, as: Float.self) }
                let d = set.dot(raw + 2, raw + 2 + count * 4, count: count)
                XCTAssertEqual(Double(d), scalarDot(a, b), accuracy: 1e-4, "\(set) unaligned count \(count)")
            }
        }
    }

    /// Every int8 variant this CPU runs returns the exact integer sum, at every length (VNNI's 64- and 128-byte
    /// steps, AVX-512's masked tail, the others' scalar tails) and at odd addresses, extremes included.
    func testInt8DotIsExactForEveryVariantLengthAndAlignment() {
        XCTAssertEqual(Int8Kernel.supported.last?.name, "portable")
        XCTAssertTrue(Int8Kernel.supported.contains(.active))
        var state: UInt64 = 8
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 24
        }
        for count in Array(0...130) + [191, 255, 256, 257, 384, 1000, 4096] {
            let a = (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
            let b = (0..<count).map { _ in Int8(truncatingIfNeeded: next()) }
            let expected = zip(a, b).reduce(Int64(0)) { $0 + Int64($1.0) * Int64($1.1) }
            // The largest magnitude per pair: 255 · −128.
            let extremeA = [UInt8](repeating: 255, count: count), extremeB = [Int8](repeating: -128, count: count)
            for variant in Int8Kernel.supported {
                for offset in [0, 1, 3] {
                    let raw = UnsafeMutableRawPointer.allocate(byteCount: 2 * count + 8, alignment: 64)
                    defer { raw.deallocate() }
                    func run(_ x: [UInt8], _ y: [Int8]) -> Int32 {
                        for i in 0..<count {
                            raw.storeBytes(of: x[i], toByteOffset: offset + i, as: UInt8.self)
                            raw.storeBytes(of: y[i], toByteOffset: offset + count + 1 + i, as: Int8.self)
                        }
                        return variant.dot(raw + offset, raw + offset + count + 1, count: count)
                    }
                    XCTAssertEqual(Int64(run(a, b)), expected, "\(variant) count \(count) offset \(offset)")
                    XCTAssertEqual(Int64(run(extremeA, extremeB)), -32_640 * Int64(count), "\(variant) extremes, count \(count)")
                }
            }
        }
    }

    func testL2SquaredMatchesScalarForEveryLengthAndAlignment() {
        for set in sets {
            for count in [0] + sizes {
                let a = random(count, seed: UInt64(count) + 7), b = random(count, seed: UInt64(count) + 2000)
                let expected = zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
                XCTAssertEqual(Double(set.l2Squared(a, b)), expected, accuracy: 1e-4 * max(1, expected), "\(set) count \(count)")
                XCTAssertEqual(set.l2Squared(a, a), 0, "\(set) count \(count): a vector's distance to itself")
                let raw = UnsafeMutableRawPointer.allocate(byteCount: count * 8 + 4, alignment: 16)
                defer { raw.deallocate() }
                for (i, x) in a.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + i * 4, as: Float.self) }
                for (i, x) in b.enumerated() { raw.storeBytes(of: x, toByteOffset: 2 + count * 4 + i * 4, as: Float.self) }
                let d = set.l2Squared(raw + 2, raw + 2 + count * 4, count: count)
                XCTAssertEqual(Double(d), expected, accuracy: 1e-4 * max(1, expected), "\(set) unaligned count \(count)")
            }
        }
    }

    func testAttentionScoresAndWeightedSumMatchScalarLoops() {
        for set in sets {
            for (keys, dim) in [(1, 32), (7, 32), (25, 32), (33, 64), (17, 20)] {
                let padded = (keys + 15) / 16 * 16
                let query = random(dim, seed: UInt64(keys * dim))
                let k = random(keys * dim, seed: UInt64(keys * dim + 1))
                var transposed = [Float](repeating: 0, count: dim * padded)
                for j in 0..<keys { for c in 0..<dim { transposed[c * padded + j] = k[j * dim + c] } }
                var scores = [Float](repeating: .nan, count: padded)
                set.attentionScores(query: query, keysTransposed: transposed, dim: dim, padded: padded, scale: 0.25,
                                    into: &scores)
                for j in 0..<keys {
                    let expected = 0.25 * scalarDot(query, Array(k[j * dim..<(j + 1) * dim]))
                    XCTAssertEqual(Double(scores[j]), expected, accuracy: 1e-5, "\(set) \(keys)×\(dim)")
                }
                for j in keys..<padded { XCTAssertEqual(scores[j], 0, "\(set): padding keys score 0") }

                // Values as rows of a wider matrix (stride > dim), as attention reads them out of the packed QKV rows.
                let stride = dim + 5
                let values = random(keys * stride, seed: UInt64(keys + dim))
                let weights = random(keys, in: 0...1, seed: 99)
                var out = [Float](repeating: .nan, count: dim)
                set.weightedSum(weights: weights, count: keys, rows: values, rowStride: stride, dim: dim, into: &out)
                for c in 0..<dim {
                    let expected = (0..<keys).reduce(0.0) { $0 + Double(weights[$1]) * Double(values[$1 * stride + c]) }
                    XCTAssertEqual(Double(out[c]), expected, accuracy: 1e-5, "\(set) weighted sum \(keys)×\(dim)")
                }
            }
        }
    }

    /// Every set against the portable one on random odd sizes: they may differ only by rounding (the portable set on
    /// x86-64 does not fuse multiply-adds), and the SIMD sets must agree with each other bit for bit, since they run
    /// the same operations in the same order.
    func testEverySetAgreesWithPortable() {
        for set in sets {
            for n in sizes {
                let x = random(n, in: -8...8, seed: UInt64(n) &* 31), y = random(n, seed: UInt64(n) &* 37)
                let label = "\(set) vs portable, n = \(n)"
                XCTAssertEqual(set.dot(x, y), portable.dot(x, y), accuracy: 1e-4 * Float(n).squareRoot(), label)
                assertClose(set.exp(x), portable.exp(x), relative: 1e-6, "exp \(label)")
                assertClose(set.erf(x), portable.erf(x), relative: 1e-6, "erf \(label)")
                func inPlace(_ kernels: Kernels, _ f: (Kernels, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
                    var v = x
                    v.withUnsafeMutableBufferPointer { f(kernels, $0.baseAddress!) }
                    return v
                }
                assertClose(inPlace(set) { $0.gelu($1, count: n) }, inPlace(portable) { $0.gelu($1, count: n) },
                            relative: 1e-6, "gelu \(label)")
                assertClose(inPlace(set) { $0.softmax($1, count: n) }, inPlace(portable) { $0.softmax($1, count: n) },
                            relative: 1e-5, "softmax \(label)")
                let gamma = random(n, seed: 3), beta = random(n, seed: 4)
                let norm: (Kernels, UnsafeMutablePointer<Float>) -> Void = {
                    $0.layerNorm($1, adding: y, bias: gamma, gamma: gamma, beta: beta, count: n, epsilon: 1e-12)
                }
                assertClose(inPlace(set, norm), inPlace(portable, norm), relative: 1e-5, "layerNorm \(label)")
                func rms(_ k: Kernels) -> [Float] {
                    var out = [Float](repeating: 0, count: n)
                    k.rmsNorm(x, weight: gamma, into: &out, rows: 1, dim: n, epsilon: 1e-5)
                    return out
                }
                assertClose(rms(set), rms(portable), relative: 1e-5, "rmsNorm \(label)")
                func swi(_ k: Kernels) -> [Float] {
                    var out = [Float](repeating: 0, count: n)
                    k.swiGLU(gate: x, up: y, into: &out, count: n)
                    return out
                }
                assertClose(swi(set), swi(portable), relative: 1e-5, "swiGLU \(label)")
            }
            if set != portable, let other = sets.first(where: { $0 != set && $0 != portable }) {
                for n in sizes {
                    let x = random(n, in: -8...8, seed: UInt64(n) &* 41), y = random(n, seed: UInt64(n) &* 43)
                    XCTAssertEqual(set.dot(x, y).bitPattern, other.dot(x, y).bitPattern, "\(set) vs \(other) dot n = \(n)")
                    XCTAssertEqual(set.erf(x).map(\.bitPattern), other.erf(x).map(\.bitPattern), "\(set) vs \(other) erf")
                    var a = x, b = x
                    _ = set.softmax(&a)
                    _ = other.softmax(&b)
                    XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), "\(set) vs \(other) softmax n = \(n)")
                }
            }
        }
    }

    func testHalvesWidenExactlyForEveryBitPattern() {
        let all = (0...UInt16.max).map { $0 }
        for set in sets {
            // From an odd address: tensor data in a file need not be 2-byte aligned.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: all.count * 2 + 1, alignment: 16)
            defer { raw.deallocate() }
            for (i, h) in all.enumerated() { raw.storeBytes(of: h, toByteOffset: 1 + 2 * i, as: UInt16.self) }
            var rows = [Float](repeating: 0, count: all.count)
            set.widenHalves(raw + 1, into: &rows, count: all.count)
            for h in all {
                let expected = Float(Float16(bitPattern: h))
                let scalar = Kernels.float(fromHalf: h), row = rows[Int(h)]
                if expected.isNaN {
                    XCTAssertTrue(scalar.isNaN && row.isNaN, "\(set) half 0x\(String(h, radix: 16))")
                } else {
                    XCTAssertEqual(scalar.bitPattern, expected.bitPattern, "half 0x\(String(h, radix: 16))")
                    XCTAssertEqual(row.bitPattern, expected.bitPattern, "\(set) half 0x\(String(h, radix: 16))")
                }
            }
        }
        XCTAssertEqual(Kernels.float(fromBFloat16: 0x3F80), 1)
        XCTAssertEqual(Kernels.float(fromBFloat16: 0xC040), -3)
    }

    func testL2NormalizedIsUnitAndKeepsZero() {
        let (unit, norm) = Kernels.l2Normalized([3, 4] as [Float])
        XCTAssertEqual(unit[0], 0.6, accuracy: 1e-7)
        XCTAssertEqual(unit[1], 0.8, accuracy: 1e-7)
        XCTAssertEqual(norm, 5)
        let (zero, zeroNorm) = Kernels.l2Normalized([0, 0, 0] as [Double])
        XCTAssertEqual(zero, [0, 0, 0])
        XCTAssertEqual(zeroNorm, 0)
        let v = random(384, seed: 11)
        let n = Kernels.l2Normalized(v).vector.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(n, 1, accuracy: 1e-6)
        // Components whose squares overflow Float still have a direction.
        XCTAssertEqual(Kernels.l2Normalized([1e30, 0] as [Float]).vector, [1, 0])
    }
}
