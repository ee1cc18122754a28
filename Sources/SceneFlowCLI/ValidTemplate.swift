import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

/// Loads and checks a template for a command that acts on it. An invalid template prints the
/// validator's diagnostics to standard error and ends the command with exit status 1, so
/// nothing is drawn, planned or spent on it.
enum ValidTemplate {
    /// With `allowInvalid`, a decodable but invalid template is returned anyway (diagnostics
    /// still printed), for drawing a cycle.
    /// With `json`, the command's output is JSON: an invalid template's diagnostics go to
    /// standard output as `validate --format json` prints them (and warnings stay off it).
    static func load(_ path: String, allowInvalid: Bool = false, json: Bool = false) throws -> CheckedTemplate {
        let loaded = try LoadedTemplate.load(path: path)
        let checked = CheckedTemplate(loaded)
        let diagnostics = checked?.diagnostics ?? loaded.validate()
        let valid = checked.map { $0.isValid || allowInvalid } ?? false
        if json && !valid {
            printOut(DiagnosticReport.json(diagnostics))
        } else if !diagnostics.isEmpty {
            printErr(DiagnosticReport.text(diagnostics))
        }
        guard let checked, checked.isValid || allowInvalid else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            throw CommandFailure(status: ExitStatus.failure,
                                 message: "\(path): invalid (\(errors) error\(errors == 1 ? "" : "s")); run `sceneflow validate \(path)` for details")
        }
        return checked
    }
}

extension RunHistoryStore {
    /// Settles runs a dead process left `running` (`interrupted`, in the history and their
    /// reports); a failure to do so is said, and does not stop the command.
    func settleAbandonedRunsOrWarn() {
        do { try settleAbandonedRuns() } catch { printErr("warning: runs left unfinished by a stopped process could not be marked interrupted: \(error)") }
    }
}
