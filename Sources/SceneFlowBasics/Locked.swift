import Foundation

/// A value behind a lock, shared by tasks and callbacks (a flag a signal handler sets, the set
/// of jobs a worker holds).
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    public init(_ value: Value) { stored = value }

    public var value: Value { lock.withLock { stored } }

    public func set(_ value: Value) { lock.withLock { stored = value } }

    public func mutate<T>(_ body: (inout Value) throws -> T) rethrows -> T { try lock.withLock { try body(&stored) } }

    /// Puts `value` in and returns what was there.
    public func exchange(_ value: Value) -> Value { lock.withLock { defer { stored = value }; return stored } }
}
