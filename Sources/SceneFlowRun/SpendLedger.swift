import SceneFlowBasics
import SceneFlowTemplate
import Synchronization

/// What a run (or every run of a batch, sharing one ledger) may spend, what it has spent and
/// what its jobs in flight are expected to spend.
///
/// A job that costs money starts only after `reserve` accepted what it is expected to cost: its
/// estimate, or what the same model's dearest job so far really cost, if more. Spent, plus the
/// reservations of the jobs in flight, plus this one, stay within the limit. When the job ends,
/// `settle` swaps its reservation for what it really cost (the provider's price, else the
/// estimate; nothing for a failure). So the limit holds exactly while providers charge no more
/// than expected; a provider charging more can pass it by at most the underestimate of the jobs
/// already in flight, and no later job of that model is underestimated again. Jobs that cost
/// nothing (the local engine, a cut) always start. Thread-safe: the runs of a batch share one.
public final class SpendLedger: Sendable {
    public let limit: Money
    private struct State {
        var spent = Money.zero
        var reserved = Money.zero
        /// The dearest real cost seen per model.
        var dearest: [String: Money] = [:]
    }
    private let state = Mutex(State())

    public init(limit: Money) { self.limit = limit }

    /// Reserves what a job of `model` estimated at `estimate` is expected to cost, if it fits
    /// under the limit: the amount reserved, or `nil` (nothing reserved) if it does not fit.
    public func reserve(_ estimate: Money, model: String) -> Money? {
        guard estimate > .zero else { return .zero }
        return state.withLock { state in
            let expected = max(estimate, state.dearest[model] ?? .zero)
            guard state.spent + state.reserved + expected <= limit else { return nil }
            state.reserved = state.reserved + expected
            return expected
        }
    }

    /// Ends a reservation: `reserved` is released and `cost` counted as spent (and remembered
    /// as the model's dearest, if it is).
    public func settle(reserved: Money, cost: Money, model: String) {
        state.withLock { state in
            state.reserved = state.reserved - reserved
            state.spent = state.spent + cost
            state.dearest[model] = max(state.dearest[model] ?? .zero, cost)
        }
    }

    /// What has been spent so far.
    public var spent: Money { state.withLock { $0.spent } }
    /// Estimates of the jobs in flight.
    public var reserved: Money { state.withLock { $0.reserved } }
}
