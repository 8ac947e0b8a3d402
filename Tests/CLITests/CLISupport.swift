import Foundation
import TestSupport
import XCTest

/// Runs the built `vecdb` executable, as a user would.
struct CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `vecdb` sits beside the test bundle in SwiftPM's products folder.
    static let executable: URL = {
        let products = Bundle.main.bundleURL.hasDirectoryPath && Bundle.main.bundleURL.pathExtension != "xctest"
            ? Bundle.main.bundleURL : Bundle.main.bundleURL.deletingLastPathComponent()
        for folder in [products, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent("vecdb")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return products.appendingPathComponent("vecdb")
    }()

    var environment: [String: String] = ProcessInfo.processInfo.environment
    /// The binary to run; by default the one SwiftPM built.
    var executable: URL = CLI.executable

    /// Starts `vecdb arguments`, optionally under another program (e.g. setpriv).
    func start(_ arguments: [String], stdin: Data? = nil, wrapper: [String] = []) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        if wrapper.isEmpty {
            process.executableURL = executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: wrapper[0])
            process.arguments = Array(wrapper.dropFirst()) + [executable.path] + arguments
        }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        if let stdin {
            let input = Pipe()
            process.standardInput = input
            try process.run()
            input.fileHandleForWriting.write(stdin)
            try input.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
        return (process, out, err)
    }

    func run(_ arguments: [String], stdin: Data? = nil, wrapper: [String] = []) throws -> Result {
        let (process, out, err) = try start(arguments, stdin: stdin, wrapper: wrapper)
        // stderr is short (one line or a progress meter); stdout may be large, so drain it before waiting.
        let outputData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorData = err.fileHandleForReading.readDataToEndOfFile()
        return Result(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData, as: UTF8.self))
    }
}

/// A child process's output read as JSON lines (progress events), one object at a time.
struct JSONLineReader {
    enum Next {
        case object([String: Any])
        /// Nothing new arrived in time.
        case waiting
        /// The output is closed.
        case ended
    }

    private let handle: FileHandle
    private var buffered = Data()

    init(_ pipe: Pipe) { handle = pipe.fileHandleForReading }

    /// The next line that is a JSON object, waiting at most `milliseconds` for more output, or as long as it takes
    /// when negative (other lines are skipped).
    mutating func next(waitingAtMost milliseconds: Int32) -> Next {
        while true {
            while let newline = buffered.firstIndex(of: 0x0A) {
                let line = Data(buffered[buffered.startIndex..<newline])
                buffered = Data(buffered[(newline + 1)...])
                if let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] { return .object(object) }
            }
            var descriptor = pollfd(fd: handle.fileDescriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, milliseconds) > 0 else { return .waiting }
            let chunk = handle.availableData
            if chunk.isEmpty { return .ended }
            buffered.append(chunk)
        }
    }
}

func temporaryFolder(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("vecdb-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// A temporary folder holding `answers.txt` — the seed article's two answers, then `extra` — and the path of a
/// database beside it.
func seedAnswers(_ test: XCTestCase, extra: String) throws -> (db: String, answers: URL) {
    let folder = try temporaryFolder(test)
    let answers = folder.appendingPathComponent("answers.txt")
    try Data("""
        OpenAI is based at San Francisco.
        A graphics processing unit (GPU) is an electronic circuit that can perform mathematical calculations quickly
        \(extra)

        """.utf8).write(to: answers)
    return (folder.appendingPathComponent("db").path, answers)
}

func jsonObject(_ text: String) throws -> [String: Any] {
    let line = text.split(separator: "\n").last.map(String.init) ?? ""
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], text)
}
