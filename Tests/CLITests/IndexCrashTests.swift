import Foundation
import TestSupport
import VecDB
import XCTest

/// SIGKILL during a 50,000-vector insert through the VecDB raw-vector API (`ann-bench build`: batches of 1,000, each
/// one write transaction holding documents, vectors and index links). After reopening: `check` passes (the graph
/// invariants included), only whole batches are there and at least every batch reported committed, and every stored
/// document is found by both exact and index search.
final class IndexCrashTests: XCTestCase {
    private let dimensions = 32
    private let count = 50_000
    private let batch = 1_000

    /// Seeded clustered unit vectors: 64 random centres plus Gaussian noise.
    private func clusteredVectors() -> [[Float]] {
        var generator = SplitMix64(seed: 4242)
        let centres = (0..<64).map { _ in (0..<dimensions).map { _ in generator.gaussian() } }
        return (0..<count).map { _ in
            let centre = centres[Int(generator.next() % 64)]
            let v = centre.map { $0 + 0.5 * generator.gaussian() }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
    }

    func testKilledIndexedInsertKeepsEveryCommittedDocumentFindable() throws {
        var bench = CLI()
        bench.executable = CLI.executable.deletingLastPathComponent().appendingPathComponent("ann-bench")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: bench.executable.path),
                      "ann-bench is built with the tests (swift build --build-tests)")
        let folder = try temporaryFolder(self)
        let vectors = clusteredVectors()
        let file = folder.appendingPathComponent("vectors.f32")
        try vectors.flatMap { $0 }.withUnsafeBytes { try Data($0).write(to: file) }

        var generator = SplitMix64(seed: 77)
        // Kill after 12, 27 and 41 reported commits, each then a random 0–300 ms later (mid-batch, or mid-commit).
        for (trial, commitsToWait) in [12, 27, 41].enumerated() {
            let db = folder.appendingPathComponent("db\(trial)").path
            let (process, stdout, _) = try bench.start(["build", file.path, "\(dimensions)", db, "16", "200", "\(batch)"])
            var reported = 0
            var events = JSONLineReader(stdout)
            let deadline = Date().addingTimeInterval(300)
            reading: while reported < commitsToWait * batch && Date() < deadline {
                switch events.next(waitingAtMost: 100) {
                case .object(let event): reported = event["committed"] as? Int ?? reported
                case .waiting: continue
                case .ended: break reading
                }
            }
            usleep(UInt32(generator.next() % 300_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): the build finished before the kill")
            XCTAssertGreaterThanOrEqual(reported, commitsToWait * batch, "trial \(trial)")

            let database = try VectorDatabase(path: db, create: false)
            XCTAssertEqual(try database.check(), [], "trial \(trial)")
            let stored = try database.documentCount()
            XCTAssertEqual(stored % batch, 0, "trial \(trial): \(stored) documents is a partial batch")
            XCTAssertGreaterThanOrEqual(stored, reported, "trial \(trial): a reported commit is missing")
            XCTAssertLessThan(stored, count, "trial \(trial)")
            XCTAssertEqual(try database.indexMetadata(collection: "bench")?.count, stored, "trial \(trial)")

            let row0 = try XCTUnwrap(try database.documentID(externalID: "0"))
            // Index search: every stored document, queried by its own vector, comes first with score 1.
            var missedByIndex: [Int] = []
            for row in 0..<stored {
                let first = try database.nearest(collection: "bench", query: vectors[row], k: 1, mode: .index(ef: 64)).first
                if first?.id != row0 + UInt64(row) || abs((first?.score ?? 0) - 1) > 1e-5 { missedByIndex.append(row) }
            }
            XCTAssertEqual(missedByIndex, [], "trial \(trial): documents the index does not find")
            // Exact search: one scan returns every stored document, each with its own vector's score.
            let all = try database.nearest(collection: "bench", query: vectors[0], k: stored, mode: .exact)
            XCTAssertEqual(Set(all.map(\.id)), Set((0..<stored).map { row0 + UInt64($0) }), "trial \(trial)")
            for hit in all.prefix(200) {
                let row = Int(hit.id - row0)
                XCTAssertEqual(hit.score, zip(vectors[0], vectors[row]).reduce(0) { $0 + $1.0 * $1.1 }, accuracy: 1e-4)
            }
            // …and each of a sample, queried by its own vector, comes first.
            for row in stride(from: 0, to: stored, by: max(1, stored / 100)) {
                let first = try database.nearest(collection: "bench", query: vectors[row], k: 1, mode: .exact).first
                XCTAssertEqual(first?.id, row0 + UInt64(row), "trial \(trial): exact search for row \(row)")
            }
        }
    }

