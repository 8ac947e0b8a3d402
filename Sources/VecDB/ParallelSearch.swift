import Foundation
import Kernels

extension VectorDatabase {
    /// The `k` nearest documents of collection `name` for each of `queries`, answered on `threads` threads, all in
    /// one committed state: result `i` is `Snapshot.nearest` of `queries[i]`, whatever the thread count.
    ///
    /// Each thread searches in a read transaction of its own (LMDB readers take no lock, so the threads share nothing
    /// mutable but the scratch pool they borrow from once per thread); the transactions are opened together and
    /// reopened if a commit lands between them, so every thread sees the same snapshot. Threads claim queries in
    /// small chunks as they finish, so a slow query delays only its own thread. The first error thrown by any
    /// query is thrown once every thread has stopped.
    public func nearest(collection name: String, queries: [[Float]], k: Int, mode: SearchMode = .automatic,
                        filter: MetadataFilter? = nil, threads: Int) throws -> [[(id: UInt64, score: Float)]] {
        guard threads >= 1 else { throw VecDBError.invalidArgument("threads must be at least 1, not \(threads)") }
        let threads = min(threads, max(queries.count, 1))
        return try withConsistentSnapshots(threads) { snapshots in
            let work = QueryQueue(count: queries.count)
            var answers = [[(id: UInt64, score: Float)]](repeating: [], count: queries.count)
            let failures = FirstError()
            answers.withUnsafeMutableBufferPointer { out in
                // Each worker writes only the slots of the queries it claimed, and `concurrentPerform` returns when
                // every worker has finished: what the unchecked box asserts for the output and the snapshots (a
                // snapshot is used by the one worker whose index it has).
                let shared = UncheckedSendable((out: out, snapshots: snapshots))
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    let snapshot = shared.value.snapshots[worker]
                    while !failures.isSet, let chunk = work.next() {
                        for i in chunk {
                            do {
                                shared.value.out[i] = try snapshot.nearest(collection: name, query: queries[i], k: k,
                                                                          mode: mode, filter: filter)
                            } catch {
                                failures.record(error)
                                return
                            }
                        }
                    }
                }
            }
            if let error = failures.error { throw error }
            return answers
        }
    }

    /// Runs `body` with `count` snapshots of one committed state, each in its own read transaction (with LMDB's
    /// NOTLS flag a thread may hold several, and each may be used by one other thread at a time).
    private func withConsistentSnapshots<R>(_ count: Int, _ body: ([Snapshot]) throws -> R) throws -> R {
        while true {
            var outcome: R?
            try nest(count, []) { snapshots in
                // A commit between two opens gives two states: close them all and open again.
                guard snapshots.allSatisfy({ $0.id == snapshots[0].id }) else { return }
                outcome = try body(snapshots)
            }
            if let outcome { return outcome }
        }
    }

    private func nest(_ remaining: Int, _ open: [Snapshot], _ body: ([Snapshot]) throws -> Void) throws {
        guard remaining > 0 else { return try body(open) }
        try read { snapshot in try nest(remaining - 1, open + [snapshot], body) }
    }
}

/// Hands out the indexes of a batch of queries in chunks, to whichever thread asks next.
private final class QueryQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = 0
    private let count: Int
    /// Queries per claim: few enough to balance two threads at the end, enough that the lock is taken rarely.
    private let chunk: Int

    init(count: Int) {
        self.count = count
        chunk = max(1, min(16, count / 64))
    }

    func next() -> Range<Int>? {
        lock.withLock {
            guard claimed < count else { return nil }
            let range = claimed..<min(claimed + chunk, count)
            claimed = range.upperBound
            return range
        }
    }
}

/// The first error of several threads; the others stop at their next claim once one is recorded.
private final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    var isSet: Bool { lock.withLock { first != nil } }
    var error: Error? { lock.withLock { first } }

    func record(_ error: Error) {
        lock.withLock { if first == nil { first = error } }
    }
}
