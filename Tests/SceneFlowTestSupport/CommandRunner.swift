import Foundation

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

/// Runs `sceneflow` with arguments (no shell), in `directory` (the package root by default).
///
/// The wait happens on a Dispatch thread, not on one of Swift concurrency's few cooperative
/// threads: tests run in parallel, and a test blocked on a child process must not stall the
/// others' awaits. At most `childLimit` run at once, as when they held the two cooperative
/// threads: unbounded, every CLI test spawned at once on two cores, and Foundation's Process
/// on Linux crashed inside libdispatch (`_dispatch_event_loop_drain`, swift-subprocess#47).
@discardableResult
public func sceneflow(_ arguments: [String], in directory: URL = packageRoot, environment: [String: String] = [:]) async throws -> CommandResult {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            childLimit.wait()
            defer { childLimit.signal() }
            continuation.resume(with: Result { try runSceneflow(arguments, in: directory, environment: environment) })
        }
    }
}

private let childLimit = DispatchSemaphore(value: 2)

private func runSceneflow(_ arguments: [String], in directory: URL, environment: [String: String]) throws -> CommandResult {
    let process = Process()
    process.executableURL = sceneflowBinary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    process.environment = env
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes before waiting so a large output cannot block the child.
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A fresh temporary folder, removed by the caller.
public func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sceneflow-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Starts `sceneflow` in the background (output discarded), for tests that signal it mid-run.
public func launchSceneflow(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = sceneflowBinary
    process.currentDirectoryURL = packageRoot
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    process.environment = env
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

/// Once `ready()` holds (or the process ended, or `timeout` passed), sends `signal` and waits for
/// the process to exit; returns its exit status. Watched from a Dispatch thread, polling every
/// 5 ms: a mid-run window must not depend on a free cooperative thread.
public func send(_ signal: Int32, to process: Process, when ready: @escaping @Sendable () -> Bool, timeout: Double = 60) async -> Int32 {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(timeout)
            while !ready() && Date() < deadline && process.isRunning { usleep(5_000) }
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            continuation.resume(returning: process.terminationStatus)
        }
    }
}
