import BLAS
@testable import Embedder
import Foundation
import TestSupport
import XCTest

/// The packed, multi-threaded forward pass: how sequences are split among threads, and that the split changes
/// nothing in the result.
final class LlamaPackingTests: XCTestCase {
    func testSplitIsContiguousCoveringAndBalanced() {
        XCTAssertEqual(LlamaModel.split(lengths: [47], into: 2), [0..<1])
        XCTAssertEqual(LlamaModel.split(lengths: [5, 5], into: 1), [0..<2])
        XCTAssertEqual(LlamaModel.split(lengths: Array(repeating: 47, count: 16), into: 2), [0..<8, 8..<16])
        XCTAssertEqual(LlamaModel.split(lengths: [100, 1, 1, 1], into: 2), [0..<1, 1..<4])
        XCTAssertEqual(LlamaModel.split(lengths: [1, 1, 1, 100], into: 2), [0..<3, 3..<4])
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let n = Int.random(in: 1...20, using: &rng), parts = Int.random(in: 1...5, using: &rng)
            let lengths = (0..<n).map { _ in Int.random(in: 1...60, using: &rng) }
            let ranges = LlamaModel.split(lengths: lengths, into: parts)
            XCTAssertEqual(ranges.count, min(n, parts))
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, n)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            XCTAssertTrue(ranges.allSatisfy { !$0.isEmpty })
        }
    }

    /// One thread (one packed group, OpenBLAS single-threaded) and two threads (two groups on two threads)
    /// give the same states, and OpenBLAS's thread count is restored after the call.
    func testThreadsDoNotChangeStates() throws {
        let blas = try BLAS.shared()
        let before = blas.kernel.threads
        defer { blas.setThreads(before) }
        let model = try LlamaModel(ggufFile: LlamaTestSupport.smolLM2URL())
        var rng = SplitMix64(seed: 3)
        let batch: [[Int32]] = [5, 47, 1, 30, 12, 160, 2].map { n in
            (0..<n).map { _ in Int32.random(in: 0..<Int32(model.config.vocabSize), using: &rng) }
        }
        blas.setThreads(1)
        let one = try model.forward(batch)
        blas.setThreads(2)
        let two = try model.forward(batch)
        XCTAssertEqual(blas.kernel.threads, 2)
        XCTAssertEqual(one.paddedLength, 160)
        XCTAssertEqual(two.lengths, batch.map(\.count))
        for b in 0..<batch.count {
            for t in [0, batch[b].count - 1] {
                XCTAssertGreaterThanOrEqual(LlamaTestSupport.cosine(one.state(sequence: b, position: t),
                                                                    two.state(sequence: b, position: t)), 0.99999)
            }
            XCTAssertGreaterThanOrEqual(LlamaTestSupport.cosine(one.mean(sequence: b), two.mean(sequence: b)), 0.99999)
            // Alone, as the first sequence of its own pass.
            let alone = try model.forward([batch[b]])
            XCTAssertGreaterThanOrEqual(LlamaTestSupport.cosine(alone.lastToken(sequence: 0), two.lastToken(sequence: b)), 0.99999)
        }
    }
}
