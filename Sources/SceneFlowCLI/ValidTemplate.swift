import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowProviders

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

/// Downloads the template's https avatar and background images into the workspace before a
/// run (see `RemoteImages`); a failure ends the command, naming every URL that failed.
enum RemoteImageInputs {
    static func fetch(_ valid: ValidTemplate, workspace: Workspace) async throws -> [String: URL] {
        let urls = RemoteImages.references(in: valid.template, directory: valid.loaded.directory)
        do {
            return try await RemoteImages.fetch(urls, into: workspace.remoteImagesDirectory)
        } catch {
            printErr("\(error)")
            printErr("nothing was run")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
