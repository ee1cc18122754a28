import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowGraphviz

extension DiagramFormat: ExpressibleByArgument {}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the template's dependency diagram (in-process through Graphviz's libcgraph/libgvc).",
        discussion: "One cluster per scene in playback order; edges styled by type with a legend; the critical path in bold. With --run, nodes are filled by their status in that run and finished frames show a thumbnail."
    )

    @Argument(help: "The template file.")
    var template: String

    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "svg, png, pdf, dot or json (default: from the output file's extension, else svg).")
    var format: DiagramFormat?

    @Option(help: "A run folder or its run.json: colour nodes by their status in that run.")
    var run: String?

    @Flag(help: "Draw an invalid template anyway (a cycle is highlighted); still exits 1.")
    var allowInvalid = false

    @Flag(help: "Leave out the legend.")
    var noLegend = false

    func run() async throws {
        let valid = try ValidTemplate.load(template, allowInvalid: allowInvalid)
        let format = self.format ?? output.flatMap { DiagramFormat(fileExtension: URL(fileURLWithPath: $0).pathExtension) } ?? .svg
        let graph = SceneGraph(template: valid.template)
        let data: Data
        if format == .json {
            data = Data((GraphJSON.encode(graph) + "\n").utf8)
        } else {
            var options = try run.map { DiagramBuilder.Options(run: try RunStatuses.read($0), graph: graph) } ?? DiagramBuilder.Options()
            options.showLegend = !noLegend
            let diagram = DiagramBuilder(graph: graph, template: valid.template, options: options).build()
            data = try await GraphvizRenderer.shared.render(diagram, format: format)
        }
        try emit(data, to: output)
        if valid.diagnostics.hasErrors { throw ExitCode(ExitStatus.failure) }
    }
}

/// Writes command output to a file atomically, or to standard output.
func emit(_ data: Data, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(data)
        return
    }
    do {
        try AtomicFile.write(data, to: URL(fileURLWithPath: path))
    } catch {
        printErr("error: \(error)")
        throw ExitCode(ExitStatus.failure)
    }
    printErr("wrote \(path)")
}
