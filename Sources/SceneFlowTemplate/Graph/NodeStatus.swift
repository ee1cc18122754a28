/// The state of one node in a run (CLI contract, "Run report").
public enum NodeStatus: String, Sendable, Codable, CaseIterable {
    case pending
    /// Its inputs are ready; it waits for a slot of its provider (or of the run).
    case queued
    case running
    case succeeded
    /// An identical earlier output was reused.
    case cached
    case failed
    /// An upstream node failed.
    case blocked
    case skipped

    /// Finished with an output a dependent can use.
    public var isDone: Bool { self == .succeeded || self == .cached }
}
