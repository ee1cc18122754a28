import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate

/// The package root, found from this file's path, so tests read `samples/` wherever they run.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Files in a folder of the package, sorted, with the given extensions.
func files(in folder: String, extensions: Set<String>) -> [String] {
    let url = packageRoot.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { extensions.contains(URL(fileURLWithPath: $0).pathExtension) }.sorted().map { "\(folder)/\($0)" }
}

/// Validates a template given by its package-relative path; diagnostics name that path.
func validate(_ relativePath: String, inputs relativeInputs: String? = nil) throws -> [Diagnostic] {
    let absolute = packageRoot.appendingPathComponent(relativePath).path
    var loaded = LoadedTemplate.parse(bytes: try InputFileError.readFile(absolute), path: absolute)
    loaded.path = relativePath
    var diagnostics = loaded.validate()
    if let relativeInputs, let template = loaded.template {
        var inputs = HydrationInputs()
        try inputs.addInputsFile(path: packageRoot.appendingPathComponent(relativeInputs).path)
        let absoluteInputs = packageRoot.appendingPathComponent(relativeInputs).path
        diagnostics += InputValidator().validate(inputs, InputContext(loaded: loaded, template: template)).map {
            var d = $0
            if d.file == absoluteInputs { d.file = relativeInputs }
            return d
        }
    }
    return Diagnostic.sortedByPosition(diagnostics)
}

/// Parses an inline template (JSON or YAML by `name`'s extension).
func parse(_ text: String, name: String = "inline.json") -> LoadedTemplate {
    LoadedTemplate.parse(bytes: Array(text.utf8), path: name)
}
