import CrashMatrix
import XCTest

/// The crash matrix's CI-sized subset: a few SIGKILLed runs of each operation, every database verified afterwards
/// (the full matrix: `crash-matrix`, results in docs/RELIABILITY.md).
final class CrashMatrixTests: XCTestCase {
    func testKilledOperationsLeaveExactlyACommittedState() throws {
        let folder = try temporaryFolder(self)
        let matrix = try CrashMatrix(vecdb: CLI.executable.path, folder: folder.path, seed: 7)
        var killed = 0
        for (scenario, trials) in zip(try matrix.scenarios(.ci), [4, 2, 4, 4]) {
            let result = try matrix.run(scenario, trials: trials)
            XCTAssertEqual(result.trials, trials, scenario.name)
            XCTAssertEqual(result.failures, [], scenario.name)
            killed += result.killed
        }
        // Kill times fall within 1.1× an uninterrupted run: most trials must really be interrupted.
        XCTAssertGreaterThanOrEqual(killed, 8)
    }
}
