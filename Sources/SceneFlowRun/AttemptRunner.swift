import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Runs one job to an end: attempts, retries of transient failures after the policy's delay
/// (or the server's), cancellation at any point. Each attempt gets a fresh scratch folder,
/// removed when it ends; a successful output is handed to `store` (the cache) inside the
/// attempt, so a failure to store is a failure of the job.
public struct AttemptRunner: Sendable {
    public var retry: RetryPolicy
    /// Waits between attempts; `Task.sleep` unless a test scripts the clock.
    public var sleep: @Sendable (Double) async throws -> Void
    public var events: @Sendable (RunEvent) -> Void
    /// Give each attempt a scratch folder (generators that write files need one).
    public var scratchFolders: Bool

    public init(retry: RetryPolicy, scratchFolders: Bool = true, events: @escaping @Sendable (RunEvent) -> Void = { _ in },
                sleep: @escaping @Sendable (Double) async throws -> Void = { try await Task.sleep(nanoseconds: UInt64(max(0, $0) * 1e9)) }) {
        self.retry = retry
        self.scratchFolders = scratchFolders
        self.events = events
        self.sleep = sleep
    }

    /// Each attempt's start, length and failure, in order (the last one made it, unless failed).
    public typealias Log = [RunReport.Attempt]

    public enum Outcome: Sendable {
        case made(StoredOutput, log: Log, seconds: Double)
        /// Another run of the same batch made it meanwhile.
        case reused(StoredOutput)
        case failed(GenerationError, log: Log)
        case cancelled(attempts: Int)
    }

    public func run(_ job: Job, generator: Generator, store: @Sendable (GeneratedOutput, Job) throws -> StoredOutput) async -> Outcome {
        var attempt = 1
        var log: Log = []
        let begin = ContinuousClock.now
        func seconds(since start: ContinuousClock.Instant) -> Double {
            let elapsed = ContinuousClock.now - start
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        while true {
            if Task.isCancelled { return .cancelled(attempts: attempt - 1) }
            var current = job
            current.attempt = attempt
            events(.started(node: job.node, attempt: attempt, provider: job.model.provider))
            let startedAt = Date(), start = ContinuousClock.now
            do {
                if scratchFolders { try FileManager.default.createDirectory(at: current.scratch, withIntermediateDirectories: true) }
                defer { if scratchFolders { try? FileManager.default.removeItem(at: current.scratch) } }
                let output = try await generator.generate(current)
                let stored = try store(output, current)
                log.append(RunReport.Attempt(startedAt: startedAt, seconds: seconds(since: start)))
                return .made(stored, log: log, seconds: seconds(since: begin))
            } catch is CancellationError {
                return .cancelled(attempts: attempt)
            } catch {
                if Task.isCancelled { return .cancelled(attempts: attempt) }
                let failure = (error as? GenerationError)
                    ?? GenerationError(.permanent, provider: job.model.provider, message: Redaction.redact(ErrorText.describe(error)))
                log.append(RunReport.Attempt(startedAt: startedAt, seconds: seconds(since: start), error: failure.description))
                guard let delay = retry.delay(after: failure, attempt: attempt) else {
                    events(.failed(node: job.node, error: failure.description, attempts: attempt))
                    return .failed(failure, log: log)
                }
                events(.retrying(node: job.node, attempt: attempt + 1, delay: delay, error: failure.description))
                do { try await sleep(delay) } catch { return .cancelled(attempts: attempt) }
                attempt += 1
            }
        }
    }
}

/// Removes secrets from text that may reach a log, a report or an error message: the values
/// of the provider key variables, and anything shaped like a key in a URL or header.
public enum Redaction {
    public static let keyVariables = ["FAL_KEY", "GEMINI_API_KEY", "ELEVENLABS_API_KEY", "SCENEFLOW_TOKEN",
                                      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]

    public static func redact(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        var result = text
        for name in keyVariables {
            if let value = environment[name], value.count >= 4 {
                result = result.replacingOccurrences(of: value, with: "[\(name)]")
            }
        }
        // The team database's password, wherever its URL's text shows up.
        if let url = environment["SCENEFLOW_DATABASE_URL"], let password = URLComponents(string: url)?.password, password.count >= 4 {
            result = result.replacingOccurrences(of: password, with: "[database password]")
        }
        for pattern in [#"(?i)(key=)[^&\s"]+"#, #"(?i)(x-goog-api-key:\s*)\S+"#, #"(?i)(xi-api-key:\s*)\S+"#, #"(?i)(authorization:\s*(key|bearer)\s+)\S+"#,
                        #"(?i)(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@"#, #"(?i)\b((?:s3|file|https?)://)[^\s/@]+@"#, #"(?i)(credential=)[^,\s]+"#, #"(?i)(signature=)[0-9a-f]+"#] {
            result = result.replacingOccurrences(of: pattern, with: pattern.hasSuffix("@") ? "$1[redacted]@" : "$1[redacted]", options: .regularExpression)
        }
        return result
    }
}

/// A failure of the run machinery itself (not of a generator).
public struct RunError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
