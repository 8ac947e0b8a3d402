import Foundation
import Index

/// Search state kept between searches of a `VectorDatabase`, one per concurrent search: the visited table (as many
/// entries as the collection has nodes, too big to allocate per query at a million) and the index blocks resolved
/// in the last snapshot, which later reads of the same snapshot reuse instead of looking them up again.
final class SearchScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [SearchScratch] = []

    /// Runs `body` with a scratch no other thread is using.
    func withScratch<R>(_ body: (SearchScratch) throws -> R) rethrows -> R {
        let scratch = lock.withLock { idle.popLast() } ?? SearchScratch()
        defer { lock.withLock { idle.append(scratch) } }
        return try body(scratch)
    }
}
