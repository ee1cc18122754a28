import CSpawn
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A command to run: an executable and its arguments as a list (never a shell), where its output
/// goes, and how it is stopped when its task is cancelled.
public struct Command: Sendable {
    /// What happens to one of the child's output streams.
    public enum Output: Sendable, Equatable {
        /// `/dev/null`.
        case discard
        /// Kept in memory up to `limit` bytes: the first bytes (`.head`) or the last (`.tail`, for
        /// a tool's last words on standard error). The rest is read and dropped, so a chatty
        /// child never blocks on a full pipe.
        case capture(limit: Int, keep: Keep)

        public enum Keep: Sendable, Equatable { case head, tail }

        public static let capture = Output.capture(limit: 16 << 20, keep: .head)
    }

    public var executable: URL
    public var arguments: [String]
    /// `nil`: this process's environment.
    public var environment: [String: String]?
    /// `nil`: this process's working directory.
    public var workingDirectory: URL?
    public var stdout: Output
    public var stderr: Output
    /// After SIGTERM on cancellation, how long the child has before SIGKILL.
    public var gracePeriod: Duration

    public init(_ executable: URL, arguments: [String] = [], environment: [String: String]? = nil, workingDirectory: URL? = nil,
                stdout: Output = .capture, stderr: Output = .capture(limit: 256 << 10, keep: .tail), gracePeriod: Duration = .seconds(2)) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdout = stdout
        self.stderr = stderr
        self.gracePeriod = gracePeriod
    }

    /// Finds an executable on `PATH` (of `environment`, else this process's).
    public static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }
}

/// How a child process ended.
public enum Termination: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signalled(let signal): return "was killed by signal \(signal)\(signal == SIGKILL ? " (SIGKILL)" : signal == SIGTERM ? " (SIGTERM)" : "")"
        }
    }

    /// The shell's convention: the exit status, or 128 + the signal.
    public var status: Int32 {
        switch self {
        case .exited(let code): return code
        case .signalled(let signal): return 128 + signal
        }
    }
}

/// What a finished child left behind.
public struct ChildOutcome: Sendable {
    public var termination: Termination
    public var stdout: Data
    public var stderr: Data
    /// The stream was longer than its capture limit (`stdout`/`stderr` hold part of it).
    public var stdoutTruncated: Bool
    public var stderrTruncated: Bool

    public var succeeded: Bool { termination == .exited(0) }
}

/// The child could not be started (no such file, not executable, a bad working directory).
public struct SpawnError: Error, Sendable, CustomStringConvertible {
    public var executable: String
    public var errorNumber: Int32
    public var description: String { "cannot start \(executable): \(String(cString: strerror(errorNumber)))" }
}

