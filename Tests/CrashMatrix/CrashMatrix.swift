import Foundation
import TestSupport
import VecDB

/// SIGKILLs `vecdb` at random moments during an operation and checks what survives: `vecdb check` passes, the
/// database is exactly one of the operation's committed states, at least as far as the output reported before the
/// kill (every reported commit is there, no partial batch is), and every stored vector equals the one an
/// uninterrupted run stores for that document.
public final class CrashMatrix {
    /// What the trials of one scenario found.
    public struct Result: Sendable {
        public var scenario: String
        public var trials = 0
        /// Trials killed while a command ran (the rest finished before their kill time).
        public var killed = 0
        /// Killed trials that had reported at least one committed unit, and had not finished.
        public var killedMidway = 0
        /// How many trials ended in each state (units committed).
        public var statesSeen: [Int: Int] = [:]
        /// Seconds an uninterrupted run of the commands takes (the latest median): kill times are drawn from 0…1.1× it.
        public var uninterruptedSeconds = 0.0
        public var failures: [String] = []
    }

    let vecdb: String
    let folder: String
    private var generator: SplitMix64

    /// `vecdb` is the executable under test; `folder` (created, and emptied of trial databases as it goes) holds
    /// inputs and databases; `seed` fixes the kill times' draw.
    public init(vecdb: String, folder: String, seed: UInt64) throws {
        self.vecdb = vecdb
        self.folder = folder
        generator = SplitMix64(seed: seed)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// The four scenarios with inputs of `sizes`, their files written into the folder.
    public func scenarios(_ sizes: ScenarioSizes) throws -> [Scenario] {
        [try .ingest(in: folder, sizes: sizes), try .multiModel(in: folder, sizes: sizes),
         try .delete(in: folder, sizes: sizes), try .rebuild(in: folder, sizes: sizes)]
    }

    /// Runs `trials` killed runs of `scenario`; `progress` hears one line per trial.
    public func run(_ scenario: Scenario, trials: Int, progress: (String) -> Void = { _ in }) throws -> Result {
        var result = Result(scenario: scenario.name)
        let slug = scenario.name.replacingOccurrences(of: " ", with: "-")
        let base = folder + "/\(slug)-base"
        try? FileManager.default.removeItem(atPath: base)
        for command in scenario.setup {
            let outcome = try ChildProcess.run(vecdb, command.arguments + ["--db", base])
            guard outcome.status == 0 else { throw MatrixFailure("\(scenario.name) setup failed: \(outcome.stderr)") }
        }
        // Uninterrupted runs: the median of the last three sets the kill window, and one more every ten trials keeps
        // it current on a machine whose load changes; the first run's vectors are the reference.
        let reference = folder + "/\(slug)-reference"
        var durations: [Double] = []
        func measure() throws {
            try? FileManager.default.removeItem(atPath: reference)
            let started = Date()
            let complete = try runCommands(scenario, base: base, into: reference, deadline: .distantFuture)
            durations.append(Date().timeIntervalSince(started))
            guard complete.units == scenario.states.count - 1, complete.failure == nil else {
                throw MatrixFailure("\(scenario.name): the uninterrupted run reported \(complete.units) of \(scenario.states.count - 1) units: "
                    + (complete.failure ?? ""))
            }
            result.uninterruptedSeconds = durations.suffix(3).sorted()[durations.suffix(3).count / 2]
        }
        try measure()
        let referenceVectors = try storedVectors(scenario.setup.isEmpty ? reference : base, scenario: scenario)
        try measure()
        try measure()

        for trial in 0..<trials {
            if trial > 0 && trial % 10 == 0 { try measure() }
            let db = folder + "/\(slug)-trial"
            try? FileManager.default.removeItem(atPath: db)
            let killAfter = generator.unit() * 1.1 * result.uninterruptedSeconds
            let run = try runCommands(scenario, base: base, into: db, deadline: Date().addingTimeInterval(killAfter))
            result.trials += 1
            if run.killed { result.killed += 1 }
            if run.killed && run.units > 0 { result.killedMidway += 1 }
            var failure = run.failure
            var state: Int?
            if failure == nil {
                do {
                    state = try verify(db, scenario: scenario, reported: run.units, reference: referenceVectors)
                } catch {
                    failure = "\(error)"
                }
            }
            if let state { result.statesSeen[state, default: 0] += 1 }
            let line = "\(scenario.name) trial \(trial): kill after \(String(format: "%.3f", killAfter)) s, "
                + (run.killed ? "killed" : "finished") + ", \(run.units) units reported, "
                + (failure.map { "FAILED: \($0)" } ?? "state \(state!)")
            if failure != nil { result.failures.append(line) }
            progress(line)
        }
        return result
    }

    /// Runs the scenario's commands in order on a copy of `base` (or no database) in `db`, killing whatever runs at
    /// `deadline`. Returns the units the output reported committed, and a failure if a command failed on its own.
    private func runCommands(_ scenario: Scenario, base: String, into db: String, deadline: Date)
        throws -> (units: Int, killed: Bool, failure: String?) {
        if !scenario.setup.isEmpty {
            try FileManager.default.createDirectory(atPath: db, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try FileManager.default.copyItem(atPath: base + "/data.mdb", toPath: db + "/data.mdb")
        }
        var units = 0
        for command in scenario.commands {
            let outcome = try ChildProcess.run(vecdb, command.arguments + ["--db", db], killAt: deadline)
            if command.reportsCommits {
                units += outcome.stdout.split(separator: "\n").filter { $0.contains(#""event":"commit""#) }.count
            } else if outcome.status == 0 && !outcome.killed {
                units += 1
            }
            if outcome.killed { return (units, true, nil) }
            guard outcome.status == 0 else {
                return (units, false, "\(command.arguments.prefix(2).joined(separator: " ")) exited \(outcome.status): \(outcome.stderr)")
            }
        }
        return (units, false, nil)
    }

    /// Checks a trial's database and returns the state it is in; throws naming what is wrong.
    private func verify(_ db: String, scenario: Scenario, reported: Int, reference: [String: [UInt64: [Float]]]) throws -> Int {
        let check = FileManager.default.fileExists(atPath: db + "/data.mdb") ? try ChildProcess.run(vecdb, ["check", "--db", db]) : nil
        // Killed before the database's creation committed: there is no database, only acceptable if nothing was
        // reported and nothing expected.
        guard let check, !check.stderr.contains("no vecdb database at") else {
            guard reported == 0, scenario.states[0] == StoredState() else {
                throw MatrixFailure("no database, though \(reported) units were reported")
            }
            return 0
        }
        guard check.status == 0 else { throw MatrixFailure("vecdb check: \(check.stderr.trimmingCharacters(in: .newlines))") }
        let database = try VectorDatabase(path: db, create: false, readOnly: true)
        let (state, vectors) = try StoredState.read(database, ids: scenario.idBound)
        guard let matched = scenario.states.indices.first(where: { $0 >= reported && scenario.states[$0] == state }) else {
            let earlier = scenario.states.indices.first { scenario.states[$0] == state }
            throw MatrixFailure("the database (\(state)) is " + (earlier.map { "state \($0), before the \(reported) reported units" }
                ?? "no committed state: a partial unit"))
        }
        for (collection, byID) in vectors {
            for (id, vector) in byID {
                guard let expected = reference[collection]?[id], expected.count == vector.count else {
                    throw MatrixFailure("'\(collection)' document \(id): no reference vector of that length")
                }
                let dot = zip(expected, vector).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                guard dot > 0.9999 else { throw MatrixFailure("'\(collection)' document \(id): vector differs (cosine \(dot))") }
            }
        }
        return matched
    }

    /// Every vector of every collection in the database at `path`.
    private func storedVectors(_ path: String, scenario: Scenario) throws -> [String: [UInt64: [Float]]] {
        try StoredState.read(try VectorDatabase(path: path, create: false, readOnly: true), ids: scenario.idBound).vectors
    }
}
