import Foundation

/// One run of `vecdb`, stopped by SIGKILL if it is still running at a deadline.
struct ChildProcess {
    struct Outcome {
        /// True when the kill came before the process ended on its own.
        var killed: Bool
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable arguments` until it exits or `deadline` passes, then kills it; returns what it printed up to
    /// then. Its output is drained while it runs, so a full pipe never holds it up.
    static func run(_ executable: String, _ arguments: [String], killAt deadline: Date = .distantFuture) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let drained = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        DispatchQueue.global().async(group: drained) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: drained) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        var killed = false
        while process.isRunning {
            if Date() >= deadline {
                killed = kill(process.processIdentifier, SIGKILL) == 0
                break
            }
            usleep(1_000)
        }
        process.waitUntilExit()
        drained.wait()
        killed = killed && process.terminationReason == .uncaughtSignal
        return Outcome(killed: killed, status: process.terminationStatus,
                       stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A trial whose database is not in a state the scenario allows: the line the matrix reports.
struct MatrixFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
