import Foundation
import SceneFlowBasics
import SceneFlowRun
@testable import SceneFlowServer
import SceneFlowTemplate
import Testing

/// The server's memory of runs is bounded: finished runs beyond the last few are forgotten
/// (their reports stay on disk), runs in flight never are.
@Suite(.timeLimit(.minutes(1))) struct LiveRunsTests {
    @Test func onlyTheLastFinishedRunsKeepTheirEventsInMemory() {
        let runs = LiveRuns(limits: RunLimits(), keptFinished: 3)
        let all = (1...10).map { LiveRun(id: "run-\($0)", folder: URL(fileURLWithPath: "/tmp/run-\($0)")) }
        for live in all { runs.register(live) }
        for live in all.prefix(8) {
            live.append("{\"event\":\"run_finished\"}")
            live.finish()
            runs.retire(live.id)
        }
        #expect(runs.count == 5, "3 finished kept and 2 still running")
        #expect(runs["run-1"] == nil && runs["run-5"] == nil)
        #expect(runs["run-6"] != nil && runs["run-8"] != nil)
        #expect(runs["run-9"] != nil && runs["run-10"] != nil, "runs in flight are never forgotten")
    }
}
