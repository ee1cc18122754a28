import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowGraphviz
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

extension DiagramFormat: ExpressibleByArgument {}
extension DiagramBuilder.View: ExpressibleByArgument {}

struct GraphCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw the template's dependency diagram (in-process through Graphviz's libcgraph/libgvc).",
        discussion: """
        One box per scene in playback order; edges styled by type with a legend; the critical path \
        in bold. With --run, nodes are filled by their status in that run and finished frames show \
        a thumbnail. The output's extension must agree with --format (svg, png, pdf, dot or gv, json); \
        the template itself is never overwritten.
        """
    )

    @Argument(help: "The template file.")
    var template: String

    @Option(name: .shortAndLong, help: "Write to this file (atomically) instead of standard output.")
    var output: String?

    @Option(help: "svg, png, pdf, dot or json (default: from the output file's extension, else svg).")
    var format: DiagramFormat?

    @Option(help: "A run id (or a unique prefix), a run folder or its run.json: colour nodes by their status in that run.")
    var run: String?

    @Flag(help: "Draw an invalid template anyway (a cycle is highlighted); still exits 1.")
    var allowInvalid = false

    @Flag(help: "Leave out the legend.")
    var noLegend = false

    @Option(help: "detail (every node) or overview (one box per scene). Default: detail up to 20 scenes, overview beyond.")
    var view: DiagramBuilder.View?

    @Option(help: ArgumentHelp("Draw these scenes in full detail, by position: 12..30, or 5.", valueName: "first..last"))
    var scenes: String?

    /// Where `--run` looks up picked takes (`sceneflow takes pick`).
    @OptionGroup var workspaceOptions: WorkspaceOptions

    func validate() throws {
        if let scenes, Self.range(scenes) == nil {
            throw ValidationError("--scenes takes scene positions like 12..30 (or one, like 5), counting from 1; got \"\(scenes)\"")
        }
    }

    static func range(_ text: String) -> ClosedRange<Int>? {
        let parts = text.replacingOccurrences(of: "...", with: "..").components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let a = Int(parts[0]), let b = Int(parts.last!), a >= 1, b >= a else { return nil }
        return a...b
    }

    /// The diagram options of the command line.
    func diagramOptions(_ base: DiagramBuilder.Options = .init(), sceneCount: Int) throws -> DiagramBuilder.Options {
        var options = base
        options.showLegend = !noLegend
        options.view = view
        if let scenes, let range = Self.range(scenes) {
            guard range.lowerBound <= sceneCount, range.upperBound <= sceneCount else { throw CommandFailure.usage("--scenes \(scenes): the template has \(sceneCount) scene\(sceneCount == 1 ? "" : "s")") }
            options.scenes = range.lowerBound...min(range.upperBound, sceneCount)
            if view == .overview { throw CommandFailure.usage("--scenes draws scenes in detail; leave out --view overview") }
        }
        return options
    }

    func run() async throws {
        let format = try resolvedFormat()
        let checked = try ValidTemplate.load(template, allowInvalid: allowInvalid, json: format == .json && output == nil)
        defer { Teardown.skip(checked) }
        if let output { try OutputPath.check(output, notOver: [template] + (run.map { [$0, $0 + "/run.json"] } ?? [])) }
        let graph = checked.graph
        let data: Data
        if format == .json {
            data = Data((GraphJSON.encode(graph) + "\n").utf8)
        } else if let run {
            let loaded = try RunReference.load(run, workspace: workspaceOptions)
            guard loaded.report.template.id == checked.id else {
                throw CommandFailure.error("\(run) is a run of template \"\(loaded.report.template.id)\", not of \"\(checked.id)\" (\(template))")
            }
            var runOptions = DiagramBuilder.Options(run: loaded, graph: graph)
            let picks = try workspaceOptions.picks(template: loaded.report.template.id)
            for node in loaded.report.nodes {
                guard let key = node.jobKey ?? node.cacheKey, let picked = picks[key], picked == (node.take ?? 1) else { continue }
                runOptions.takes[node.id] = "take \(picked), picked"
            }
            let options = try diagramOptions(runOptions, sceneCount: graph.scenes.count)
            let diagram = DiagramBuilder(graph: graph, template: checked.template, options: options).build()
            let rendered = try await GraphvizRenderer.shared.render(diagram, format: format)
            // Thumbnails: relative to the run folder when the diagram is written there, else embedded.
            let base = output.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent() }
            data = format == .svg ? Data(SVGImages.relativize(String(decoding: rendered, as: UTF8.self),
                                                               folder: base == loaded.folder ? loaded.folder : nil).utf8) : rendered
        } else {
            let options = try diagramOptions(sceneCount: graph.scenes.count)
            data = try await GraphvizRenderer.shared.render(DiagramBuilder(graph: graph, template: checked.template, options: options).build(), format: format)
        }
        try emit(data, to: output)
        if !checked.isValid { throw CommandFailure(status: ExitStatus.failure, message: nil) }
    }

    /// `--format`, else the output's extension, else SVG; an extension that is not the format's is refused.
    func resolvedFormat() throws -> DiagramFormat {
        guard let output else { return format ?? .svg }
        let ext = URL(fileURLWithPath: output).pathExtension
        let fromExtension = DiagramFormat(fileExtension: ext)
        if ext.isEmpty { return format ?? .svg }
        guard let fromExtension else {
            throw CommandFailure.usage("-o \(output): .\(ext) is not a diagram format; use .svg, .png, .pdf, .dot (or .gv) or .json")
        }
        if let format, format != fromExtension {
            throw CommandFailure.usage("-o \(output) names a .\(ext) file but --format is \(format.rawValue); make them agree")
        }
        return fromExtension
    }
}

/// Where a command writes a file the user named (`-o`): never over one of its own inputs.
enum OutputPath {
    static func check(_ path: String, notOver inputs: [String]) throws {
        let target = resolved(path)
        for input in inputs where FileManager.default.fileExists(atPath: input) && resolved(input) == target {
            throw CommandFailure.usage("-o \(path) is an input of this command (\(input)); choose another file")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CommandFailure.usage("-o \(path) is a folder; name a file")
        }
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

/// Writes command output to a file atomically, or to standard output.
func emit(_ data: Data, to path: String?) throws {
    guard let path else {
        FileHandle.standardOutput.write(data)
        return
    }
    try AtomicFile.write(data, to: URL(fileURLWithPath: path).standardizedFileURL)
    printErr("wrote \(path)")
}
