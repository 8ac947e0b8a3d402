import Foundation
import NIOConcurrencyHelpers
import NIOPosix

/// Threads for blocking work, off the event loops: LMDB transactions and model forward passes block, and an event
/// loop that blocks stalls every connection it serves.
///
/// The arrangement (docs/SERVER.md):
/// - **reads**: a pool of `readThreads`; each request's read transaction opens and ends on one of its threads, so
///   any number of searches run beside a commit (LMDB readers never wait for the writer).
/// - **the writer**: one thread, so write requests commit one after another in arrival order (LMDB admits one
///   writer at a time anyway; a queue in front of it bounds what waits: `admitWrite`).
/// - **models**: one thread per served model. A model's scratch buffers are not shared between threads, so its
///   forward passes run one at a time; OpenBLAS parallelises each pass with its own threads (process-wide). Texts of
///   requests that arrive while a pass runs wait together and go through the next pass as one batch.
final class Lane: Sendable {
    private let pool: NIOThreadPool

    init(threads: Int) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Runs `body` on one of the lane's threads and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Queues `body` on the lane without waiting for it.
    func submit(_ body: @escaping @Sendable () -> Void) {
        pool.submit { _ in body() }
    }

    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}

/// Counts the write requests admitted (running or waiting for the writer), refusing more than `limit` at once, and
/// refuses all once shutdown has begun.
final class WriteAdmission: Sendable {
    private struct State {
        var admitted = 0
        var shuttingDown = false
    }

    let limit: Int
    private let state = NIOLockedValueBox(State())

    init(limit: Int) { self.limit = limit }

    /// Admits one write, or throws 429 (queue full) or 503 (shutting down); `release` must follow.
    func admit() throws {
        try state.withLockedValue { state in
            if state.shuttingDown { throw APIError.shuttingDown }
            guard state.admitted < limit else { throw APIError.writeQueueFull(limit: limit) }
            state.admitted += 1
        }
    }

    func release() { state.withLockedValue { $0.admitted -= 1 } }

    /// Writes admitted and not yet answered.
    var depth: Int { state.withLockedValue { $0.admitted } }

    /// From now on every write is refused; those admitted before finish.
    func beginShutdown() { state.withLockedValue { $0.shuttingDown = true } }

    var isShuttingDown: Bool { state.withLockedValue { $0.shuttingDown } }
}
