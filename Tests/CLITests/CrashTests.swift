import Foundation
import TestSupport
import VecDB
import XCTest

/// SIGKILL during ingest: afterwards the database opens, `vecdb check` passes, every batch reported committed is
/// there in full, and no batch is there in part.
final class CrashTests: XCTestCase {
    private let cli = CLI()

    func testKilledIngestLosesNoCommittedBatch() throws {
        let folder = try temporaryFolder(self)
        let lines = syntheticSentences(20_000, seed: 7)
        let input = folder.appendingPathComponent("notes.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let batch = 200
        var trialsAfterACommit = 0
        var generator = SplitMix64(seed: 2024)
        for trial in 0..<8 {
            let db = folder.appendingPathComponent("db\(trial)").path
            let (process, stdout, _) = try cli.start(["ingest", input.path, "--db", db, "--progress", "json",
                                                      "--batch-size", "\(batch)"])
            // Even trials wait for 1–3 reported commits, odd ones kill at a random moment (maybe before any commit).
            let commitsToWait = trial % 2 == 0 ? 1 + Int(generator.next() % 3) : 0
            var reported = 0
            let deadline = Date().addingTimeInterval(trial % 2 == 0 ? 120 : Double(generator.next() % 2500) / 1000)
            var events = JSONLineReader(stdout)
            var commitsSeen = 0
            reading: while Date() < deadline {
                if trial % 2 == 0 && commitsSeen >= commitsToWait { break }
                switch events.next(waitingAtMost: 10) {
                case .object(let event):
                    if event["event"] as? String == "commit", let committed = event["lines_committed"] as? Int {
                        reported = committed
                        commitsSeen += 1
                    }
                case .waiting: continue
                case .ended: break reading
                }
            }
            if trial % 2 == 0 { usleep(UInt32(generator.next() % 300_000)) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): ingest finished before the kill")
            if reported > 0 { trialsAfterACommit += 1 }

            guard FileManager.default.fileExists(atPath: db + "/data.mdb") else {
                XCTAssertEqual(reported, 0)
                continue
            }
            let check = try cli.run(["check", "--db", db])
            XCTAssertEqual(check.status, 0, "trial \(trial): \(check.stderr)")
            let database = try VectorDatabase(path: db, create: false)
            let count = try database.documentCount()
            XCTAssertEqual(count % batch, 0, "trial \(trial): \(count) documents is a partial batch")
            XCTAssertGreaterThanOrEqual(count, reported, "trial \(trial): a reported commit is missing")
            for id in 0..<count {
                XCTAssertEqual(try database.document(id: UInt64(id))?.text, lines[id], "trial \(trial) document \(id)")
            }
            XCTAssertEqual(try database.collections().first?.count ?? 0, count, "trial \(trial): vectors")
        }
        XCTAssertGreaterThanOrEqual(trialsAfterACommit, 4, "at least half the kills come after a reported commit")
    }

    func testTwoWritersSerialiseAndReadersKeepAnswering() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let all = syntheticSentences(1_200, seed: 11)
        var files: [String] = []
        for (index, part) in [all[..<600], all[600...]].enumerated() {
            let url = folder.appendingPathComponent("part\(index).txt")
            try Data((part.joined(separator: "\n") + "\n").utf8).write(to: url)
            files.append(url.path)
        }
        XCTAssertEqual(try cli.run(["ingest", "-", "--db", db], stdin: Data("seed document\n".utf8)).status, 0)
        let writers = try files.map { try cli.start(["ingest", $0, "--db", db, "--batch-size", "50"]) }
        var queries = 0
        while writers.contains(where: { $0.0.isRunning }) {
            let result = try cli.run(["query", "seed document", "--db", db, "-k", "1", "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            queries += 1
        }
        for (process, _, stderr) in writers {
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        XCTAssertGreaterThan(queries, 0)
        let info = try jsonObject(try cli.run(["info", "--db", db, "--json"]).stdout)
        XCTAssertEqual(info["documents"] as? Int, 1_201)
        XCTAssertEqual(try cli.run(["check", "--db", db]).status, 0)
    }
}
