import Foundation
@testable import SceneFlowBasics
@testable import SceneFlowRun
@testable import SceneFlowTemplate
import Testing

@Suite(.timeLimit(.minutes(2))) struct BudgetTests {
    /// Eight independent silent scenes: eight frames (fal, $0.04 each estimated) and eight clips.
    static let template = #"{"schema_version": 1, "id": "budget", "scenes": [\#((0..<8).map { #"{"id": "s\#($0)", "prompt": "Shot \#($0)"}"# }.joined(separator: ","))]}"#

    @Test func spendingStopsBeforeTheBudgetIsPassed() async throws {
        let h = try Harness(template: Self.template)
        defer { h.cleanup() }
        let recorder = Recorder()
        var options = RunOptions()
        options.limits.concurrency = 1
        options.targets = try RunSelection.nodes(for: ["frames"], in: h.checked.graph)
        options.budget = Money(parsing: "1.00")
        // Each frame is estimated at $0.028 (Kling O1) and really costs $0.30: after the first,
        // the ledger expects $0.30.
        let report = await h.scheduler(TestGenerator(recorder: recorder, cost: Money(parsing: "0.30")), options: options, assets: [:]).run()
        #expect(report.status == .partial)
        #expect(report.cost <= Money(parsing: "1.00")!, "spent \(report.cost)")
        #expect(report.counts.made == 3, "three frames at $0.30 fit in $1.00, a fourth would not: made \(report.counts.made)")
        #expect(recorder.calls.values.reduce(0, +) == 3)
        let reason = try #require(report.stopReason)
        #expect(reason.contains("the budget of $1.00 was reached") && reason.contains("$0.90 spent"), "\(reason)")
        let skipped = report.nodes.filter { $0.status == .skipped && $0.error != RunRecorder.notATarget }
        #expect(!skipped.isEmpty && skipped.allSatisfy { $0.error?.contains("budget") == true })
    }

    @Test func aRunWithinItsBudgetIsUntouched() async throws {
        let h = try Harness(template: Self.template)
        defer { h.cleanup() }
        var options = RunOptions()
        options.budget = Money(parsing: "100")
        let report = await h.scheduler(TestGenerator(recorder: Recorder(), cost: Money(parsing: "0.30")), options: options, assets: [:]).run()
        #expect(report.status == .succeeded && report.stopReason == nil)
    }

    @Test func aSharedLedgerHoldsAcrossConcurrentRuns() async throws {
        let ledger = SpendLedger(limit: Money(parsing: "2.00")!)
        let harnesses = try (0..<3).map { _ in try Harness(template: Self.template) }
        defer { harnesses.forEach { $0.cleanup() } }
        var shared = RunOptions()
        shared.ledger = ledger
        let options = shared
        let reports = await withTaskGroup(of: RunReport.self) { group in
            for h in harnesses {
                // No price reported: each job costs its estimate, so the limit holds exactly.
                group.addTask { await h.scheduler(TestGenerator(recorder: Recorder(), delay: 0.01), options: options, assets: [:]).run() }
            }
            return await group.reduce(into: [RunReport]()) { $0.append($1) }
        }
        let total = reports.reduce(Money.zero) { $0 + $1.cost }
        #expect(total <= Money(parsing: "2.00")!, "three runs spent \(total) together")
        #expect(ledger.spent == total)
        #expect(ledger.reserved == .zero, "every reservation was settled")
        #expect(reports.contains { $0.stopReason?.contains("budget") == true })
    }

    @Test func ledgerReservesOnlyWhatFits() {
        let ledger = SpendLedger(limit: Money(micros: 100))
        #expect(ledger.reserve(Money(micros: 30), model: "m") == Money(micros: 30))
        #expect(ledger.reserve(Money(micros: 80), model: "n") == nil)
        #expect(ledger.reserve(.zero, model: "m") == .zero, "free jobs always start")
        ledger.settle(reserved: Money(micros: 30), cost: Money(micros: 50), model: "m")
        #expect(ledger.spent == Money(micros: 50) && ledger.reserved == .zero)
        #expect(ledger.reserve(Money(micros: 30), model: "m") == Money(micros: 50), "model m is now expected to cost what it did")
        #expect(ledger.reserve(Money(micros: 1), model: "n") == nil)
    }
}
