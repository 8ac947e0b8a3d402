import Foundation
import XCTest

/// A database this process may read but not write — another user's, shared readable, or on a read-only path —
/// still answers `query`, `info` and `check` (opened read-only, without LMDB's lock file when that cannot be
/// written); writing commands and private databases fail with one line saying why. As root (CI), the reads run as
/// `nobody` through setpriv; otherwise file modes alone deny this user.
final class ReadOnlyTests: XCTestCase {
    private var folder: URL!
    private var db: String!
    private let owner = CLI()
    /// The CLI as the other user, and the wrapper that makes it one.
    private var other = CLI()
    private var wrapper: [String] = []

    override func setUpWithError() throws {
        folder = try temporaryFolder(self)
        db = folder.appendingPathComponent("db").path
        let answers = folder.appendingPathComponent("answers.txt")
        try Data("OpenAI is based at San Francisco.\nA GPU performs calculations quickly.\nRivers flow to the sea.\n".utf8)
            .write(to: answers)
        let result = try owner.run(["ingest", answers.path, "--db", db])
        XCTAssertEqual(result.status, 0, result.stderr)
        // Registered after the folder's removal, so it runs first: the owner gets write access back.
        let paths = [db!, db + "/data.mdb", db + "/lock.mdb"]
        addTeardownBlock { for path in paths { chmod(path, 0o700) } }
        guard getuid() == 0 else { return }
        wrapper = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        chmod(folder.path, 0o755)
        // The build folder and the model cache (under /root) are out of nobody's reach: give it copies.
        other.executable = folder.appendingPathComponent("vecdb")
        try FileManager.default.copyItem(at: CLI.executable, to: other.executable)
        let models = folder.appendingPathComponent("models")
        try shareModel("minilm", into: models)
        other.environment["VECDB_MODELS"] = models.path
    }

    /// Makes the installed model `name` readable under `models`: hard links where the file system allows, else copies.
    private func shareModel(_ name: String, into models: URL) throws {
        let listed = try jsonObject(try owner.run(["models", "list", "--json"]).stdout)
        let source = URL(fileURLWithPath: try XCTUnwrap(listed["cache"] as? String)).appendingPathComponent(name)
        let fm = FileManager.default
        let enumerator = try XCTUnwrap(fm.enumerator(atPath: source.path))
        while let relative = enumerator.nextObject() as? String {
            let from = source.appendingPathComponent(relative), to = models.appendingPathComponent(name).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: from.path, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true,
                                   attributes: [.posixPermissions: 0o755])
            do { try fm.linkItem(at: from, to: to) } catch { try fm.copyItem(at: from, to: to) }
        }
        chmod(models.path, 0o755)
    }

    private func read(_ arguments: [String]) throws -> CLI.Result {
        try other.run(arguments + ["--db", db], wrapper: wrapper)
    }

    private func assertOneLineFailure(_ result: CLI.Result, says fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), result.stderr, file: file, line: line)
    }

    func testAPrivateDatabaseOfAnotherUserIsRefusedInOneLine() throws {
        // Created 0700: another user cannot even list it (this user is denied by the mode alone).
        if wrapper.isEmpty { chmod(db, 0) }
        for command in [["query", "What is GPU?"], ["info"], ["check"]] {
            assertOneLineFailure(try read(command), says: "cannot open database \(db!): permission denied")
        }
    }

    func testASharedReadOnlyDatabaseStillAnswers() throws {
        let expected = try jsonObject(try owner.run(["query", "What is GPU?", "--db", db, "-k", "2", "--json"]).stdout)
        let before = try owner.run(["info", "--db", db, "--json"]).stdout
        chmod(db, 0o555)
        chmod(db + "/data.mdb", 0o444)
        chmod(db + "/lock.mdb", 0o444)

        let query = try read(["query", "What is GPU?", "-k", "2", "--json"])
        XCTAssertEqual(query.status, 0, query.stderr)
        let answer = try jsonObject(query.stdout)
        XCTAssertEqual(answer["snapshot"] as? Int, expected["snapshot"] as? Int)
        XCTAssertEqual((answer["results"] as? [[String: Any]])?.map { $0["id"] as? Int }, (expected["results"] as? [[String: Any]])?.map { $0["id"] as? Int })
        XCTAssertEqual((answer["results"] as? [[String: Any]])?.first?["text"] as? String, "A GPU performs calculations quickly.")
        // Without the lock a writer could overwrite the graph mid-walk: the index is not used, the scan is.
        let indexed = try read(["query", "What is GPU?", "-k", "1", "--ef", "10", "--json"])
        XCTAssertEqual(try jsonObject(indexed.stdout)["search"] as? String, "exact", indexed.stderr)
        let info = try read(["info", "--json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertEqual(try jsonObject(info.stdout)["documents"] as? Int, 3)
        let check = try read(["check"])
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.hasPrefix("ok: 3 documents"), check.stdout)

        // Writing is refused in one line, and changes nothing.
        let more = folder.appendingPathComponent("more.txt")
        try Data("One more line.\n".utf8).write(to: more)
        chmod(more.path, 0o644)
        assertOneLineFailure(try read(["ingest", more.path]), says: "cannot open database \(db!) for writing: permission denied")
        assertOneLineFailure(try read(["delete", "0"]), says: "for writing: permission denied")
        assertOneLineFailure(try read(["check", "--repair"]), says: "for writing: permission denied")
        XCTAssertEqual(try owner.run(["info", "--db", db, "--json"]).stdout, before)

        // A copy without its lock file in a folder nobody may write (read-only media): still answers.
        chmod(db, 0o755)
        try FileManager.default.removeItem(atPath: db + "/lock.mdb")
        chmod(db, 0o555)
        let again = try read(["query", "What is GPU?", "-k", "1", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual((try jsonObject(again.stdout)["results"] as? [[String: Any]])?.first?["text"] as? String,
                       "A GPU performs calculations quickly.")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db + "/lock.mdb"))
    }
}
