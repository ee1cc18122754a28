import Dispatch
import Foundation

/// Ctrl-C (SIGINT), SIGTERM and SIGHUP all mean "stop": the handler runs once per signal, on the
/// main queue; the default action (dying with `run.json` saying `running`) is off while a trap
/// is installed. A SIGHUP the process was started ignoring stays ignored (`nohup sceneflow
/// worker` is not stopped by its terminal closing).
public final class SignalTrap {
    public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]
    private let sources: [any DispatchSourceSignal]
    private let trapped: [Int32]

    public init(_ handler: @escaping @Sendable (Int32) -> Void) {
        var trapped: [Int32] = []
        sources = Self.signals.compactMap { number in
            let previous = signal(number, SIG_IGN)
            // SIG_IGN is handler 1: SIGHUP ignored by `nohup` stays so. (SIGINT and SIGTERM are
            // always trapped: a shell starts background jobs with SIGINT ignored.)
            if number == SIGHUP, let previous, unsafeBitCast(previous, to: Int.self) == 1 { return nil }
            trapped.append(number)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
        self.trapped = trapped
    }

    /// Stops trapping; the signals' default actions return (an ignored one stays ignored).
    public func remove() {
        for source in sources { source.cancel() }
        for number in trapped { signal(number, SIG_DFL) }
    }

    /// The exit status of a command stopped by `signal`: 128 + the signal (130 for Ctrl-C).
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }
}
