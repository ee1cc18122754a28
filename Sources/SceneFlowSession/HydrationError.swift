import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// Why a hydration cannot start (nothing has been spent when one of these is thrown). The
/// command line maps each to an exit status in one place (`SceneFlowCommand`), the server to an
/// HTTP status.
public enum HydrationError: Error, Sendable, CustomStringConvertible {
    /// The hydration inputs do not fit the template (slot counts, files, types, images).
    case invalidInputs([Diagnostic])
    /// A target or a `--regenerate` name that is no node, scene or stage.
    case unknownName(String)
    /// Provider keys the run's models need and the environment lacks.
    case missingKeys([String])
    /// A provider base URL or other setting that cannot work.
    case configuration(String)
    /// ffmpeg, ffprobe or espeak-ng missing.
    case missingTools(String)
    /// Avatar or background images given as https URLs that could not be fetched.
    case remoteImages(String)
    /// The workspace or run folder cannot be used.
    case folder(String)
    /// The estimate of what would run is above the budget.
    case overBudget(String)
    /// A file that cannot be read.
    case unreadable(InputFileError)
    /// The run could not be recorded (its folder, report or history row): a full disk, a
    /// read-only workspace. It was not started.
    case unrecordable(String)

    public var description: String {
        switch self {
        case .invalidInputs(let diagnostics): return DiagnosticReport.text(diagnostics)
        case .unknownName(let message): return "error: \(message)"
        case .missingKeys(let missing):
            let them = missing.count == 1 ? "it" : "them"
            return "error: \(missing.joined(separator: ", ")) \(missing.count == 1 ? "is" : "are") not set; this run's models need \(them). Set \(them) in the environment, or run with --offline."
        case .configuration(let message), .missingTools(let message), .folder(let message), .overBudget(let message), .unrecordable(let message):
            return "error: \(message)"
        case .remoteImages(let message): return "\(message)\nnothing was run"
        case .unreadable(let error): return error.description
        }
    }
}
