import ArgumentParser
import SceneFlowBasics
import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate

struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a template (and, with inputs, the assets for one hydration) before anything is spent.",
        discussion: """
        Reports every problem in one pass, compiler style: file:line:column: severity: message [code] \
        (at json.path). Images are checked by content: type, structure (a truncated file is caught), \
        size, and every pixel decoded (ffmpeg, errors fatal). Exit status 0 when valid (warnings allowed), 1 when not, 66 when a file cannot be read.
        """
    )

    @Argument(help: "The template file (.json, .yaml or .yml).")
    var template: String

    @OptionGroup var hydration: HydrationOptions
    @OptionGroup var workspaceOptions: WorkspaceOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let loaded = try LoadedTemplate.load(path: template)
        let checked = CheckedTemplate(loaded)
        defer { Teardown.skip(loaded, checked as Any) }
        var diagnostics = checked?.diagnostics ?? loaded.validate()
        if !hydration.isEmpty, let checked {
            let inputs = try hydration.load(workspace: workspaceOptions)
            diagnostics += InputValidator().validate(inputs, InputContext(loaded: loaded, template: checked.template))
            diagnostics += ReplacementCheck.check(inputs.replacements(for: checked.graph), graph: checked.graph)
            diagnostics += await ImageDecodeCheck.diagnostics(loaded, inputs: inputs, replacements: inputs.replacements(for: checked.graph))
        } else {
            diagnostics += await ImageDecodeCheck.diagnostics(loaded)
        }
        diagnostics = Diagnostic.sortedByPosition(diagnostics)
        switch format {
        case .json:
            printOut(DiagnosticReport.json(diagnostics))
        case .text:
            if !diagnostics.isEmpty { printOut(DiagnosticReport.text(diagnostics)) }
            let errors = diagnostics.filter { $0.severity == .error }.count
            let warnings = diagnostics.count - errors
            let counts = [errors > 0 ? "\(errors) error\(errors == 1 ? "" : "s")" : nil,
                          warnings > 0 ? "\(warnings) warning\(warnings == 1 ? "" : "s")" : nil].compactMap { $0 }
            if errors == 0 {
                let scenes = loaded.template?.scenes.count ?? 0
                printErr("\(template): valid (\(scenes) scene\(scenes == 1 ? "" : "s")\(counts.isEmpty ? "" : ", " + counts.joined(separator: ", ")))")
            } else {
                printErr("\(template): invalid (\(counts.joined(separator: ", ")))")
            }
        }
        if diagnostics.hasErrors { throw CommandFailure(status: ExitStatus.failure, message: nil) }
    }
}
