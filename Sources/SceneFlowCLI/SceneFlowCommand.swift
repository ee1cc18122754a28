import ArgumentParser
import Foundation
import SceneFlowCore
import SceneFlowStore

/// `sceneflow`: the root command. Subcommands are thin: they parse arguments, call the
/// libraries, and print; all behaviour lives in SceneFlowCore and friends.
public struct SceneFlowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sceneflow",
        abstract: "Validate, diagram, plan and run UGC video templates as a typed dependency graph.",
        version: "0.1.0",
        subcommands: [ValidateCommand.self, GraphCommand.self, PlanCommand.self, RunCommand.self, BatchCommand.self,
                      ExplainCommand.self, AssetsCommand.self, RunsCommand.self, ModelsCommand.self]
    )

    public init() {}

    /// Entry point for the `sceneflow` executable: runs a command and maps every error to the
    /// exit status of the CLI contract in one place.
    public static func entryPoint(_ arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch let error as InputFileError {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            exit(withError: ExitCode(ExitStatus.cannotReadInput))
        } catch {
            exit(withError: error)
        }
    }
}

/// Exit statuses of the CLI contract.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Invalid template or inputs, or a run that finished with failed nodes.
    public static let failure: Int32 = 1
    /// Usage error, as swift-argument-parser reports it (EX_USAGE).
    public static let usage: Int32 = 64
    /// An input file cannot be read (EX_NOINPUT).
    public static let cannotReadInput: Int32 = 66
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--asset KEY=PATH`, `--inputs FILE`: the hydration inputs shared by validate, plan and run.
struct HydrationOptions: ParsableArguments {
    @Option(name: .customLong("asset"), help: ArgumentHelp("An asset for a slot (repeatable; a slot with max > 1 takes several).", valueName: "key=path"))
    var assets: [String] = []

    @Option(name: .customLong("inputs"), help: ArgumentHelp("A JSON file: {\"product_id\": \"...\", \"assets\": {\"key\": [\"a.png\"]}}.", valueName: "file"))
    var inputsFile: String?

    @Option(help: ArgumentHelp("Take the assets stored for this product (`sceneflow assets add`); --inputs and --asset override per slot.", valueName: "id"))
    var product: String?

    var isEmpty: Bool { assets.isEmpty && inputsFile == nil && product == nil }

    func validate() throws {
        for asset in assets where HydrationInputs.parseAssetArgument(asset) == nil {
            throw ValidationError("--asset expects KEY=PATH, got \"\(asset)\"")
        }
    }

    /// Reads the inputs: `--asset` wins over `--inputs`, which wins over `--product`'s stored files.
    func load(workspace: Workspace) throws -> HydrationInputs {
        var inputs = HydrationInputs()
        let flagged = Set(assets.compactMap { HydrationInputs.parseAssetArgument($0)?.key })
        if let inputsFile { try inputs.addInputsFile(path: inputsFile, overriddenKeys: flagged) }
        inputs.addArguments(assets)
        if let product {
            let explicit = Set(inputs.files.map(\.key))
            do {
                let stored = try WorkspaceDatabase(workspace: workspace).hydrationInputs(product: product, except: explicit)
                inputs.files += stored.files
                inputs.productID = product
            } catch {
                printErr("error: \(error)")
                throw ExitCode(ExitStatus.failure)
            }
        }
        return inputs
    }
}

/// `--workspace DIR` (else `SCENEFLOW_HOME`, else `./.sceneflow`).
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .customLong("workspace"), help: "The workspace folder (default: $SCENEFLOW_HOME, else ./.sceneflow).")
    var workspacePath: String?

    var workspace: Workspace { Workspace.resolve(explicit: workspacePath) }

    /// Opens the workspace database, or ends the command with its error.
    func database() throws -> WorkspaceDatabase {
        do { return try WorkspaceDatabase(workspace: workspace) } catch {
            printErr("error: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}

func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func printErr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
