import Foundation
import TestSupport

/// One operation of the crash matrix: the commands a trial runs against its own database, and every state the
/// database may be in after a kill — one per number of committed units (a batch, or a whole command), in order.
public struct Scenario: Sendable {
    /// One `vecdb` command; `--db FOLDER` is appended.
    struct Command: Sendable {
        var arguments: [String]
        /// An ingest run with `--progress json`: each commit event is one unit. Otherwise the command is one unit,
        /// committed when it exits 0.
        var reportsCommits: Bool
    }

    public let name: String
    let commands: [Command]
    /// Expected state after `u` committed units is `states[u]`; the last is the state after every command.
    let states: [StoredState]
    /// Commands that build the database each trial starts from (run once, then copied), or none.
    let setup: [Command]

    /// Largest document id any state holds, plus one.
    var idBound: UInt64 { (states.flatMap { $0.documents.keys }.max() ?? 0) + 1 }
}

/// The sizes of the four operations' inputs; the CI subset uses smaller ones than the full matrix.
public struct ScenarioSizes: Sendable {
    /// (a) Lines ingested and batch size.
    public let ingestLines: Int
    public let ingestBatch: Int
    /// (b) Lines ingested with minilm, then with smollm2 (two poolings, overlapping the first half), batch size.
    public let multiLines: Int
    public let multiBatch: Int
    /// (c) Documents in the database, deleted per command, delete commands.
    public let deleteBase: Int
    public let deletePerCommand: Int
    public let deleteCommands: Int
    /// (d) Documents whose index is rebuilt.
    public let rebuildBase: Int

    public static let full = ScenarioSizes(ingestLines: 600, ingestBatch: 40, multiLines: 24, multiBatch: 6,
                                           deleteBase: 1_500, deletePerCommand: 100, deleteCommands: 4, rebuildBase: 3_000)
    public static let ci = ScenarioSizes(ingestLines: 160, ingestBatch: 20, multiLines: 8, multiBatch: 4,
                                         deleteBase: 300, deletePerCommand: 30, deleteCommands: 3, rebuildBase: 600)
}

extension Scenario {
    /// Writes `lines` to `folder/name` and returns its path.
    private static func file(_ folder: String, _ name: String, _ lines: ArraySlice<String>) throws -> String {
        let path = folder + "/" + name
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private static func ingest(_ file: String, batch: Int, _ extra: [String] = []) -> Command {
        Command(arguments: ["ingest", file, "--progress", "json", "--batch-size", "\(batch)"] + extra, reportsCommits: true)
    }

    /// The states of ingesting `lines` in batches of `batch` on top of `start`: documents get the next ids in order
    /// (the lines are distinct) unless `start` already holds the text; each gets a vector in `collections`.
    private static func ingestStates(_ start: StoredState, _ lines: [String], batch: Int, collections: [String]) -> [StoredState] {
        var states = [start]
        var state = start
        var byText = Dictionary(start.documents.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        var nextID = (start.documents.keys.max() ?? 0) + (start.documents.isEmpty ? 0 : 1)
        for (offset, line) in lines.enumerated() {
            let id = byText[line] ?? nextID
            if byText[line] == nil {
                byText[line] = id
                nextID += 1
            }
            state.documents[id] = line
            for collection in collections {
                state.vectors[collection, default: []].insert(id)
                state.indexM[collection] = 16
            }
            if (offset + 1) % batch == 0 || offset == lines.count - 1 { states.append(state) }
        }
        return states
    }

    /// (a) Ingest with minilm into a new database.
    static func ingest(in folder: String, sizes: ScenarioSizes) throws -> Scenario {
        let lines = syntheticSentences(sizes.ingestLines, seed: 101)
        let input = try file(folder, "ingest.txt", lines[...])
        return Scenario(name: "ingest", commands: [ingest(input, batch: sizes.ingestBatch)],
                        states: ingestStates(StoredState(), lines, batch: sizes.ingestBatch, collections: ["minilm"]),
                        setup: [])
    }

    /// (b) Multi-model ingest into a new database: minilm, then SmolLM2 with two poolings (collections `smollm2` and
    /// `smollm2:mean:chat`, from one forward pass) over a file whose first half the minilm ingest already stored.
    static func multiModel(in folder: String, sizes: ScenarioSizes) throws -> Scenario {
        let lines = syntheticSentences(sizes.multiLines * 3 / 2, seed: 202, words: 3)
        let first = Array(lines[..<sizes.multiLines]), second = Array(lines[(sizes.multiLines / 2)...])
        let minilm = try file(folder, "multi-minilm.txt", first[...])
        let smollm2 = try file(folder, "multi-smollm2.txt", second[...])
        let afterMinilm = ingestStates(StoredState(), first, batch: sizes.multiBatch, collections: ["minilm"])
        let afterSmollm2 = ingestStates(afterMinilm.last!, second, batch: sizes.multiBatch,
                                        collections: ["smollm2", "smollm2:mean:chat"])
        return Scenario(
            name: "multi-model ingest",
            commands: [ingest(minilm, batch: sizes.multiBatch),
                       ingest(smollm2, batch: sizes.multiBatch, ["--model", "smollm2", "--pooling", "last,mean"])],
            states: afterMinilm + afterSmollm2.dropFirst(), setup: [])
    }

    /// (c) Deletes, several commands of many ids each (each command one transaction), from an ingested database.
    static func delete(in folder: String, sizes: ScenarioSizes) throws -> Scenario {
        let lines = syntheticSentences(sizes.deleteBase, seed: 303)
        let input = try file(folder, "delete-base.txt", lines[...])
        let base = ingestStates(StoredState(), lines, batch: lines.count, collections: ["minilm"]).last!
        var generator = SplitMix64(seed: 304)
        let doomed = Array((0..<UInt64(lines.count)).shuffled(using: &generator).prefix(sizes.deletePerCommand * sizes.deleteCommands))
        var states = [base]
        var commands: [Command] = []
        for chunk in stride(from: 0, to: doomed.count, by: sizes.deletePerCommand).map({ doomed[$0..<$0 + sizes.deletePerCommand] }) {
            commands.append(Command(arguments: ["delete"] + chunk.map(String.init), reportsCommits: false))
            var state = states.last!
            for id in chunk {
                state.documents[id] = nil
                state.vectors["minilm"]!.remove(id)
            }
            states.append(state)
        }
        return Scenario(name: "delete", commands: commands, states: states,
                        setup: [ingest(input, batch: 500)])
    }

    /// (d) `index rebuild` with other parameters (M 8, efConstruction 200) over an ingested database.
    static func rebuild(in folder: String, sizes: ScenarioSizes) throws -> Scenario {
        let lines = syntheticSentences(sizes.rebuildBase, seed: 404)
        let input = try file(folder, "rebuild-base.txt", lines[...])
        let base = ingestStates(StoredState(), lines, batch: lines.count, collections: ["minilm"]).last!
        var rebuilt = base
        rebuilt.indexM["minilm"] = 8
        return Scenario(name: "index rebuild",
                        commands: [Command(arguments: ["index", "rebuild", "--m", "8", "--ef-construction", "200"], reportsCommits: false)],
                        states: [base, rebuilt], setup: [ingest(input, batch: 500)])
    }
}
