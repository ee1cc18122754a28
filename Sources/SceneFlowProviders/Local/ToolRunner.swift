import Foundation
import SceneFlowCore
import SceneFlowProcess

/// Runs one of the local engine's tools (ffmpeg, ffprobe, espeak-ng) with an argument list,
/// never through a shell, through `ChildProcess`: standard input is `/dev/null`, standard output
/// is captured up to 16 MiB, standard error's last 64 KiB are kept for the error message, and a
/// cancelled task stops the tool (SIGTERM, then SIGKILL after two seconds).
struct ToolRunner: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var tool: String
        var termination: Termination
        var stderr: String
        /// The tool's own last words, which name the real problem ("Invalid data found...").
        var description: String {
            let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            return "\(tool) \(termination): \(lines.suffix(3).joined(separator: " | "))"
        }
    }

    /// Finds an executable on PATH.
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        Command.find(name, environment: environment)
    }

    let executable: URL

    /// Runs to completion; throws `Failure` for a non-zero exit, `CancellationError` when cancelled.
    @discardableResult
    func run(_ arguments: [String], in directory: URL? = nil) async throws -> (stdout: Data, stderr: String) {
        let command = Command(executable, arguments: arguments, workingDirectory: directory, stdout: .capture(limit: 16 << 20, keep: .head),
                              stderr: .capture(limit: 64 << 10, keep: .tail))
        let outcome = try await ChildProcess.run(command)
        let stderr = String(decoding: outcome.stderr, as: UTF8.self)
        guard outcome.succeeded else {
            throw Failure(tool: executable.lastPathComponent, termination: outcome.termination, stderr: stderr)
        }
        return (outcome.stdout, stderr)
    }
}
