/// Carries a value that is not `Sendable` (a closure over scratch buffers, a raw output pointer) into
/// `DispatchQueue.concurrentPerform`, whose workers touch disjoint parts of it and all finish before the call returns.
/// The compiler cannot see either fact; the caller asserts both by using this box, and says why where it does.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
