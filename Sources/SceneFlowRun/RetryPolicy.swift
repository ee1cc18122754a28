import Foundation
import SceneFlowTemplate

/// When and how often to retry: capped exponential backoff with full jitter (a random delay
/// between 0 and min(cap, base × 2^attempt)), or exactly the delay a server asked for.
public struct RetryPolicy: Sendable {
    public var retries: Int
    public var base: Double
    public var cap: Double

    public init(retries: Int = 3, base: Double = 1, cap: Double = 60) {
        self.retries = retries
        self.base = base
        self.cap = cap
    }

    /// Seconds to wait before attempt `attempt + 1` after `error` on attempt `attempt`, or `nil`
    /// when not to retry.
    public func delay(after error: GenerationError, attempt: Int, random: () -> Double = { Double.random(in: 0...1) }) -> Double? {
        guard error.kind == .transient, attempt <= retries else { return nil }
        if let requested = error.retryAfter { return min(max(0, requested), cap * 10) }
        return random() * min(cap, base * pow(2, Double(attempt - 1)))
    }
}
