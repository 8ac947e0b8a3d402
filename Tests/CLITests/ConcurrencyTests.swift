import Foundation
import LMDB
import TestSupport
import VecDB
import XCTest

/// Reader processes query while two writer processes ingest: every answer is the exact top-k of the committed
/// snapshot it names, the writers' commits serialise, and a read transaction held open all along blocks no writer.
final class ConcurrencyTests: XCTestCase {
    private let cli = CLI()

    /// Thread-safe accumulation of what the reader and writer threads observe.
    private final class Log<Entry>: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Entry] = []
        func append(_ entry: Entry) { lock.withLock { entries.append(entry) } }
        var all: [Entry] { lock.withLock { entries } }
    }

    /// Set once by the test thread, read by the reader threads.
    private final class StopSignal: @unchecked Sendable {
        private let lock = NSLock()
        private var stopped = false
        func stop() { lock.withLock { stopped = true } }
        var isStopped: Bool { lock.withLock { stopped } }
    }

    private struct Answer {
        var query: String
        var snapshot: Int
        var results: [(id: UInt64, score: Double)]
    }

    private struct Commit {
        var writer: Int
        var transaction: Int
        var linesCommitted: Int
        var at: Date
    }

    func testReadersSeeExactSnapshotsWhileTwoWritersSerialise() throws {
        let folder = try temporaryFolder(self)
        let db = folder.appendingPathComponent("db").path
        let lines = syntheticSentences(700, seed: 31)
        let base = Array(lines[..<100]), inputs = [Array(lines[100..<400]), Array(lines[400...])]
        let files = try ([base] + inputs).enumerated().map { index, part -> String in
            let url = folder.appendingPathComponent("part\(index).txt")
            try Data((part.joined(separator: "\n") + "\n").utf8).write(to: url)
            return url.path
        }
        let seeded = try cli.run(["ingest", files[0], "--db", db, "--progress", "json"])
        XCTAssertEqual(seeded.status, 0, seeded.stderr)
        let baseSnapshot = try XCTUnwrap(try jsonObject(seeded.stdout.split(separator: "\n").first.map(String.init) ?? "")["transaction"] as? Int)

        let commits = Log<Commit>(), answers = Log<Answer>()
        let queries = ["river galaxy engine", "a poem about copper and storms", "protein enzyme cell"]
        let writersDone = DispatchSemaphore(value: 0)
        let readersDone = DispatchGroup()
        let stop = StopSignal()
        let writerStart = Date()
        // A read transaction held open by this process for the whole run: LMDB readers never block the writer.
        let env = try Environment(path: db, options: { var o = Environment.Options(); o.readOnly = true; return o }())
        let documentsTable = try XCTUnwrap(try env.openDatabase("documents", create: false))
        let writerFailures = Log<String>()
        var heldSnapshot = 0
        try env.read { held in
            heldSnapshot = held.id
            for (writer, batch) in [(0, 20), (1, 25)] {
                Thread.detachNewThread { [cli] in
                    defer { writersDone.signal() }
                    guard let (process, out, err) = try? cli.start(["ingest", files[writer + 1], "--db", db, "--progress", "json",
                                                                    "--batch-size", "\(batch)"]) else { return }
                    var events = JSONLineReader(out)
                    while case .object(let event) = events.next(waitingAtMost: -1) {
                        if event["event"] as? String == "commit",
                           let transaction = event["transaction"] as? Int, let committed = event["lines_committed"] as? Int {
                            commits.append(Commit(writer: writer, transaction: transaction, linesCommitted: committed, at: Date()))
                        }
                    }
                    process.waitUntilExit()
                    if process.terminationStatus != 0 {
                        writerFailures.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
                    }
                }
            }
            for reader in 0..<3 {
                DispatchQueue.global().async(group: readersDone) { [cli] in
                    while !stop.isStopped {
                        let query = queries[reader]
                        guard let result = try? cli.run(["query", query, "--db", db, "-k", "5", "--exact", "--json"]),
                              result.status == 0, let object = try? jsonObject(result.stdout),
                              let snapshot = object["snapshot"] as? Int, let hits = object["results"] as? [[String: Any]] else {
                            answers.append(Answer(query: query, snapshot: -1, results: []))
                            continue
                        }
                        answers.append(Answer(query: query, snapshot: snapshot, results: hits.map {
                            (UInt64($0["id"] as? Int ?? -1), $0["score"] as? Double ?? .nan)
                        }))
                    }
                }
            }
            for _ in 0..<2 { XCTAssertEqual(writersDone.wait(timeout: .now() + 600), .success, "a writer is stuck") }
            stop.stop()
            // Still the snapshot it began with, though both writers committed meanwhile.
            XCTAssertEqual(try held.count(documentsTable), base.count)
        }
        readersDone.wait()
        let writerSeconds = Date().timeIntervalSince(writerStart)
        XCTAssertEqual(writerFailures.all, [])
        XCTAssertEqual(heldSnapshot, baseSnapshot)

        // Serialised: every commit is its own transaction, and each writer's commits come in order.
        let allCommits = commits.all.sorted { $0.transaction < $1.transaction }
        XCTAssertEqual(allCommits.count, 300 / 20 + 300 / 25)
        XCTAssertEqual(Set(allCommits.map(\.transaction)).count, allCommits.count, "two commits share a transaction")
        XCTAssertTrue(allCommits.allSatisfy { $0.transaction > baseSnapshot })
        for writer in 0..<2 {
            let own = allCommits.filter { $0.writer == writer }.map(\.linesCommitted)
            XCTAssertEqual(own, own.sorted(), "writer \(writer)'s commits out of order")
        }
        // Not stalled: with three readers and a held read transaction the writers' commits keep coming.
        let times = allCommits.map(\.at).sorted()
        let longestGap = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }.max() ?? 0
        XCTAssertLessThan(longestGap, 30, "the writers stalled")
        print("concurrency: \(allCommits.count) commits in \(String(format: "%.1f", writerSeconds)) s, longest gap "
            + "\(String(format: "%.2f", longestGap)) s, \(answers.all.count) reader answers")

        // Each snapshot's documents: the base, plus each writer's lines committed in transactions up to it.
        let database = try VectorDatabase(path: db, create: false, readOnly: true)
        XCTAssertEqual(try database.documentCount(), lines.count)
        XCTAssertEqual(try database.check(), [])
        var idOfText: [String: UInt64] = [:]
        for id in 0..<UInt64(lines.count) { idOfText[try XCTUnwrap(try database.document(id: id)).text] = id }
        let stored = try database.vectors(collection: "minilm", documentIDs: Array(idOfText.values))
        func documents(at snapshot: Int) -> [UInt64] {
            var texts = base
            for writer in 0..<2 {
                let committed = allCommits.filter { $0.writer == writer && $0.transaction <= snapshot }.map(\.linesCommitted).max() ?? 0
                texts += inputs[writer][..<committed]
            }
            return texts.map { idOfText[$0]! }
        }
        var queryVectors: [String: [Float]] = [:]
        for query in queries {
            let embedded = try jsonObject(try cli.run(["embed", query]).stdout)
            queryVectors[query] = try XCTUnwrap(embedded["vector"] as? [Double]).map { Float($0) }
        }

        let all = answers.all
        XCTAssertEqual(all.filter { $0.snapshot < 0 }.count, 0, "a reader's query failed")
        var snapshots = Set<Int>()
        for answer in all where answer.snapshot >= 0 {
            snapshots.insert(answer.snapshot)
            XCTAssertGreaterThanOrEqual(answer.snapshot, baseSnapshot)
            XCTAssertLessThanOrEqual(answer.snapshot, allCommits.last?.transaction ?? baseSnapshot)
            let q = queryVectors[answer.query]!
            func score(_ id: UInt64) -> Double { Double(zip(q, stored[id]!).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
            let visible = documents(at: answer.snapshot)
            let scored: [(id: UInt64, score: Double)] = visible.map { ($0, score($0)) }
            let exact = scored.sorted { a, b in a.score > b.score || (a.score == b.score && a.id < b.id) }.prefix(5)
            XCTAssertEqual(answer.results.count, exact.count, "snapshot \(answer.snapshot)")
            let visibleSet = Set(visible)
            for (rank, (hit, expected)) in zip(answer.results, exact).enumerated() {
                // Ids may swap only between scores equal to float rounding; each hit must be in the snapshot.
                XCTAssertTrue(visibleSet.contains(hit.id), "snapshot \(answer.snapshot) rank \(rank): document \(hit.id) not yet committed")
                XCTAssertEqual(hit.score, expected.score, accuracy: 1e-5, "snapshot \(answer.snapshot) rank \(rank)")
                XCTAssertEqual(hit.score, score(hit.id), accuracy: 1e-5, "snapshot \(answer.snapshot) rank \(rank)")
            }
        }
        print("concurrency: \(all.count) answers over \(snapshots.count) snapshots")
        XCTAssertGreaterThanOrEqual(all.count, 6)
        XCTAssertGreaterThanOrEqual(snapshots.count, 2, "the readers saw the writers' progress")
    }
}
