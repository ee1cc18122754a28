import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema (draft 2020-12) of template-v1, for editors and other tools.",
        discussion: """
        Model ids are enumerated from the registry, so an editor completes them. Point a template at \
        the schema with "$schema" (SceneFlow ignores that field). The schema checks the shape of a \
        template; `sceneflow validate` also checks what a schema cannot: references between ids, \
        cycles, durations and limits of the chosen models, files.
        """
    )

    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    func run() async throws {
        if let output { try OutputPath.check(output, notOver: []) }
        try emit(Data(TemplateSchema.json().utf8), to: output)
    }
}
