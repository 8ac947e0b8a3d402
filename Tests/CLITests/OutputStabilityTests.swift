import Foundation
import XCTest

/// Issue 12's must-show: the outputs of `query`, `info --json`, `eval --json`, `compare --json` (and of ingest,
/// check, delete, tokenize, embed) on examples/answers.txt, a JSONL file and the committed SciFact subset are those
/// recorded from vecdb at c499e69, before the redesign (Tests/Golden/outputs/record.sh says how, and what is normalised).
///
/// `VECDB_GOLDEN_BINARY=/path/to/vecdb` runs another binary instead of the one SwiftPM built (the recorded one
/// passes). Needs the minilm and smollm2 models (`vecdb models pull minilm smollm2`, or `$VECDB_MODELS`).
final class OutputStabilityTests: XCTestCase {
    let golden = Golden.fixtures.appendingPathComponent("outputs")

    func testOutputsAreThoseRecordedBeforeTheRedesign() throws {
        let scratch = try temporaryFolder(self)
        try Golden.copy(Golden.repository.appendingPathComponent("examples/answers.txt"), to: scratch.appendingPathComponent("answers.txt"))
        try Golden.copy(golden.appendingPathComponent("notes.jsonl"), to: scratch.appendingPathComponent("notes.jsonl"))
        try Golden.copy(Golden.repository.appendingPathComponent("Tests/VecDBTests/Fixtures/eval/scifact-mini"),
                        to: scratch.appendingPathComponent("scifact-mini"))
        let expected = golden.appendingPathComponent("expected")
        let recordedInputs = try String(contentsOf: expected.appendingPathComponent("inputs.sha256"), encoding: .utf8)
        let inputs = recordedInputs.split(separator: "\n").compactMap { $0.split(separator: " ").last.map(String.init) }
        XCTAssertEqual(inputs.count, 5)
        XCTAssertEqual(try Golden.sha256sums(inputs, in: scratch), recordedInputs,
                       "an input changed since the outputs were recorded: re-record with record.sh and the old binary")

        let steps = try Golden.steps(golden.appendingPathComponent("steps.tsv"))
        XCTAssertGreaterThanOrEqual(steps.count, 30)
        let started = Date()
        let problems = try Golden.runAndCompare(steps, cli: Golden.cli(), scratch: scratch, expected: expected)
        XCTAssertTrue(problems.isEmpty, "\(problems.count) differences from the recorded outputs:\n" + problems.joined(separator: "\n"))
        print("output stability: \(steps.count) steps in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    /// The comparison itself: what it tolerates and what it catches (no binary needed).
    func testComparisonToleratesNoiseButNotChanges() throws {
        let recorded = #"{"results":[{"id":1,"score":0.79023569},{"id":0,"score":0.1592},{"id":2,"score":0.159195}],"snapshot":4,"seconds":0.5,"blas":{"core":"Cooperlake"}}"#
        let noisy = #"{"results":[{"id":1,"score":0.79023601},{"id":2,"score":0.159196},{"id":0,"score":0.1592}],"snapshot":9,"seconds":7.1,"blas":{"core":"Haswell"}}"#
        XCTAssertEqual(Golden.compareOutput(recorded, noisy), [], "kernel noise, a near-tie swap, another snapshot, timing, kernel")
        let rescored = recorded.replacingOccurrences(of: "0.79023569", with: "0.7904")
        XCTAssertEqual(Golden.compareOutput(recorded, rescored).count, 1)
        let reordered = #"{"results":[{"id":0,"score":0.1592},{"id":1,"score":0.79023569},{"id":2,"score":0.159195}],"snapshot":4,"seconds":0.5,"blas":{"core":"Cooperlake"}}"#
        XCTAssertTrue(Golden.compareOutput(recorded, reordered).first?.contains("ranking differs at position 1") ?? false)
        XCTAssertEqual(Golden.compareOutput(recorded, recorded.replacingOccurrences(of: "\"snapshot\":4", with: "\"snapshot\":\"4\"")).count, 1)
        XCTAssertEqual(Golden.compareOutput(recorded, recorded.replacingOccurrences(of: "\"core\"", with: "\"kernel\"")).count, 1)

        XCTAssertNil(Golden.compareTextLine(" 1. 0.7902  #1  GPU", " 1. 0.7903  #1  GPU"), "%.4f may round the other way")
        XCTAssertNotNil(Golden.compareTextLine(" 1. 0.7902  #1  GPU", " 1. 0.7905  #1  GPU"))
        XCTAssertNotNil(Golden.compareTextLine(" 1. 0.7902  #1  GPU", " 1. 0.7902  #2  GPU"))
        XCTAssertNotNil(Golden.compareTextLine("collection minilm: 8 vectors", "collection minilm: 9 vectors"))
        XCTAssertNil(Golden.compareTextLine("disk       10383360 bytes used", "disk       40960 bytes used"))

        let run = "1 Q0 a 1 0.50000 m\n1 Q0 b 2 0.499995 m\n1 Q0 c 3 0.3 m\n"
        XCTAssertEqual(Golden.compareTRECRun(run, "1 Q0 b 1 0.499996 m\n1 Q0 a 2 0.50000 m\n1 Q0 c 3 0.3 m\n"), [])
        XCTAssertEqual(Golden.compareTRECRun(run, "1 Q0 a 1 0.50000 m\n1 Q0 c 2 0.3 m\n1 Q0 b 3 0.499995 m\n").count, 1)
    }
}
