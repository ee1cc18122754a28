import Dispatch
import Foundation

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP all mean "stop": the handler runs once per signal, on the
/// main queue; the default action (dying with `run.json` saying `running`) is off while a trap
/// is installed.
public final class SignalTrap {
    public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private let sources: [any DispatchSourceSignal]

    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        sources = Self.signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stops trapping; the signals' default actions return.
    public func remove() {
        for source in sources { source.cancel() }
        for number in Self.signals { signal(number, SIG_DFL) }
    }

    /// The exit status of a command stopped by `signal`: 128 + the signal (130 for Ctrl-C).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}