/// A running child process, the one way SceneFlow starts other programs (ffmpeg, espeak-ng,
/// ffprobe, and in tests `sceneflow` itself and the loopback servers).
///
/// Each child has one dedicated thread that starts it, reads its standard output and error
/// with `poll(2)` as they come, watches for its exit through a pidfd, and reaps it. Nothing
/// touches libdispatch's I/O sources or Foundation's `Process` (whose pipe handlers, torn down
/// while their descriptors were reused, crashed libdispatch's event loop on Linux), and no
/// waiting happens on Swift concurrency's cooperative threads.
///
/// Lifetime guarantees: cancelling `run`'s task sends SIGTERM, then SIGKILL after the grace
/// period; a child is never signalled after it has been reaped (so never a recycled pid); and
/// because the child asks the kernel for SIGKILL when its thread ends, even `kill -9` of this
/// process leaves no orphan.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    public let command: Command
    private let state: Mutex<State>
    /// Written to wake the watcher thread (a signal was requested).
    private let wakeWrite: Int32

    private struct State: ~Copyable {
        var reaped = false
        var outcome: ChildOutcome?
        var waiters: [CheckedContinuation<ChildOutcome, Never>] = []
        /// When SIGKILL follows a requested SIGTERM.
        var killDeadline: ContinuousClock.Instant?
    }

    private init(pid: pid_t, command: Command, wakeWrite: Int32) {
        self.pid = pid
        self.command = command
        self.wakeWrite = wakeWrite
        self.state = Mutex(State())
    }

    /// Runs `command` to completion and returns what it printed. Cancelling the calling task
    /// stops the child (SIGTERM, then SIGKILL) and throws `CancellationError` once it is gone.
    public static func run(_ command: Command) async throws -> ChildOutcome {
        let child = try launch(command)
        let outcome = await withTaskCancellationHandler {
            await child.exit()
        } onCancel: {
            child.terminate()
        }
        try Task.checkCancellation()
        return outcome
    }

    /// Starts `command` and returns at once; `exit()` waits for it.
    public static func launch(_ command: Command) throws -> ChildProcess {
        // The fast test tier (`scripts/test fast`) promises to start no process: a test that
        // would, and is not tagged as one that does, fails here instead of slowing the tier.
        if ProcessInfo.processInfo.environment["SCENEFLOW_TEST_TIER"] == "fast" {
            throw ChildProcessForbidden(executable: command.executable.lastPathComponent)
        }
        let launcher = Launcher(command: command)
        return try launcher.start()
    }

    /// Waits for the child to end; every caller gets the same outcome.
    public func exit() async -> ChildOutcome {
        await withCheckedContinuation { continuation in
            let ready: ChildOutcome? = state.withLock { state in
                if let outcome = state.outcome { return outcome }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The outcome, if the child has ended.
    public var outcome: ChildOutcome? { state.withLock { $0.outcome } }

    public var isRunning: Bool { state.withLock { !$0.reaped } }

    /// Sends `signal` unless the child has already been reaped.
    public func send(_ signal: Int32) {
        state.withLock { state in
            if !state.reaped { kill(pid, signal) }
        }
    }

    /// SIGTERM now, SIGKILL after the command's grace period if it is still running.
    public func terminate() {
        let deadline = ContinuousClock.now + command.gracePeriod
        state.withLock { state in
            guard !state.reaped else { return }
            kill(pid, SIGTERM)
            if state.killDeadline == nil { state.killDeadline = deadline }
        }
        var byte: UInt8 = 1
        _ = Glibc.write(wakeWrite, &byte, 1)
    }

    // MARK: The watcher thread

    /// Starts the watcher thread and waits (briefly, on a semaphore) until the child has
    /// exec'd or failed to.
    private final class Launcher: @unchecked Sendable {
        let command: Command
        let started = DispatchSemaphore(value: 0)
        var result: Result<ChildProcess, SpawnError>?

        init(command: Command) { self.command = command }

        func start() throws -> ChildProcess {
            let thread = Thread { self.watch() }
            thread.stackSize = 256 << 10
            thread.name = "sceneflow-child"
            thread.start()
            started.wait()
            return try result!.get()
        }

        // Everything below runs on the watcher thread.
        private func watch() {
            var wake: [Int32] = [-1, -1]
            var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
            func fail(_ errorNumber: Int32) {
                for fd in wake + outPipe + errPipe where fd >= 0 { close(fd) }
                result = .failure(SpawnError(executable: command.executable.path, errorNumber: errorNumber))
                started.signal()
            }
            guard sceneflow_pipe(&wake) == 0 else { return fail(errno) }
            _ = fcntl(wake[0], F_SETFL, O_NONBLOCK)
            _ = fcntl(wake[1], F_SETFL, O_NONBLOCK)
            if case .capture = command.stdout { guard sceneflow_pipe(&outPipe) == 0 else { return fail(errno) } }
            if case .capture = command.stderr { guard sceneflow_pipe(&errPipe) == 0 else { return fail(errno) } }

            var environment = command.environment ?? ProcessInfo.processInfo.environment
            environment["PWD"] = nil
            let argv = CStringArray([command.executable.path] + command.arguments)
            let envp = CStringArray(environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
            var errorNumber: Int32 = 0
            let pid: pid_t = command.executable.path.withCString { path in
                let spawn = { (cwd: UnsafePointer<CChar>?) -> pid_t in
                    var request = sceneflow_spawn_request(path: path, argv: argv.pointers, envp: envp.pointers, cwd: cwd,
                                                          stdin_fd: -1, stdout_fd: outPipe[1], stderr_fd: errPipe[1])
                    return sceneflow_spawn(&request, &errorNumber)
                }
                if let directory = command.workingDirectory { return directory.path.withCString { spawn($0) } }
                return spawn(nil)
            }
            for fd in [outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
            outPipe[1] = -1; errPipe[1] = -1
            guard pid > 0 else { return fail(errorNumber) }

            let child = ChildProcess(pid: pid, command: command, wakeWrite: wake[1])
            result = .success(child)
            started.signal()
            child.collect(stdout: outPipe[0], stderr: errPipe[0], wake: wake[0])
            close(wake[1])
        }
    }

    /// Reads both streams until the child exits, honours a requested SIGKILL deadline, then
    /// reaps the child and hands the outcome to every waiter.
    private func collect(stdout: Int32, stderr: Int32, wake: Int32) {
        var out = Capture(command.stdout), err = Capture(command.stderr)
        var streams: [(fd: Int32, isOut: Bool)] = []
        if stdout >= 0 { streams.append((stdout, true)) }
        if stderr >= 0 { streams.append((stderr, false)) }
        for stream in streams { _ = fcntl(stream.fd, F_SETFL, O_NONBLOCK) }
        let pidfd = sceneflow_pidfd_open(pid)
        var exited = false
        var buffer = [UInt8](repeating: 0, count: 64 << 10)

        func drain(_ fd: Int32, isOut: Bool) -> Bool {
            // Returns false at end of file.
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    buffer.withUnsafeBytes { bytes in
                        let chunk = UnsafeRawBufferPointer(rebasing: bytes[0..<n])
                        if isOut { out.append(chunk) } else { err.append(chunk) }
                    }
                    continue
                }
                if n == 0 { return false }
                return errno == EINTR ? true : errno == EAGAIN || errno == EWOULDBLOCK
            }
        }

        while true {
            var fds = streams.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let wakeIndex = fds.count
            fds.append(pollfd(fd: wake, events: Int16(POLLIN), revents: 0))
            var pidIndex: Int?
            if pidfd >= 0 && !exited {
                pidIndex = fds.count
                fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0))
            }
            // Without a pidfd, exit is noticed by polling every 20 ms.
            var timeout: Int32 = exited ? 0 : pidfd >= 0 ? -1 : 20
            if !exited, let deadline = state.withLock({ $0.killDeadline }) {
                let remaining = ContinuousClock.now.duration(to: deadline)
                let ms = Int32(clamping: max(0, remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000))
                timeout = timeout < 0 ? ms : min(timeout, ms)
            }
            if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR { exited = true }

            if fds[wakeIndex].revents != 0 {
                var scratch = [UInt8](repeating: 0, count: 64)
                while Glibc.read(wake, &scratch, scratch.count) > 0 {}
            }
            var open: [(fd: Int32, isOut: Bool)] = []
            for (index, stream) in streams.enumerated() {
                let atEnd = (fds[index].revents != 0 || exited) && !drain(stream.fd, isOut: stream.isOut)
                if atEnd { close(stream.fd) } else { open.append(stream) }
            }
            streams = open
            let killDue = state.withLock { state -> Bool in
                guard let deadline = state.killDeadline, ContinuousClock.now >= deadline else { return false }
                state.killDeadline = nil
                return true
            }
            if killDue { send(SIGKILL) }
            if exited {
                // The child is gone and what it wrote was drained above; a grandchild holding
                // a pipe open must not keep us here.
                for stream in streams { close(stream.fd) }
                break
            }
            if let pidIndex { exited = fds[pidIndex].revents != 0 } else { exited = sceneflow_has_exited(pid) == 1 }
        }
        if pidfd >= 0 { close(pidfd) }
        close(wake)

        let outcome: ChildOutcome = state.withLock { state in
            var exitedNormally: Int32 = 0, code: Int32 = 0
            state.reaped = true
            _ = sceneflow_reap(pid, &exitedNormally, &code)
            let termination: Termination = exitedNormally == 1 ? .exited(code) : .signalled(code)
            let outcome = ChildOutcome(termination: termination, stdout: out.data, stderr: err.data,
                                       stdoutTruncated: out.truncated, stderrTruncated: err.truncated)
            state.outcome = outcome
            return outcome
        }
        let waiters = state.withLock { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }
}

/// One stream's captured bytes under its limit.
private struct Capture {
    let limit: Int
    let keep: Command.Output.Keep
    var data = Data()
    var truncated = false

    init(_ output: Command.Output) {
        switch output {
        case .discard: limit = 0; keep = .head
        case .capture(let limit, let keep): self.limit = max(0, limit); self.keep = keep
        }
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        switch keep {
        case .head:
            let room = limit - data.count
            if room >= bytes.count { data.append(contentsOf: bytes) } else {
                if room > 0 { data.append(contentsOf: bytes[0..<room]) }
                truncated = true
            }
        case .tail:
            data.append(contentsOf: bytes)
            if data.count > limit {
                data.removeFirst(data.count - limit)
                truncated = true
            }
        }
    }
}

/// A NULL-terminated array of C strings that lives as long as this value.
private final class CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [String]) {
        count = strings.count
        pointers = .allocate(capacity: strings.count + 1)
        for (i, string) in strings.enumerated() { pointers[i] = strdup(string) }
        pointers[strings.count] = nil
    }

    deinit {
        for i in 0..<count { free(pointers[i]) }
        pointers.deallocate()
    }
}

/// A child process asked for where none may start (the fast test tier).
public struct ChildProcessForbidden: Error, CustomStringConvertible, Sendable {
    public var executable: String
    public var description: String {
        "\(executable) was not started: SCENEFLOW_TEST_TIER=fast starts no process (tag the suite .endToEnd or .ffmpeg)"
    }
}
