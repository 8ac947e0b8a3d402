import CKernels
import Kernels
import SeededRandom
import XCTest

/// The reduced-precision products against a double-precision oracle on random odd shapes, each variant against the
/// portable one, and the conversions' round trips.
final class PackedMatrixTests: XCTestCase {
    private struct Case {
        var rows: Int, outputs: Int, inputs: Int
        var x: [Float], w: [Float], y0: [Float]
    }

    /// Shapes with every kind of tail: partial panels (outputs % 16), partial groups (inputs % 4 and % 2), row counts
    /// that are not multiples of the 6-row tile, a single element.
    private func cases() -> [Case] {
        var generator = SplitMix64(seed: 20261203)
        var shapes = [(1, 1, 1), (1, 16, 4), (6, 64, 384), (7, 65, 131), (13, 17, 5), (2, 33, 2), (5, 48, 300), (12, 100, 77)]
        for _ in 0..<8 {
            shapes.append((Int.random(in: 1...20, using: &generator), Int.random(in: 1...90, using: &generator),
                           Int.random(in: 1...260, using: &generator)))
        }
        return shapes.map { rows, outputs, inputs in
            // Weights like a trained layer's (small, centred), activations with an offset and one outlier per row, as
            // LayerNorm outputs have.
            let w = (0..<outputs * inputs).map { _ in Float.random(in: -0.2...0.2, using: &generator) }
            var x = (0..<rows * inputs).map { _ in Float.random(in: -1...2, using: &generator) }
            for r in 0..<rows { x[r * inputs + Int.random(in: 0..<inputs, using: &generator)] = 9 }
            let y0 = (0..<rows * outputs).map { _ in Float.random(in: -1...1, using: &generator) }
            return Case(rows: rows, outputs: outputs, inputs: inputs, x: x, w: w, y0: y0)
        }
    }

