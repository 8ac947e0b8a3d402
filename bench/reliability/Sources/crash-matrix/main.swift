// crash-matrix: SIGKILLs vecdb at random moments during ingest, multi-model ingest (minilm + SmolLM2), delete and
// index rebuild, and verifies every database afterwards (CrashMatrix). Prints one line per trial, then a Markdown
// table for docs/RELIABILITY.md; exits 1 when any trial failed.
//
//   crash-matrix [--vecdb PATH] [--trials INGEST,MULTI,DELETE,REBUILD] [--seed N] [--folder DIR] [--ci]
//
// Defaults: .build/release/vecdb, 80,40,50,40 trials, seed 1, a temporary folder, the full-size inputs
// (--ci: the smaller inputs of the XCTest subset).
import CrashMatrix
import Foundation

var options: [String: String] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let name = arguments.popFirst() {
    if name == "--ci" { options[name] = "" } else if let value = arguments.popFirst() { options[name] = value }
}
let vecdb = options["--vecdb"] ?? ".build/release/vecdb"
let trials = (options["--trials"] ?? "80,40,50,40").split(separator: ",").compactMap { Int($0) }
let seed = UInt64(options["--seed"] ?? "1") ?? 1
let folder = options["--folder"] ?? NSTemporaryDirectory() + "vecdb-crash-matrix-\(getpid())"
guard trials.count == 4, FileManager.default.isExecutableFile(atPath: vecdb) else {
    FileHandle.standardError.write(Data("usage: crash-matrix [--vecdb PATH] [--trials A,B,C,D] [--seed N] [--folder DIR] [--ci]\n".utf8))
    exit(2)
}

let matrix = try CrashMatrix(vecdb: vecdb, folder: folder, seed: seed)
let started = Date()
var results: [CrashMatrix.Result] = []
for (scenario, count) in zip(try matrix.scenarios(options["--ci"] == nil ? .full : .ci), trials) where count > 0 {
    // Unbuffered, so a long run can be followed in its log.
    results.append(try matrix.run(scenario, trials: count) { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) })
}
try? FileManager.default.removeItem(atPath: folder)

print("\n| operation | trials | killed mid-command | killed after ≥ 1 reported commit | uninterrupted run | states reached (units committed: trials) | failures |")
print("|---|---:|---:|---:|---:|---|---:|")
for r in results {
    let states = r.statesSeen.keys.sorted().map { "\($0): \(r.statesSeen[$0]!)" }.joined(separator: ", ")
    print("| \(r.scenario) | \(r.trials) | \(r.killed) | \(r.killedMidway) | \(String(format: "%.1f", r.uninterruptedSeconds)) s | \(states) | \(r.failures.count) |")
}
let failures = results.flatMap(\.failures)
print("\n\(results.map(\.trials).reduce(0, +)) trials, \(failures.count) failures, \(Int(Date().timeIntervalSince(started))) s (seed \(seed))")
for failure in failures { print(failure) }
exit(failures.isEmpty ? 0 : 1)
