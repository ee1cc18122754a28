import ArgumentParser
import SceneFlowCore

/// Loads and validates a template for a command that acts on it. An invalid template prints
/// the validator's diagnostics to standard error and ends the command with exit status 1,
/// so nothing is drawn, planned or spent on it.
struct ValidTemplate {
    var loaded: LoadedTemplate
    var template: Template
    var diagnostics: [Diagnostic]

    /// With `allowInvalid`, a decodable but invalid template is returned anyway (diagnostics
    /// still printed), for drawing a cycle.
    static func load(_ path: String, allowInvalid: Bool = false) throws -> ValidTemplate {
        let loaded = try LoadedTemplate.load(path: path)
        let diagnostics = loaded.validate()
        if !diagnostics.isEmpty { printErr(DiagnosticReport.text(diagnostics)) }
        guard let template = loaded.template, !diagnostics.hasErrors || allowInvalid else {
            let errors = diagnostics.filter { $0.severity == .error }.count
            printErr("\(path): invalid (\(errors) error\(errors == 1 ? "" : "s")); run `sceneflow validate \(path)` for details")
            throw ExitCode(ExitStatus.failure)
        }
        return ValidTemplate(loaded: loaded, template: template, diagnostics: diagnostics)
    }
}
