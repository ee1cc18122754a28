import Foundation
import SceneFlowBasics
import SceneFlowProcess
import SceneFlowRun
import SceneFlowTemplate

/// Runs one of the local engine's tools (ffmpeg, ffprobe, espeak-ng) with an argument list,
/// never through a shell, through `ChildProcess`: standard input is `/dev/null`, standard output
/// is captured up to 16 MiB, standard error's last 64 KiB are kept for the error message, and a
/// cancelled task stops the tool (SIGTERM, then SIGKILL after two seconds).
struct ToolRunner: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var tool: String
        var termination: Termination
        var stderr: String
        /// A folder the tool worked in whose disk is full (a tool that ran out of space often
        /// says only that its output is invalid).
        var fullDisk: String? = nil
        /// The tool's own last words, which name the real problem ("Invalid data found..."), and
        /// a full disk if that is what it met.
        var description: String {
            let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            let full = fullDisk.map { "; the disk holding \($0) is full (No space left on device)" } ?? ""
            return "\(tool) \(termination): \(lines.suffix(3).joined(separator: " | "))\(full)"
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
            var folders: [String] = directory.map { [$0.path] } ?? []
            folders += arguments.filter { $0.hasPrefix("file:") }.map { URL(fileURLWithPath: String($0.dropFirst(5))).deletingLastPathComponent().path }
            throw Failure(tool: executable.lastPathComponent, termination: outcome.termination, stderr: stderr,
                          fullDisk: folders.first(where: Self.isOnFullDisk))
        }
        return (outcome.stdout, stderr)
    }

    /// Whether the file system holding `path` has less than 1 MiB left for unprivileged writers:
    /// by the time a tool has failed on a full disk, other jobs may have freed a little of it
    /// (their scratch removed), so "full" is "too full to write a frame", not "zero".
    static func isOnFullDisk(_ path: String) -> Bool {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return false }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize) < 1 << 20
    }
}
