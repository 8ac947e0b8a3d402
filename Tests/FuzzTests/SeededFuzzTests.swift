import Foundation
import Fuzzing
import TestSupport
import XCTest

/// A CI-sized slice of `vecdb-fuzz`: the same seeds, mutator and invariants, a fixed seed and a fixed number of
/// inputs per target, so a failure reproduces exactly. (A crash ends the test process, which fails the run.)
final class SeededFuzzTests: XCTestCase {
    /// bench/fuzz's targets read the EmbedderTests fixtures from the checkout.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    nonisolated(unsafe) static var shared: FuzzContext?

    private func context() throws -> FuzzContext {
        if let shared = Self.shared { return shared }
        let made = try FuzzContext(repository: Self.repository)
        Self.shared = made
        return made
    }

    /// Runs `count` mutants of the target's seeds; every one must be accepted or rejected with a one-line error
    /// within `limit` seconds, and both outcomes must occur (or the mutator is not reaching the parser).
    private func fuzz(_ target: FuzzTarget, count: Int, seed: UInt64, limit: Double = 2,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let context = try context()
        let seeds = try SeedCorpus.seeds(for: target, context: context)
        for s in seeds { XCTAssertEqual(try target.run(s, in: context), .accepted, "seed", file: file, line: line) }
        var mutator = ByteMutator(seed: seed)
        var accepted = 0, rejected = 0, slowest = 0.0
        for i in 0..<count {
            let input = mutator.mutate(seeds[i % seeds.count], other: seeds[(i / seeds.count) % seeds.count])
            let start = Date()
            let outcome: FuzzTarget.Outcome
            do {
                outcome = try target.run(input, in: context)
            } catch {
                XCTFail("input \(i) (seed \(seed)): \(error)", file: file, line: line)
                return
            }
            slowest = max(slowest, Date().timeIntervalSince(start))
            if outcome == .accepted { accepted += 1 } else { rejected += 1 }
        }
        XCTAssertLessThan(slowest, limit, "slowest input", file: file, line: line)
        if target == .wordPiece || target == .bpe {
            XCTAssertEqual(rejected, 0, "tokenizers take any text", file: file, line: line)
        } else {
            XCTAssertGreaterThan(accepted, 0, "no mutant parsed", file: file, line: line)
            XCTAssertGreaterThan(rejected, 0, "no mutant was rejected", file: file, line: line)
        }
    }

    func testSafetensors() throws { try fuzz(.safetensors, count: 3000, seed: 1) }
    func testGGUF() throws { try fuzz(.gguf, count: 2000, seed: 2) }
    func testBPETokenizerJSON() throws { try fuzz(.bpeJSON, count: 1000, seed: 3) }
    func testWordPieceTokenizerJSON() throws { try fuzz(.wordPieceJSON, count: 1000, seed: 4) }
    func testJSONLines() throws { try fuzz(.jsonl, count: 3000, seed: 5) }
    func testWordPieceText() throws { try fuzz(.wordPiece, count: 3000, seed: 6) }
    func testBPEText() throws { try fuzz(.bpe, count: 3000, seed: 7) }
}
