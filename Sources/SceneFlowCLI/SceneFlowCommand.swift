import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTeam
import SceneFlowTemplate

/// `sceneflow`: the root command. Subcommands are thin: they parse arguments, call the
/// libraries, and print; all behaviour lives in SceneFlowTemplate, SceneFlowRun, SceneFlowSession and friends.
public struct SceneFlowCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "sceneflow",
        abstract: "Validate, diagram, plan and run UGC video templates as a typed dependency graph.",
        discussion: """
        Exit status: 0 success (warnings allowed); 1 invalid template or inputs, or a run with failed \
        nodes; 64 usage error; 66 a file that cannot be read; 128+N stopped by signal N (130 for Ctrl-C).
        """,
        version: SceneFlowVersion.current,
        subcommands: [ValidateCommand.self, GraphCommand.self, PlanCommand.self, RunCommand.self, BatchCommand.self,
                      ExplainCommand.self, TakesCommand.self, AssetsCommand.self, RunsCommand.self, ModelsCommand.self, SchemaCommand.self, ServeCommand.self, DatabaseCommand.self, LimitsCommand.self, WorkerCommand.self]
    )

    public init() {}

    /// Entry point for the `sceneflow` executable: runs a command and maps every error to the
    /// exit status of the CLI contract, here and nowhere else.
    public static func entryPoint(_ arguments: [String]? = nil) async -> Never {
        // A closed pipe is an EPIPE from `write`, handled where output is written.
        signal(SIGPIPE, SIG_IGN)
        var command: ParsableCommand
        do { command = try parseAsRoot(arguments) } catch { exit(withError: error) }
        do {
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch {
            if let (status, message) = ExitStatus.of(error) {
                if let message, !message.isEmpty { printErr(message) }
                Foundation.exit(status)
            }
            // argument-parser's own (a ValidationError is a usage error, an ExitCode a chosen status,
            // and the help its `help` command and `--help` ask for: a CommandError it does not
            // make public) are printed and mapped by it.
            if error is ValidationError || error is ExitCode || error is CleanExit || String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
                exit(withError: error)
            }
            // Anything else is said in words, never as a Foundation error dump.
            printErr("error: \(ErrorText.describe(error))")
            Foundation.exit(ExitStatus.failure)
        }
    }
}

/// Exit statuses of the CLI contract, and the one mapping from errors to them.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// Invalid template or inputs, or a run that finished with failed nodes.
    public static let failure: Int32 = 1
    /// Usage error, as swift-argument-parser reports it (EX_USAGE).
    public static let usage: Int32 = 64
    /// An input file cannot be read (EX_NOINPUT).
    public static let cannotReadInput: Int32 = 66

    /// The status and message for an error SceneFlow throws; `nil` for argument-parser's own
    /// errors (usage, help, version), which it prints and maps itself.
    static func of(_ error: Error) -> (Int32, String?)? {
        switch error {
        case let failure as CommandFailure: return (failure.status, failure.message)
        case let error as InputFileError: return (cannotReadInput, error.description)
        case let error as HydrationError:
            switch error {
            case .unreadable: return (cannotReadInput, error.description)
            // An unknown target or --regenerate name, an --out that is not a run folder: bad flags.
            case .unknownName, .folder: return (usage, error.description)
            default: return (failure, error.description)
            }
        case let error as AtomicFile.WriteError: return (failure, "error: \(error)")
        case let error as StoreError: return (failure, "error: \(error)")
        case let error as Workspace.Problem: return (failure, "error: \(error)")
        default: return nil
        }
    }
}

/// A command that ends with a status (and a message for standard error).
struct CommandFailure: Error {
    var status: Int32
    var message: String?

