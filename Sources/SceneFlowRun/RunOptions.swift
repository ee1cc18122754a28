import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Settings of one run.
public struct RunOptions: Sendable {
    public var limits = RunLimits()
    public var retry = RetryPolicy()
    /// Stop everything at the first failure instead of finishing independent work.
    public var failFast = false
    /// Run every job on the local engine.
    public var offline = false
    /// A rehearsal: placeholder outputs, nothing spent (its cache is kept apart by the caller).
    public var simulated = false
    /// The local engine's short side, and the frame every clip is conformed to.
    public var resolution = 720
    /// Nodes to make a new take of, even if cached (their descendants follow by their keys).
    public var regenerate: Set<String> = []
    /// For regenerated nodes: the prompt of the new take (a frame's or a clip's), edited.
    public var prompts: [String: String] = [:]
    /// For regenerated nodes: the seed of the new take.
    public var seeds: [String: Int] = [:]
    /// How many takes each regenerated node gets in this run (1 to 8): the node uses the first;
    /// the others are kept as its takes, to compare and pick.
    public var variations = 1
    /// Captions burned in, a music bed, the provenance in the file: the final cut's finishing.
    public var finishing = Finishing()
    /// The take each job uses, by job key (`sceneflow takes pick`); others use their newest take.
    public var picks: [String: Int] = [:]
    /// Takes an earlier attempt of this same run made (a team's worker taking over, or going on
    /// with, a run that regenerates): by node, its job key and take. These nodes are not made
    /// again; the take is used as if picked.
    public var resumedTakes: [String: ResumedTake] = [:]
    /// Nodes to make (with what they need); `nil` makes everything.
    public var targets: Set<String>?
    /// How often `run.json` is rewritten while the run goes on (it is always written at the end).
    public var reportInterval: Double = 1
    /// Give each job attempt a scratch folder (generators that write files need one).
    public var scratchFolders = true
    /// Slots shared with other runs in this process (a batch, a server); the run's own limits apply too.
    public var sharedLimiter: (any SharedLimits)?
    /// Team mode: the provider request journal every host shares (else the workspace's files).
    public var sharedJournal: (any JournalBackend)?
    /// Identical jobs of concurrent runs are made once (a batch's shared voice-overs).
    public var coalescer: JobCoalescer?
    /// No job that costs money starts if what this run has spent, plus the estimates of the jobs
    /// in flight and of the job, would pass this; the run then stops starting jobs and ends
    /// `partial` (or `failed`), its `stop_reason` saying so. Ignored when `ledger` is set.
    public var budget: Money?
    /// A ledger shared with other runs (a batch's budget for all its products).
    public var ledger: SpendLedger?

    public init() {}
}

/// A take an earlier attempt of a run made (`RunOptions.resumedTakes`).
public struct ResumedTake: Sendable, Equatable {
    public var jobKey: String
    public var take: Int
    public init(jobKey: String, take: Int) {
        self.jobKey = jobKey
        self.take = take
    }
}
