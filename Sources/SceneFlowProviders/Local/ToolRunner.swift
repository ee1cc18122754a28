import Foundation
import SceneFlowCore

/// Runs a command-line tool with an argument list (never through a shell), cancellably.
struct ToolRunner: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var tool: String
        var status: Int32
        var stderr: String
        /// The tool's own last words, which name the real problem ("Invalid data found...").
        var description: String {
            let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            return "\(tool) exited with status \(status): \(lines.suffix(3).joined(separator: " | "))"
        }
    }

    /// Finds an executable on PATH.
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    let executable: URL

    /// Runs to completion; a cancelled task terminates the process (SIGTERM, then SIGKILL).
    @discardableResult
    func run(_ arguments: [String], stdin: Data? = nil) async throws -> (stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        // Collect output as it comes, so a chatty tool never blocks on a full pipe.
        let collector = OutputCollector()
        out.fileHandleForReading.readabilityHandler = { collector.append(out: $0.availableData) }
        err.fileHandleForReading.readabilityHandler = { collector.append(err: $0.availableData) }
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do {
                    try process.run()
                    if let stdin {
                        input.fileHandleForWriting.write(stdin)
                        try? input.fileHandleForWriting.close()
                    }
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if process.isRunning {
                process.terminate()
                DispatchQueue.global().asyncAfter(deadline: .now() + 2) { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
            }
        }
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        collector.append(out: out.fileHandleForReading.readDataToEndOfFile())
        collector.append(err: err.fileHandleForReading.readDataToEndOfFile())
        try Task.checkCancellation()
        let result = collector.result()
        guard status == 0 else {
            throw Failure(tool: executable.lastPathComponent, status: status, stderr: String(decoding: result.err, as: UTF8.self))
        }
        return (result.out, String(decoding: result.err, as: UTF8.self))
    }
}

private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func append(out data: Data) { lock.lock(); out.append(data); lock.unlock() }
    func append(err data: Data) { lock.lock(); err.append(data); lock.unlock() }
    func result() -> (out: Data, err: Data) { lock.lock(); defer { lock.unlock() }; return (out, err) }
}