    /// Exit 1 with "error: ...".
    static func error(_ message: String) -> CommandFailure { CommandFailure(status: ExitStatus.failure, message: "error: \(message)") }
    /// Exit 64 with "error: ...", for values that flags cannot express as a type.
    static func usage(_ message: String) -> CommandFailure { CommandFailure(status: ExitStatus.usage, message: "error: \(message)") }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--asset KEY=PATH`, `--inputs FILE`, `--product ID`, `--avatar ID=PATH`, `--background ID=PATH`:
/// the hydration inputs shared by validate, plan and run.
struct HydrationOptions: ParsableArguments {
    @Option(name: .customLong("asset"), help: ArgumentHelp("An asset for a slot (repeatable; a slot with max > 1 takes several).", valueName: "key=path"))
    var assets: [String] = []

    @Option(name: .customLong("inputs"), help: ArgumentHelp("A JSON file: {\"product_id\": \"...\", \"assets\": {\"key\": [\"a.png\"]}, \"avatars\": {\"id\": \"a.png\"}, \"backgrounds\": {...}}.", valueName: "file"))
    var inputsFile: String?

    @Option(help: ArgumentHelp("Take the assets stored for this product (`sceneflow assets add`); --inputs and --asset override per slot.", valueName: "id"))
    var product: String?

    @Option(name: .customLong("avatar"), help: ArgumentHelp("Replace the template's avatar image for this hydration (repeatable).", valueName: "id=path"))
    var avatars: [String] = []

    @Option(name: .customLong("background"), help: ArgumentHelp("Replace the template's background image for this hydration (repeatable).", valueName: "id=path"))
    var backgrounds: [String] = []

    var isEmpty: Bool { assets.isEmpty && inputsFile == nil && product == nil && avatars.isEmpty && backgrounds.isEmpty }

    func validate() throws {
        for asset in assets where HydrationInputs.parseAssetArgument(asset) == nil {
            throw ValidationError("--asset expects KEY=PATH, got \"\(Slug.shown(asset))\"")
        }
        for (flag, values) in [("--avatar", avatars), ("--background", backgrounds)] {
            var seen: [String: String] = [:]
            for value in values {
                guard let (id, path) = HydrationInputs.parseAssetArgument(value) else {
                    throw ValidationError("\(flag) expects ID=PATH, got \"\(Slug.shown(value))\"")
                }
                // One image replaces one avatar or background: a second would silently win.
                if let first = seen[id] {
                    throw ValidationError("\(flag) \(Slug.shown(id)) is given twice (\(Slug.shown(first)) and \(Slug.shown(path))); give each id once")
                }
                seen[id] = path
            }
        }
        if let product, let problem = Slug.problem(product) {
            throw ValidationError("--product \"\(Slug.shown(product))\" is not a valid product id: \(problem)")
        }
    }

    /// Reads the inputs: `--asset` wins over `--inputs`, which wins over `--product`'s stored files.
    func load(workspace: WorkspaceOptions) throws -> HydrationInputs {
        var inputs = HydrationInputs()
        let flagged = Set(assets.compactMap { HydrationInputs.parseAssetArgument($0)?.key })
        if let inputsFile { try inputs.addInputsFile(path: inputsFile, overriddenKeys: flagged) }
        inputs.addArguments(assets)
        inputs.addReplacements(avatars: avatars, backgrounds: backgrounds)
        if let product {
            let explicit = Set(inputs.files.map(\.key))
            let stored = try workspace.existingDatabase().hydrationInputs(product: product, except: explicit, requireAssets: true)
            inputs.files += stored.files
            inputs.storedReplacements = stored.storedReplacements
            inputs.productID = product
        }
        return inputs
    }
}

/// `--workspace DIR` (else `SCENEFLOW_HOME`, else `./.sceneflow`).
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .customLong("workspace"), help: "The workspace folder (default: $SCENEFLOW_HOME, else ./.sceneflow).")
    var workspacePath: String?

    @Option(name: .customLong("database"), help: ArgumentHelp("Team mode: the PostgreSQL database (default: $SCENEFLOW_DATABASE_URL).", valueName: "postgres://user:password@host/db"))
    var databaseURL: String?

    @Option(name: .customLong("objects"), help: ArgumentHelp("Team mode: where bytes are shared (default: $SCENEFLOW_OBJECTS).", valueName: "file:///path|s3://bucket/prefix"))
    var objectsURL: String?

    var workspace: Workspace { Workspace.resolve(explicit: workspacePath) }

    /// Team mode's settings (none: the embedded default).
    func team() throws -> TeamConfiguration {
        do { return try TeamConfiguration.resolve(database: databaseURL, objects: objectsURL) } catch {
            throw CommandFailure.error("\(error)")
        }
    }

    /// A workspace named on the command line that exists but is not a folder is a usage error
    /// (exit 64), caught before anything is read or written.
    func validate() throws {
        guard let workspacePath else { return }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: workspacePath, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("--workspace \(workspacePath) is a file, not a folder")
        }
    }

    /// The store: the workspace's database, created if there is none (commands that store or
    /// run), or in team mode the team's database and shared bytes.
    func database() throws -> any Store {
        let team = try team()
        do { return try team.openStore(workspace: workspace, create: true, notices: { printErr("warning: \($0)") }) } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure.error("\(error)")
        }
    }

    /// The store of a workspace that must exist already (commands that only read it): a
    /// mistyped `--workspace` cannot be read (66) and creates nothing. In team mode, the team's.
    func existingDatabase() throws -> any Store {
        let team = try team()
        do { return try team.openStore(workspace: workspace, create: false, notices: { printErr("warning: \($0)") }) } catch let error as StoreError where error.isMissing {
            throw InputFileError(path: workspace.root.path, reason: error.description.replacingOccurrences(of: "there is no workspace at \(workspace.root.path) ", with: "no workspace here "))
        } catch let error as CommandFailure {
            throw error
        } catch {
            throw CommandFailure.error("\(error)")
        }
    }

    /// A template's picks, read without creating anything: none when the workspace has no
    /// database yet (embedded), the team's otherwise.
    func picks(template: String) throws -> [String: Int] {
        if try !team().isTeam, !FileManager.default.fileExists(atPath: workspace.root.appendingPathComponent("sceneflow.sqlite").path) { return [:] }
        return try database().picks(template: template)
    }

    /// The hydration session over `store`, sharing outputs with every host in team mode.
    func session(store: any Store, generators: GeneratorSet) throws -> HydrationSession {
        let team = try team()
        let notices: @Sendable (String) -> Void = { printErr("warning: \($0)") }
        var session = HydrationSession(workspace: workspace, store: store, generators: generators)
        do { session.sharedObjects = try team.sharedObjects(workspace: workspace, notices: notices) } catch {
            throw CommandFailure.error("\(error)")
        }
        session.notices = notices
        if team.isTeam {
            let pool = try team.pool()
            session.teamLimits = TeamLimiter(pool: pool)
            session.teamJournal = PostgresJournal(pool: pool)
        }
        return session
    }

    /// A location that names where the store is, for messages.
    func storeName() -> String {
        (try? team()).flatMap { $0.database.map { "the database \($0)" } } ?? workspace.root.path
    }
}

/// Standard output: results (and, with `--json`, only NDJSON).
func printOut(_ text: String) {
    writeAll(1, Array((text + "\n").utf8))
}

/// Writes every byte to `fd`. A reader that went away (`sceneflow runs list | head -1`) ends the
/// command as SIGPIPE would (128 + 13, with nothing printed), never with a crash.
func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
        if n < 0 {
            if errno == EINTR { continue }
            if errno == EPIPE { exit(128 + SIGPIPE) }
            return
        }
        offset += n
    }
}

/// Standard error: messages for people, with control characters from inputs made visible
/// (an id or path cannot move the cursor or change colours).
func printErr(_ text: String) {
    writeAll(2, Array((Terminal.visible(text) + "\n").utf8))
}

enum Terminal {
    /// Control characters other than newline and tab shown as `\u{1b}`.
    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F || (0x80..<0xA0).contains($0.value) }) else { return text }
        return text.unicodeScalars.map { s in
            (s.value < 0x20 && s != "\n" && s != "\t") || s.value == 0x7F || (0x80..<0xA0).contains(s.value) ? "\\u{\(String(s.value, radix: 16))}" : String(s)
        }.joined()
    }
}