    /// SIGKILL during `vecdb index rebuild --threads 2` of all 50,000 vectors (one write transaction, the graph built
    /// on two threads): after reopening, the old index is there whole — `check` passes, every document is found by
    /// its own vector — and a rebuild left to finish gives a sound graph with the same recall.
    func testKilledParallelRebuildKeepsTheCommittedIndex() throws {
        var bench = CLI()
        bench.executable = CLI.executable.deletingLastPathComponent().appendingPathComponent("ann-bench")
        let folder = try temporaryFolder(self)
        let vectors = clusteredVectors()
        let file = folder.appendingPathComponent("vectors.f32")
        try vectors.flatMap { $0 }.withUnsafeBytes { try Data($0).write(to: file) }
        let db = folder.appendingPathComponent("db").path
        let build = try bench.run(["build", file.path, "\(dimensions)", db, "16", "200", "5000"])
        XCTAssertEqual(build.status, 0, build.stderr)
        let before = try VectorDatabase(path: db, create: false).indexMetadata(collection: "bench")

        var generator = SplitMix64(seed: 78)
        for trial in 0..<3 {
            let (process, _, _) = try CLI().start(["index", "rebuild", "--db", db, "--collection", "bench", "--threads", "2", "--m", "12"])
            // The rebuild reads 50,000 vectors, then links them for about 2 s (1.9 s on 2 Zen 5 cores): kill between
            // 0.2 and 0.8 s in.
            usleep(200_000 + UInt32(generator.next() % 600_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "trial \(trial): the rebuild finished before the kill")

            let database = try VectorDatabase(path: db, create: false)
            XCTAssertEqual(try database.check(), [], "trial \(trial)")
            XCTAssertEqual(try database.indexMetadata(collection: "bench"), before, "trial \(trial): the committed index changed")
            XCTAssertEqual(try database.collection(named: "bench")?.index?.M, 16, "trial \(trial)")
            let row0 = try XCTUnwrap(try database.documentID(externalID: "0"))
            for row in stride(from: 0, to: count, by: 97) {
                let first = try database.nearest(collection: "bench", query: vectors[row], k: 1, mode: .index(ef: 64)).first
                XCTAssertEqual(first?.id, row0 + UInt64(row), "trial \(trial): row \(row)")
            }
        }
        let finished = try CLI().run(["index", "rebuild", "--db", db, "--collection", "bench", "--threads", "2", "--m", "12"])
        XCTAssertEqual(finished.status, 0, finished.stderr)
        let database = try VectorDatabase(path: db, create: false)
        XCTAssertEqual(try database.check(), [])
        XCTAssertEqual(try database.indexMetadata(collection: "bench")?.parameters.M, 12)
        let row0 = try XCTUnwrap(try database.documentID(externalID: "0"))
        var found = 0
        for row in stride(from: 0, to: count, by: 97) {
            found += try database.nearest(collection: "bench", query: vectors[row], k: 1, mode: .index(ef: 64)).first?.id == row0 + UInt64(row) ? 1 : 0
        }
        XCTAssertEqual(found, (count + 96) / 97)
    }
}
