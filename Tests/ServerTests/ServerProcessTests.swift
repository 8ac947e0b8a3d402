import AsyncHTTPClient
import Foundation
import NIOCore
import VecDB
import XCTest

/// `vecdb serve` as a process: killed with SIGKILL in the middle of concurrent ingests it loses no acknowledged
/// document; SIGTERM under load finishes or refuses each write whole and exits 0.
///
/// Trials: `VECDB_SERVER_CRASH_TRIALS` (default 3 here; `scripts/server-crash-trials` runs 50).
final class ServerProcessTests: XCTestCase {
    /// The built `vecdb`, beside the test bundle in SwiftPM's products folder.
    static let executable: URL = {
        let bundle = Bundle.main.bundleURL
        let products = bundle.hasDirectoryPath && bundle.pathExtension != "xctest" ? bundle : bundle.deletingLastPathComponent()
        for folder in [products, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("vecdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return products.appendingPathComponent("vecdb")
    }()

    /// A running `vecdb serve --port 0` and the port it printed.
    struct RunningServer {
        let process: Process
        let port: Int
        let stderr: Pipe

        static func start(db: String, models: String) throws -> RunningServer {
            let process = Process()
            process.executableURL = ServerProcessTests.executable
            process.arguments = ["serve", "--db", db, "--port", "0", "--models", models]
            let stderr = Pipe()
            process.standardError = stderr
            process.standardOutput = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            var seen = Data()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let chunk = stderr.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen.append(chunk)
                let text = String(decoding: seen, as: UTF8.self)
                if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                    let port = Int(text[range].split(separator: ":").last!)!
                    return RunningServer(process: process, port: port, stderr: stderr)
                }
            }
            process.terminate()
            throw VecDBError.invalidArgument("vecdb serve did not start: \(String(decoding: seen, as: UTF8.self))")
        }
    }

