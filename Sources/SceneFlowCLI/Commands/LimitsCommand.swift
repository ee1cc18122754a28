import ArgumentParser
import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTeam
import SceneFlowTemplate

/// `sceneflow limits set|list`: providers' concurrency across every process and host of a team.
struct LimitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limits",
        abstract: "Team mode: a provider's concurrency across every process and host (runs, servers and workers).",
        discussion: "In the embedded default, limits are per process: `--limit PROVIDER=N` on run, batch and serve.",
        subcommands: [Set.self, List.self]
    )

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a provider's limit (0 stops its jobs starting).")
        @Argument(help: ArgumentHelp("The provider: \(Provider.allCases.map(\.rawValue).joined(separator: ", ")); or `run`: queued runs hydrated at once by the team's workers.")) var provider: String
        @Argument(help: "How many of its jobs may run at once, across the team (0 to 1000).") var slots: Int
        @OptionGroup var workspaceOptions: WorkspaceOptions

        func validate() throws {
            guard Provider(rawValue: provider) != nil || provider == JobQueue.runProvider else {
                throw ValidationError("\"\(Slug.shown(provider))\" is not a provider; use one of \(Provider.allCases.map(\.rawValue).joined(separator: ", ")), or \(JobQueue.runProvider)")
            }
            guard (0...1000).contains(slots) else { throw ValidationError("a limit is 0 to 1000, got \(slots)") }
        }

        func run() async throws {
            let queue = try await LimitsCommand.queue(workspaceOptions)
            do {
                try await queue.setLimit(provider: provider, slots: slots)
                await queue.close()
            } catch {
                await queue.close()
                throw CommandFailure.error("\(error)")
            }
            printOut("\(provider): at most \(slots) at once across the team")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each provider's limit and how many of its slots are in use now.")
        @Option(help: "Output format: text or json.") var format: OutputFormat = .text
        @OptionGroup var workspaceOptions: WorkspaceOptions

        struct Row: Codable {
            var provider: String
            var limit: Int
            var inUse: Int
            enum CodingKeys: String, CodingKey { case provider, limit, inUse = "in_use" }
        }

        func run() async throws {
            let queue = try await LimitsCommand.queue(workspaceOptions)
            let limits: [JobQueue.Limit]
            do { limits = try await queue.limits() } catch {
                await queue.close()
                throw CommandFailure.error("\(error)")
            }
            await queue.close()
            if format == .json {
                printOut(String(decoding: try JSONCoding.pretty.encode(limits.map { Row(provider: $0.provider, limit: $0.slots, inUse: $0.inUse) }), as: UTF8.self))
                return
            }
            if limits.isEmpty { printErr("no team limits are set; each process uses its own (--limit)"); return }
            printOut(TextTable.render([["PROVIDER", "LIMIT", "IN USE"]] + limits.map { [$0.provider, "\($0.slots)", "\($0.inUse)"] }, rightAligned: [1, 2]))
        }
    }

    /// The team's queue connection; its schema checked.
    static func queue(_ options: WorkspaceOptions) async throws -> JobQueue {
        let pool = try DatabaseCommand.pool(options)
        do {
            try Migrations.check(pool)
            return try await JobQueue.connect(pool)
        } catch {
            throw CommandFailure.error("\(error)")
        }
    }
}
