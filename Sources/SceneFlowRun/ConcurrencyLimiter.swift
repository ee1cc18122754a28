import SceneFlowTemplate

/// Slots that several runs share: a job holds one of its provider's from before its first
/// attempt to after its last. In one process, `ConcurrencyLimiter`; across the processes and
/// hosts of a team, a limiter over the database's slot rows (SceneFlowTeam).
public protocol SharedLimits: Sendable {
    func acquire(_ provider: Provider) async
    func release(_ provider: Provider) async
}

/// This process's slots, then the team's: a job waits for both, and gives both back.
public struct ChainedLimits: SharedLimits {
    public let local: (any SharedLimits)?
    public let team: any SharedLimits

    public init(local: (any SharedLimits)?, team: any SharedLimits) {
        self.local = local
        self.team = team
    }

    public func acquire(_ provider: Provider) async {
        await local?.acquire(provider)
        await team.acquire(provider)
    }

    public func release(_ provider: Provider) async {
        await team.release(provider)
        await local?.release(provider)
    }
}

/// Slots shared by several runs in one process (a batch): the global concurrency and each
/// provider's limit hold across all of them, first come, first served.
public actor ConcurrencyLimiter: SharedLimits {
    public let limits: RunLimits
    private var inFlight: [Provider: Int] = [:]
    private var total = 0
    private var waiters: [(provider: Provider, continuation: CheckedContinuation<Void, Never>)] = []

    public init(limits: RunLimits) {
        self.limits = limits
    }

    private func available(_ provider: Provider) -> Bool {
        total < limits.concurrency && inFlight[provider, default: 0] < limits.limit(for: provider)
    }

    public func acquire(_ provider: Provider) async {
        if waiters.isEmpty || !waiters.contains(where: { $0.provider == provider }), available(provider) {
            take(provider)
            return
        }
        await withCheckedContinuation { waiters.append((provider, $0)) }
    }

    public func release(_ provider: Provider) {
        inFlight[provider, default: 1] -= 1
        total -= 1
        // Wake the oldest waiters that now fit.
        var index = 0
        while index < waiters.count {
            if available(waiters[index].provider) {
                let waiter = waiters.remove(at: index)
                take(waiter.provider)
                waiter.continuation.resume()
            } else {
                index += 1
            }
        }
    }

    private func take(_ provider: Provider) {
        inFlight[provider, default: 0] += 1
        total += 1
    }
}

/// Makes identical jobs of concurrent runs (a batch) once: the first job for a cache key
/// generates it, the others wait for it and take its output from the cache.
public actor JobCoalescer {
    private var inFlight: [String: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// True if the caller should make the output; false after waiting for another run to make it.
    public func lead(_ key: String) async -> Bool {
        guard inFlight[key] != nil else {
            inFlight[key] = []
            return true
        }
        await withCheckedContinuation { inFlight[key]!.append($0) }
        return false
    }

    public func finish(_ key: String) {
        for waiter in inFlight.removeValue(forKey: key) ?? [] { waiter.resume() }
    }
}