    /// What clients were told: the external ids of documents whose ingest was answered 200.
    final class Acknowledged: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [String] = []
        private var sent: [[String]] = []
        func add(_ new: [String]) { lock.withLock { ids += new } }
        func attempt(_ batch: [String]) { lock.withLock { sent.append(batch) } }
        var all: [String] { lock.withLock { ids } }
        /// Every batch sent, answered or not.
        var attempted: [[String]] { lock.withLock { sent } }
    }

    /// Four clients ingest batches until the server stops answering; returns when all have stopped.
    private func ingestUntilStopped(port: Int, trial: Int, acknowledged: Acknowledged, client: HTTPClient) async {
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var batch = 0
                    while true {
                        let ids = (0..<5).map { "t\(trial)-w\(writer)-b\(batch)-\($0)" }
                        let documents = ids.map { ["id": $0, "text": "trial \(trial) writer \(writer) batch \(batch): \($0) holds words"] }
                        acknowledged.attempt(ids)
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/documents")
                        request.method = .POST
                        request.headers.add(name: "content-type", value: "application/json")
                        request.body = .bytes(ByteBuffer(bytes: try! JSONSerialization.data(withJSONObject: ["documents": documents])))
                        guard let response = try? await client.execute(request, timeout: .seconds(30)) else { return }
                        guard let body = try? await response.body.collect(upTo: 1 << 20) else { return }
                        if response.status.code == 200 {
                            acknowledged.add(ids)
                        } else if response.status.code != 503 {
                            XCTFail("ingest answered \(response.status.code): \(String(buffer: body))")
                            return
                        }
                        batch += 1
                    }
                }
            }
        }
    }

    /// Which of `ids` the database holds (each with its document), and `vecdb check`'s exit status on it.
    private func stored(_ ids: [String], db: String) throws -> (present: Set<String>, check: Int32) {
        let database = try VectorDatabase(path: db, create: false, readOnly: true)
        let present = try database.read { snapshot in
            try Set(ids.filter { id in try snapshot.documentID(externalID: id).map { try snapshot.document(id: $0) != nil } ?? false })
        }
        let check = Process()
        check.executableURL = ServerProcessTests.executable
        check.arguments = ["check", "--db", db]
        check.standardOutput = FileHandle.nullDevice
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        return (present, check.terminationStatus)
    }

    /// Every batch sent is whole or absent: all its documents, or none.
    private func assertBatchesWhole(_ acknowledged: Acknowledged, present: Set<String>, file: StaticString = #filePath, line: UInt = #line) {
        for batch in acknowledged.attempted {
            let held = batch.filter(present.contains).count
            XCTAssertTrue(held == 0 || held == batch.count, "batch \(batch[0]): \(held) of \(batch.count) stored", file: file, line: line)
        }
    }

    func testSIGKILLDuringConcurrentIngestLosesNoAcknowledgedDocument() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["VECDB_SERVER_CRASH_TRIALS"] ?? "") ?? 3
        let folder = NSTemporaryDirectory() + "vecdb-server-crash-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/db"
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let acknowledged = Acknowledged()
        var random = SystemRandomNumberGenerator()
        for trial in 0..<trials {
            let server = try RunningServer.start(db: db, models: "minilm,bm25")
            let delay = Int.random(in: 150...1200, using: &random)
            let killer = Task {
                try await Task.sleep(for: .milliseconds(delay))
                kill(server.process.processIdentifier, SIGKILL)
            }
            await ingestUntilStopped(port: server.port, trial: trial, acknowledged: acknowledged, client: client)
            _ = try await killer.value
            server.process.waitUntilExit()
            XCTAssertEqual(server.process.terminationReason, .uncaughtSignal)
            let (present, check) = try stored(acknowledged.attempted.flatMap { $0 }, db: db)
            XCTAssertEqual(check, 0, "trial \(trial): vecdb check failed")
            assertBatchesWhole(acknowledged, present: present)
            let missing = acknowledged.all.filter { !present.contains($0) }
            XCTAssertTrue(missing.isEmpty, "trial \(trial): \(missing.count) acknowledged documents lost, e.g. \(missing.prefix(3))")
        }
        try await client.shutdown()
        XCTAssertGreaterThan(acknowledged.all.count, 0, "no ingest was acknowledged before the kills")
        print("SIGKILL trials: \(trials), acknowledged documents: \(acknowledged.all.count), batches sent: \(acknowledged.attempted.count)")
    }

    /// `vecdb serve ARGS`, run to its end: exit status and standard error.
    private func serve(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = ServerProcessTests.executable
        process.arguments = ["serve"] + arguments
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    /// A server that cannot start says why in one line and exits non-zero: an unknown model (no database is created),
    /// an address beyond loopback without a key, a port already taken.
    func testStartFailuresAreOneLineErrors() async throws {
        let folder = NSTemporaryDirectory() + "vecdb-server-start-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let unknown = try serve(["--db", folder + "/new", "--models", "nosuch"])
        XCTAssertEqual(unknown.status, 66)
        XCTAssertTrue(unknown.stderr.hasPrefix("Error: unknown model 'nosuch'"), unknown.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/new"), "a failed start created a database")
        let open = try serve(["--db", folder + "/db", "--host", "0.0.0.0", "--models", "bm25"])
        XCTAssertEqual(open.status, 64)
        XCTAssertTrue(open.stderr.contains("beyond loopback, needs an API key"), open.stderr)
        let running = try RunningServer.start(db: folder + "/db", models: "bm25")
        defer { running.process.terminate(); running.process.waitUntilExit() }
        let taken = try serve(["--db", folder + "/other", "--port", String(running.port), "--models", "bm25"])
        XCTAssertEqual(taken.status, 75)
        XCTAssertTrue(taken.stderr.contains("cannot listen on 127.0.0.1:\(running.port): address already in use"), taken.stderr)
    }

    func testSIGTERMUnderLoadExitsZeroWithEveryAcknowledgedWrite() async throws {
        let folder = NSTemporaryDirectory() + "vecdb-server-term-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let db = folder + "/db"
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let acknowledged = Acknowledged()
        let server = try RunningServer.start(db: db, models: "minilm,bm25")
        let stopper = Task {
            try await Task.sleep(for: .milliseconds(800))
            kill(server.process.processIdentifier, SIGTERM)
        }
        await ingestUntilStopped(port: server.port, trial: 0, acknowledged: acknowledged, client: client)
        _ = try await stopper.value
        server.process.waitUntilExit()
        try await client.shutdown()
        XCTAssertEqual(server.process.terminationReason, .exit)
        XCTAssertEqual(server.process.terminationStatus, 0, String(decoding: server.stderr.fileHandleForReading.availableData, as: UTF8.self))
        let (present, check) = try stored(acknowledged.attempted.flatMap { $0 }, db: db)
        XCTAssertEqual(check, 0)
        XCTAssertGreaterThan(acknowledged.all.count, 0)
        XCTAssertEqual(acknowledged.all.filter { !present.contains($0) }, [])
        assertBatchesWhole(acknowledged, present: present)
    }
}
