import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import SceneFlowTestSupport
import Testing

/// The run's state machine alone: no task group, no generator, no process. Jobs are "prepared"
/// by a closure and "finished" by the test, and the state says what starts, what is blocked,
/// what stops, and what a report would say.
@Suite(.timeLimit(.minutes(1))) struct RunStateTests {
    /// A state over `sample`'s graph, and the jobs of its generating nodes (built for real).
    struct Fixture {
        var graph: SceneGraph
        var state: RunState
        var builder: JobBuilder
        var events: Box

        final class Box: @unchecked Sendable {
            private let lock = NSLock()
            private var items: [RunEvent] = []
            func append(_ event: RunEvent) { lock.lock(); items.append(event); lock.unlock() }
            var all: [RunEvent] { lock.lock(); defer { lock.unlock() }; return items }
        }

        init(sample: String = "samples/unboxing.json", limits: RunLimits = RunLimits(), failFast: Bool = false, budget: Money? = nil) throws {
            let loaded = try LoadedTemplate.load(path: packageRoot.appendingPathComponent(sample).path)
            let checked = try #require(CheckedTemplate(loaded))
            graph = checked.graph
            builder = JobBuilder(graph: graph, offline: true)
            let priority = graph.criticalPath(order: graph.topologicalOrder()!).remaining
            let recorder = RunRecorder(runID: "test", template: checked.reference, graph: graph, folder: nil, indexDirectory: nil)
            let box = Box()
            events = box
            state = RunState(graph: graph, schedule: Schedule(graph: graph, priority: priority, limits: limits, selected: nil), recorder: recorder,
                             ledger: budget.map { SpendLedger(limit: $0) }, failFast: failFast, events: { box.append($0) })
        }

        /// Pumps: inputs end at once with a placeholder file, jobs are built for real.
        mutating func pump() -> [RunState.Start] {
            let graph = graph, builder = builder
            return state.pump(remembers: false) { i, files, recorder in
                let node = graph.nodes[i]
                if node.kind.isInput {
                    files[i] = [FileRef(url: URL(fileURLWithPath: "/dev/null"), sha256: String(repeating: "0", count: 64))]
                    recorder.done(i, .succeeded, reason: "input")
                    return .done(.succeeded)
                }
                guard node.generates else {
                    files[i] = graph.source(ofReuse: i).map { files[$0] } ?? []
                    recorder.reuse(i, of: graph.source(ofReuse: i)!)
                    return .done(.succeeded)
                }
                guard let job = try? builder.job(for: i, files: { files[$0] }, scratch: URL(fileURLWithPath: "/tmp")) else { return .done(.failed) }
                return .job(job, NothingGenerator(), CacheKey(job))
            }
        }

        /// Job `i` ends with `status` (an output file named after it when it succeeded).
        mutating func finish(_ i: Int, _ status: NodeStatus) {
            let graph = graph
            state.complete(i, record: { _, files, recorder in
                if status == .succeeded {
                    files[i] = [FileRef(url: URL(fileURLWithPath: "/out/\(graph.nodes[i].id)"), sha256: String(repeating: "1", count: 64))]
                    recorder.done(i, .succeeded, reason: nil)
                } else {
                    recorder.fail(i, message: "failed on purpose", attempts: 1)
                }
                return status
            }, follow: { follower, status, files, recorder in
                files[follower] = files[i]
                recorder.done(follower, status == .succeeded ? .cached : .failed, reason: "followed")
                return status == .succeeded ? .cached : .failed
            })
        }

        func index(_ id: String) -> Int { graph.indexByID[id]! }
    }

    struct NothingGenerator: Generator {
        func generate(_ job: Job) async throws -> GeneratedOutput { throw CancellationError() }
    }

    @Test func readyJobsStartWithinTheLimitsAndTheRestWait() throws {
        var limits = RunLimits()
        limits.concurrency = 2
        var f = try Fixture(limits: limits)
        let first = f.pump()
        #expect(first.count == 2, "no more than the run's limit at once: \(first.map(\.job.node))")
        #expect(first.allSatisfy { f.state.recorder[$0.index].status == .running })
        // Finishing one lets exactly one more start.
        f.finish(first[0].index, .succeeded)
        #expect(f.pump().count == 1)
    }

    @Test func aFailureBlocksItsDescendantsAndIndependentWorkGoesOn() throws {
        var f = try Fixture()
        var started = f.pump()
        let frame = f.index("hook.first_frame")
        #expect(started.contains { $0.index == frame })
        f.finish(frame, .failed)
        #expect(f.state.recorder[f.index("hook.video")].status == .blocked)
        #expect(f.state.recorder[f.index("final.video")].status == .blocked)
        #expect(f.events.all.contains { if case .blocked(let node, let by) = $0 { return node == "hook.video" && by == "hook.first_frame" }; return false })
        // Everything else still runs to its end.
        var guardrail = 0
        while !started.isEmpty, guardrail < 100 {
            guardrail += 1
            for start in started where start.index != frame && f.state.recorder[start.index].status == .running { f.finish(start.index, .succeeded) }
            started = f.pump()
        }
        let report = f.state.finish(cancelled: false)
        #expect(report.status == .partial)
        #expect(report.node("hook.audio")?.status == .succeeded, "the voice-over needs no frame")
        #expect(report.nodes.contains { $0.status == .succeeded && $0.job != nil && $0.id != "hook.audio" })
    }

    @Test func failFastStopsEverythingNotStartedAndAsksToCancelWhatRuns() throws {
        var f = try Fixture(failFast: true)
        let started = f.pump()
        f.finish(started[0].index, .failed)
        #expect(f.state.stopped && f.state.cancelInFlight)
        #expect(f.pump().isEmpty, "nothing new starts")
        let report = f.state.finish(cancelled: false)
        #expect(report.status == .failed)
        #expect(report.nodes.contains { $0.error?.contains("stopped at the first failure") == true })
    }

    @Test func cancellingSkipsWhatWaitsAndRecordsCancelled() throws {
        var f = try Fixture()
        _ = f.pump()
        f.state.cancel()
        #expect(f.state.cancelInFlight && f.pump().isEmpty)
        let report = f.state.finish(cancelled: true)
        #expect(report.status == .cancelled && report.stopReason == "cancelled")
        #expect(!report.nodes.contains { $0.status == .pending || $0.status == .running })
    }

    @Test func aBudgetThatCannotCoverTheNextJobStopsTheRunSayingWhy() throws {
        // Priced models, so the budget has something to count.
        var f = try Fixture(sample: "samples/testimonial.yaml", budget: Money(parsing: "0.01")!)
        f.builder = JobBuilder(graph: f.graph, offline: false)
        let started = f.pump()
        #expect(started.isEmpty, "no paid job fits a budget of a cent: \(started.map(\.job.node))")
        #expect(f.state.stopped)
        let report = f.state.finish(cancelled: false)
        #expect(report.stopReason?.contains("the budget of") == true, "\(report.stopReason ?? "")")
        #expect(f.events.all.contains { if case .skipped = $0 { return true }; return false })
    }
}
