import Foundation
@_exported import SceneFlowProcess


/// The package root, from this file's path.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `sceneflow` executable beside the test bundle (swift test builds every product).
public let sceneflowBinary: URL = {
    let directory = Bundle.main.bundleURL.hasDirectoryPath ? Bundle.main.bundleURL : Bundle.main.bundleURL.deletingLastPathComponent()
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let url = candidate.appendingPathComponent("sceneflow")
        if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return packageRoot.appendingPathComponent(".build/debug/sceneflow")
}()

public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs `sceneflow` with arguments (no shell), in `directory` (the package root by default),
/// through the same `ChildProcess` the product uses: both output streams are read as they come
/// (a child printing megabytes to standard error cannot block), nothing waits on a cooperative
/// thread, and a test cancelled by its time limit stops the child. A command still running
/// after `timeout` seconds is stopped and the call throws: one hung case fails on its own,
/// named, instead of using up its suite's time limit.
@discardableResult
public func sceneflow(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:],
                      timeout: Double = 300) async throws -> CommandResult {
    try await run(sceneflowBinary, arguments, in: directory, environment: environment, timeout: timeout)
}

/// Runs any program the same way (`dot`, `sqlite3`, `ffprobe`...), found on PATH by name.
@discardableResult
public func run(_ executable: URL, _ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:],
                timeout: Double = 300) async throws -> CommandResult {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    let child = try ChildProcess.launch(Command(executable, arguments: arguments, environment: env, workingDirectory: directory,
                                                stdout: .capture(limit: 256 << 20, keep: .head),
                                                stderr: .capture(limit: 64 << 20, keep: .head)))
    let timer = Task<Bool, Never> {
        guard (try? await Task.sleep(for: .milliseconds(Int(timeout * 1000)))) != nil else { return false }
        child.terminate()
        return true
    }
    let outcome = await withTaskCancellationHandler { await child.exit() } onCancel: { child.terminate() }
    timer.cancel()
    try Task.checkCancellation()
    if await timer.value {
        throw TestSupportError("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) did not end within \(timeout) s")
    }
    return CommandResult(status: outcome.termination.status,
                         stdout: String(decoding: outcome.stdout, as: UTF8.self),
                         stderr: String(decoding: outcome.stderr, as: UTF8.self))
}

/// `run` with the program looked up on PATH.
@discardableResult
public func run(_ program: String, _ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:],
                timeout: Double = 300) async throws -> CommandResult {
    guard let executable = Command.find(program) else { throw TestSupportError("\(program) is not on PATH") }
    return try await run(executable, arguments, in: directory, environment: environment, timeout: timeout)
}

/// One folder per test process for every temporary folder it makes, removed when the process
/// exits (so a test that forgets, or is stopped by its time limit, leaves nothing behind).
private let testRoot: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-tests-\(getpid())")
    try? FileManager.default.removeItem(at: url)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    atexit {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-tests-\(getpid())")
        try? FileManager.default.removeItem(at: path)
    }
    return url
}()

/// A fresh temporary folder (inside the test process's own, removed when it exits); callers
/// that make large ones still remove them as they finish.
public func temporaryDirectory() throws -> URL {
    let url = testRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Starts `sceneflow` in the background (output discarded), for tests that signal it mid-run.
public func launchSceneflow(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    return try ChildProcess.launch(Command(sceneflowBinary, arguments: arguments, environment: env, workingDirectory: packageRoot,
                                           stdout: .discard, stderr: .discard))
}

/// Once `ready()` holds (or the process ended, or `timeout` passed), sends `signal` and waits for
/// the process to exit; returns its exit status. Polls every 5 ms.
public func send(_ signal: Int32, to process: ChildProcess, when ready: @escaping @Sendable () -> Bool, timeout: Double = 60) async -> Int32 {
    _ = await waitUntil(timeout: timeout) { ready() || !process.isRunning }
    process.send(signal)
    return await process.exit().termination.status
}

/// Polls `condition` every `interval` until it holds or `timeout` seconds pass; returns whether it held.
/// Every polling loop in the tests goes through here, so none can spin forever.
@discardableResult
public func waitUntil(timeout: Double, interval: Double = 0.005, _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
    }
    return condition()
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Whether something accepts connections on a loopback port (a server has started).
public func isListening(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A loopback TCP port nobody listens on: bound, noted, closed.
public func unusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSupportError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TestSupportError("bind() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Runs `body`, failing the test (naming `label`) if it has not finished within `seconds`: one
/// slow or hung case of a property test fails by name. The body is cancelled at the deadline
/// (the scheduler, child processes and sleeps all stop on cancellation); one that ignored it would
/// still be stopped by its suite's time limit.
public func withDeadline(seconds: Double, _ label: String, _ body: @escaping @Sendable () async throws -> Void) async throws {
    let work = Task { try await body() }
    let timer = Task {
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        work.cancel()
    }
    defer { timer.cancel() }
    do {
        try await work.value
    } catch is CancellationError where timer.isCancelled == false && work.isCancelled {
        throw TestSupportError("\(label): did not finish within \(seconds) s")
    }
}
