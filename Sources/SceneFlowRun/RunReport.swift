import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// `run.json` (CLI contract, "Run report"), plus provenance fields a user needs to trace an
/// output to what made it.
public struct RunReport: Sendable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case running, succeeded, partial, failed, cancelled
        /// The process running it stopped (killed, crashed, the machine lost) before it ended;
        /// found and recorded by the next process that opens the workspace.
        case interrupted
        /// Team mode: in the queue (`run --detach`, `batch --detach`), not yet taken by a
        /// worker, or handed back by a worker that stopped.
        case queued

        /// Whether the run has ended.
        public var isFinished: Bool { self != .running && self != .queued }
    }

    /// The template a run hydrated (`TemplateReference`).
    public typealias TemplateRef = TemplateReference

    /// One set of numbers, used everywhere a run is summarised (the live line, the summary,
    /// `run_finished`, the history): jobs are generation nodes; inputs and reused frames are
    /// counted apart, never as work done.
    public struct Counts: Sendable, Codable, Equatable {
        public var jobs = 0
        /// Made by this run.
        public var made = 0
        public var cached = 0
        public var failed = 0
        public var blocked = 0
        public var skipped = 0
        public var inputs = 0
        /// Frames that are the very same image as another.
        public var reused = 0

        public init() {}

        /// Jobs that ended (made, cached, failed, blocked or skipped).
        public var ended: Int { made + cached + failed + blocked + skipped }

        /// "13 jobs: 4 made, 9 cached · 5 inputs, 1 reused frame".
        public var summary: String {
            var parts = ["\(made) made", "\(cached) cached"]
            if failed > 0 { parts.append("\(failed) failed") }
            if blocked > 0 { parts.append("\(blocked) blocked") }
            if skipped > 0 { parts.append("\(skipped) skipped") }
            return "\(jobs) job\(jobs == 1 ? "" : "s"): \(parts.joined(separator: ", ")) · \(inputs) input\(inputs == 1 ? "" : "s"), \(reused) reused frame\(reused == 1 ? "" : "s")"
        }
    }

    /// One attempt of a job: when it started, how long it took, and why it failed (if it did).
    public struct Attempt: Sendable, Codable, Equatable {
        public var startedAt: Date
        public var seconds: Double
        public var error: String?

        public init(startedAt: Date, seconds: Double, error: String? = nil) {
            self.startedAt = startedAt
            self.seconds = (seconds * 1000).rounded() / 1000
            self.error = error
        }

        enum CodingKeys: String, CodingKey {
            case seconds, error
            case startedAt = "started_at"
        }
    }

    public struct Node: Sendable, Codable {
        public var id: String
        public var kind: NodeKind
        /// The job a model ran; absent for inputs and reused frames.
        public var job: JobKind?
        public var status: NodeStatus
        public var attempts: Int
        /// Each attempt of this run's job, with its timing and failure.
        public var attemptLog: [Attempt]?
        /// The nodes this node reads (its inputs, frames, voice-over, clips), by id.
        public var reads: [String]?
        public var model: String?
        public var provider: Provider?
        /// Relative to the run folder.
        public var output: String?
        public var sha256: String?
        public var startedAt: Date?
        public var finishedAt: Date?
        /// Provider, HTTP status where there was one, and message, with secrets removed.
        public var error: String?
        /// For a failed node: the input at fault (`avatar:maya`, `background:kitchen`,
        /// `asset:product_1`), when the failure is that input's, so it can be replaced.
        public var input: String?
        /// Why the node ran (or was reused): for `sceneflow explain`.
        public var reason: String?
        public var cacheKey: String?
        public var prompt: String?
        public var requestID: String?
        /// What the provider charged, or (with `costEstimated`) the registry's list-price estimate.
        public var cost: Money?
        public var costEstimated: Bool?
        /// True when `--offline` moved this job to the local engine.
        public var offline: Bool?
        /// For a reused frame: the node whose image it is.
        public var source: String?
        /// For a cached output: the run that made it.
        public var madeBy: String?
        /// Which take of the node this output is (1 unless regenerated).
        public var take: Int?
        /// The seed the user chose for this take, when one was.
        public var seed: Int?
        /// The job's key when the take's key differs (take 2 on): `sceneflow takes` finds the
        /// job's other takes by it.
        public var jobKey: String?

        public init(id: String, kind: NodeKind, job: JobKind?, status: NodeStatus = .pending, attempts: Int = 0) {
            self.id = id
            self.kind = kind
            self.job = job
            self.status = status
            self.attempts = attempts
        }

        /// Reads this version's reports and earlier ones (which named the job by `operation`).
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            kind = try c.decode(NodeKind.self, forKey: .kind)
            if c.contains(.job) {
                job = try c.decodeIfPresent(JobKind.self, forKey: .job)
            } else if !c.contains(.operation) {
                // This version leaves `job` out for inputs and reused frames.
                job = nil
            } else {
                let operation = try c.decodeIfPresent(String.self, forKey: .operation)
                switch (kind, operation) {
                case (_, "reuse"), (_, "input"), (.avatar, _), (.background, _), (.asset, _): job = nil
                case (_, "camera_angle"): job = .cameraAngle
                case (.firstFrame, _): job = .firstFrame
                case (.lastFrame, _): job = .lastFrame
                case (.audio, _): job = .audio
                case (.video, _): job = .video
                case (.final, _): job = .combine
                }
            }
            status = try c.decode(NodeStatus.self, forKey: .status)
            attempts = try c.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
            attemptLog = try? c.decodeIfPresent([Attempt].self, forKey: .attemptLog)
            reads = try c.decodeIfPresent([String].self, forKey: .reads)
            model = try c.decodeIfPresent(String.self, forKey: .model)
            provider = try? c.decodeIfPresent(Provider.self, forKey: .provider)
            output = try c.decodeIfPresent(String.self, forKey: .output)
            sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
            startedAt = try? c.decodeIfPresent(Date.self, forKey: .startedAt)
            finishedAt = try? c.decodeIfPresent(Date.self, forKey: .finishedAt)
            error = try c.decodeIfPresent(String.self, forKey: .error)
            input = try c.decodeIfPresent(String.self, forKey: .input)
            reason = try c.decodeIfPresent(String.self, forKey: .reason)
            cacheKey = try c.decodeIfPresent(String.self, forKey: .cacheKey)
            prompt = try c.decodeIfPresent(String.self, forKey: .prompt)
            requestID = try c.decodeIfPresent(String.self, forKey: .requestID)
            cost = try? c.decodeIfPresent(Money.self, forKey: .cost)
            costEstimated = try c.decodeIfPresent(Bool.self, forKey: .costEstimated)
            offline = try c.decodeIfPresent(Bool.self, forKey: .offline)
            source = try c.decodeIfPresent(String.self, forKey: .source)
            madeBy = try c.decodeIfPresent(String.self, forKey: .madeBy)
            take = try c.decodeIfPresent(Int.self, forKey: .take)
            seed = try c.decodeIfPresent(Int.self, forKey: .seed)
            jobKey = try c.decodeIfPresent(String.self, forKey: .jobKey)
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, job, operation, status, attempts, model, provider, output, sha256, error, input, reason, prompt, cost, offline, source, take, seed
            case jobKey = "job_key"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case cacheKey = "cache_key"
            case requestID = "request_id"
            case costEstimated = "cost_estimated"
            case madeBy = "made_by"
            case attemptLog = "attempt_log"
            case reads
        }

        // `output` and `error` are always present (null when none), as in the contract's example.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(kind, forKey: .kind)
            try c.encodeIfPresent(job, forKey: .job)
            try c.encode(status, forKey: .status)
            try c.encode(attempts, forKey: .attempts)
            try c.encodeIfPresent(attemptLog, forKey: .attemptLog)
            try c.encodeIfPresent(reads, forKey: .reads)
            try c.encodeIfPresent(model, forKey: .model)
            try c.encodeIfPresent(provider, forKey: .provider)
            try c.encode(output, forKey: .output)
            try c.encodeIfPresent(sha256, forKey: .sha256)
            try c.encodeIfPresent(startedAt, forKey: .startedAt)
            try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
            try c.encode(error, forKey: .error)
            try c.encodeIfPresent(input, forKey: .input)
            try c.encodeIfPresent(reason, forKey: .reason)
            try c.encodeIfPresent(cacheKey, forKey: .cacheKey)
            try c.encodeIfPresent(prompt, forKey: .prompt)
            try c.encodeIfPresent(requestID, forKey: .requestID)
            try c.encodeIfPresent(cost, forKey: .cost)
            try c.encodeIfPresent(costEstimated, forKey: .costEstimated)
            try c.encodeIfPresent(offline, forKey: .offline)
            try c.encodeIfPresent(source, forKey: .source)
            try c.encodeIfPresent(madeBy, forKey: .madeBy)
            try c.encodeIfPresent(take, forKey: .take)
            try c.encodeIfPresent(seed, forKey: .seed)
            try c.encodeIfPresent(jobKey, forKey: .jobKey)
        }
    }

    public var runID: String
    public var template: TemplateRef
    public var status: Status
    /// A rehearsal (`--simulate`): placeholders instead of media, nothing spent, its cost an estimate.
    public var simulated: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var offline: Bool
    public var productID: String?
    /// The final video, relative to the run folder, when it was made.
    public var finalVideo: String?
    /// What this run's jobs cost: reported by providers, else estimated (`costEstimated`).
    public var cost: Money
    public var costEstimated: Bool
    public var counts: Counts
    /// Why the run stopped early, if it did ("cancelled", "the budget of $5.00 was reached").
    public var stopReason: String?
    /// Every model whose output is in this run (made or reused), sorted: what made the cut.
    public var models: [String]
    public var nodes: [Node]

    public init(runID: String, template: TemplateRef, status: Status, simulated: Bool, startedAt: Date, finishedAt: Date?, offline: Bool,
                productID: String?, finalVideo: String?, stopReason: String? = nil, nodes: [Node]) {
        self.runID = runID
        self.template = template
        self.status = status
        self.simulated = simulated
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.offline = offline
        self.productID = productID
        self.finalVideo = finalVideo
        self.stopReason = stopReason
        self.nodes = nodes
        models = Self.models(nodes)
        counts = Self.counts(nodes)
        (cost, costEstimated) = Self.spend(nodes)
        costEstimated = costEstimated || simulated
    }

    static func models(_ nodes: [Node]) -> [String] {
        Set(nodes.filter { $0.job != nil && $0.status.isDone }.compactMap(\.model)).sorted()
    }

    /// What the made jobs cost, and whether any of it is an estimate (no copies of the nodes).
    static func spend(_ nodes: [Node]) -> (Money, Bool) {
        var total = Money.zero, estimated = false
        for i in nodes.indices where nodes[i].status == .succeeded && nodes[i].job != nil {
            if let cost = nodes[i].cost { total = total + cost }
            if nodes[i].costEstimated == true { estimated = true }
        }
        return (total, estimated)
    }

    enum CodingKeys: String, CodingKey {
        case template, status, simulated, offline, cost, counts, nodes, models
        case runID = "run_id"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case productID = "product_id"
        case finalVideo = "final_video"
        case costEstimated = "cost_estimated"
        case stopReason = "stop_reason"
    }

    /// Reads this version's reports and the contract's minimal shape (`run_id`, `template`,
    /// `status`, `nodes`): what is missing is derived from the nodes or left at its default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        runID = try c.decode(String.self, forKey: .runID)
        template = try c.decode(TemplateRef.self, forKey: .template)
        status = try c.decode(Status.self, forKey: .status)
        simulated = try c.decodeIfPresent(Bool.self, forKey: .simulated) ?? false
        startedAt = (try? c.decodeIfPresent(Date.self, forKey: .startedAt)) ?? Date(timeIntervalSince1970: 0)
        finishedAt = try? c.decodeIfPresent(Date.self, forKey: .finishedAt)
        offline = try c.decodeIfPresent(Bool.self, forKey: .offline) ?? false
        productID = try c.decodeIfPresent(String.self, forKey: .productID)
        finalVideo = try c.decodeIfPresent(String.self, forKey: .finalVideo)
        stopReason = try c.decodeIfPresent(String.self, forKey: .stopReason)
        nodes = try c.decode([Node].self, forKey: .nodes)
        models = try c.decodeIfPresent([String].self, forKey: .models) ?? Self.models(nodes)
        counts = Self.counts(nodes)
        let spend = Self.spend(nodes)
        cost = (try? c.decodeIfPresent(Money.self, forKey: .cost)) ?? spend.0
        costEstimated = try c.decodeIfPresent(Bool.self, forKey: .costEstimated) ?? spend.1
    }

    public static func counts(_ nodes: [Node]) -> Counts {
        var c = Counts()
        for i in nodes.indices {
            let node = (kind: nodes[i].kind, job: nodes[i].job, status: nodes[i].status)
            if node.kind.isInput { c.inputs += 1; continue }
            if node.job == nil { c.reused += 1; continue }
            c.jobs += 1
            switch node.status {
            case .succeeded: c.made += 1
            case .cached: c.cached += 1
            case .failed: c.failed += 1
            case .blocked: c.blocked += 1
            case .skipped: c.skipped += 1
            case .pending, .queued, .running: break
            }
        }
        return c
    }

    public func node(_ id: String) -> Node? { nodes.first { $0.id == id } }

    /// The report of a run whose state could not be written to the end: `failed`, saying why.
    public func unrecorded(_ reason: String) -> RunReport {
        var report = self
        report.status = .failed
        report.stopReason = [stopReason, reason].compactMap { $0 }.joined(separator: "; ")
        return report
    }

    /// Why a run that was found unfinished after its process died is `interrupted`.
    public static let interruptedReason = "interrupted: the process running it stopped (killed, crashed or its machine lost) before the run finished"

    /// The report of a run whose process died while it ran: `interrupted`, with the reason, and
    /// every node that had not ended skipped as interrupted (what had ended stays as recorded).
    public func interrupted(at time: Date = Date()) -> RunReport {
        var nodes = self.nodes
        for i in nodes.indices where [NodeStatus.pending, .queued, .running].contains(nodes[i].status) {
            nodes[i].status = .skipped
            nodes[i].error = "not finished: the run was interrupted"
        }
        var report = RunReport(runID: runID, template: template, status: .interrupted, simulated: simulated, startedAt: startedAt,
                               finishedAt: finishedAt ?? time, offline: offline, productID: productID, finalVideo: finalVideo,
                               stopReason: Self.interruptedReason, nodes: nodes)
        report.cost = max(report.cost, cost)
        report.costEstimated = report.costEstimated || costEstimated
        return report
    }

    public func encoded() throws -> Data {
        try Self.encoder.encode(self)
    }

    public static func read(from url: URL) throws -> RunReport {
        try decoder.decode(RunReport.self, from: Data(try InputFileError.readFile(url.path)))
    }

    static var encoder: JSONEncoder { JSONCoding.pretty }

    public static var decoder: JSONDecoder { JSONCoding.decoder }
}