    private func product(_ c: Case, format: PackedMatrix.Format, kernel: PackedMatrix.Kernel, workers: Int = 1) -> [Float] {
        let matrix = PackedMatrix(c.w, outputs: c.outputs, inputs: c.inputs, format: format, kernel: kernel)
        var y = c.y0
        c.x.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { y in
                matrix.multiplyAdd(x.baseAddress!, rows: c.rows, xStride: c.inputs, into: y.baseAddress!,
                                   yStride: c.outputs, scratch: PackedMatrix.Activations(), workers: workers)
            }
        }
        return y
    }

    /// Every variant stays within the error its rounding allows of y0 + x·Wᵀ in double precision: for int8, per term
    /// |x|·Δw/2 + |w|·Δx/2 + Δx·Δw/4 (Δ the step of the channel's and the row's codes); for bf16, per term
    /// |x·w|·(2·2⁻⁸ + 2⁻¹⁶) (two roundings to 8 significant bits); for f32 nothing — plus float32 accumulation.
    func testEveryVariantIsWithinItsRoundingOfTheExactProduct() {
        for format in PackedMatrix.Format.allCases {
            for kernel in PackedMatrix.Kernel.supported(format) {
                for c in cases() {
                    let y = product(c, format: format, kernel: kernel)
                    for r in 0..<c.rows {
                        let row = c.x[(r * c.inputs)..<((r + 1) * c.inputs)]
                        let low = min(0, row.min()!), high = max(0, row.max()!)
                        let rowStep = Double(high - low) / 255
                        for o in 0..<c.outputs {
                            let weights = c.w[(o * c.inputs)..<((o + 1) * c.inputs)]
                            let weightStep = Double(weights.map(abs).max()!) / 127
                            var exact = Double(c.y0[r * c.outputs + o]), bound = 0.0, magnitude = 0.0
                            for (xi, wi) in zip(row, weights) {
                                exact += Double(xi) * Double(wi)
                                magnitude += abs(Double(xi) * Double(wi))
                                switch format {
                                case .int8: bound += abs(Double(xi)) * weightStep / 2 + abs(Double(wi)) * rowStep / 2 + rowStep * weightStep / 4
                                case .bf16: bound += abs(Double(xi) * Double(wi)) * (2.0 / 256 + 1.0 / 65536)
                                case .f32: break
                                }
                            }
                            bound += (magnitude + abs(exact)) * 1e-6 + 1e-6
                            let error = abs(Double(y[r * c.outputs + o]) - exact)
                            XCTAssertLessThanOrEqual(error, bound, "\(format) \(kernel) \(c.rows)×\(c.outputs)×\(c.inputs) at [\(r), \(o)]")
                        }
                    }
                }
            }
        }
    }

    /// int8 accumulates exactly and both variants finish with the same float operations: equal bit for bit. bf16 and
    /// f32 sum in another order: within float32 rounding of the terms' magnitude.
    func testEveryVariantAgreesWithPortableAndWorkersDoNotChangeResults() {
        for format in PackedMatrix.Format.allCases {
            let variants = PackedMatrix.Kernel.supported(format)
            XCTAssertEqual(variants.last?.name, "portable")
            for c in cases() {
                let oracle = product(c, format: format, kernel: variants.last!)
                for kernel in variants {
                    let y = product(c, format: format, kernel: kernel)
                    XCTAssertEqual(product(c, format: format, kernel: kernel, workers: 3), y, "\(kernel) with 3 workers")
                    for i in y.indices {
                        let r = i / c.outputs, o = i % c.outputs
                        let magnitude = zip(c.x[(r * c.inputs)..<((r + 1) * c.inputs)], c.w[(o * c.inputs)..<((o + 1) * c.inputs)])
                            .reduce(Float(0)) { $0 + abs($1.0 * $1.1) }
                        let tolerance: Float = format == .int8 ? 0 : (magnitude + abs(c.y0[i])) * 1e-5
                        XCTAssertLessThanOrEqual(abs(y[i] - oracle[i]), tolerance, "\(format) \(kernel) at \(i)")
                    }
                }
            }
        }
    }

    /// Codes decode to within half a step: weights per channel (|w − code·scale| ≤ scale/2, codes in −127…127, the
    /// channel's sum of codes stored), activations per row (|x − scale·(code − zero)| ≤ scale/2 for every variant,
    /// all variants giving the same codes).
    func testInt8QuantisationRoundTrips() {
        for c in cases() {
            let panels = (c.outputs + 15) / 16, groups = (c.inputs + 3) / 4
            var packed = [Int8](repeating: 0, count: panels * 16 * groups * 4)
            var scale = [Float](repeating: 0, count: panels * 16), sum = [Int32](repeating: 0, count: panels * 16)
            vecdb_pack_int8_weights(c.w, c.outputs, c.inputs, &packed, &scale, &sum)
            for o in 0..<c.outputs {
                var total: Int32 = 0
                for i in 0..<c.inputs {
                    let code = packed[(o / 16) * 16 * groups * 4 + (i / 4) * 64 + (o % 16) * 4 + i % 4]
                    XCTAssertGreaterThanOrEqual(code, -127)
                    XCTAssertLessThanOrEqual(abs(c.w[o * c.inputs + i] - Float(code) * scale[o]), scale[o] / 2 * 1.0001)
                    total += Int32(code)
                }
                XCTAssertEqual(sum[o], total)
            }
            var codes: [[UInt8]] = []
            for index in 0..<vecdb_packed_gemm_kernel_count
            where vecdb_packed_gemm_kernel_supported(index) && vecdb_packed_gemm_kernel_at(index).pointee.format == VECDB_PACKED_INT8 {
                var q = [UInt8](repeating: 0, count: c.rows * groups * 4)
                var rowScale = [Float](repeating: 0, count: c.rows), zero = [Int32](repeating: 0, count: c.rows)
                vecdb_packed_gemm_kernel_at(index).pointee.convert!(c.x, c.rows, c.inputs, c.inputs, &q, groups * 4, &rowScale, &zero)
                for r in 0..<c.rows {
                    for i in 0..<c.inputs {
                        let decoded = rowScale[r] * Float(Int32(q[r * groups * 4 + i]) - zero[r])
                        XCTAssertLessThanOrEqual(abs(c.x[r * c.inputs + i] - decoded), rowScale[r] / 2 * 1.0001 + 1e-7)
                    }
                    for i in c.inputs..<(groups * 4) { XCTAssertEqual(Int32(q[r * groups * 4 + i]), zero[r], "padding") }
                }
                codes.append(q)
            }
            XCTAssertTrue(codes.allSatisfy { $0 == codes[0] }, "variants quantise alike")
        }
    }

    /// bf16 rounding is to nearest even: 1 + 2⁻⁸ (a tie) rounds down to 1, 1 + 3·2⁻⁸ up to 1 + 2⁻⁶.
    func testBF16RoundsToNearestEven() {
        let w: [Float] = [1 + 1 / 256, 1 + 3 / 256, -2, 0.1]
        var packed = [UInt16](repeating: 0, count: 16 * 2 * 2)
        vecdb_pack_bf16_weights(w, 1, 4, &packed)
        let decoded = [packed[0], packed[1], packed[32], packed[33]].map { Float(bitPattern: UInt32($0) << 16) }
        XCTAssertEqual(decoded, [1, 1 + 1 / 64, -2, Float(bitPattern: 0x3dcd_0000)])
    }
}
