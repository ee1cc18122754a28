import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// One node's takes as a run saw them: what `sceneflow takes list|pick` and the API's takes
/// routes show and approve. The takes are the job's outputs in the workspace cache (each
/// `--regenerate` keeps the earlier ones); the pick is kept in the workspace database.
public struct NodeTakes: Sendable {
    public struct Take: Sendable {
        public var take: Int
        public var lookup: CacheLookup
    }

    /// Why a node of a run has no takes to show or pick.
    public enum Problem: Error, Sendable, CustomStringConvertible {
        case noNode(run: String, template: String, node: String, known: [String])
        case simulated(run: String)
        case notGenerated(run: String, node: String, status: String?)
        case noTake(node: String, take: Int, have: [Int], run: String)
        case unusable(node: String, take: Int, reason: String)
        case damagedIndex(node: String, reason: String)

        public var description: String {
            switch self {
            case .noNode(let run, let template, let node, let known):
                return "no node \"\(Slug.shown(node))\" in run \(run) of \(template)\(Suggestions.didYouMean(node, in: known))"
            case .simulated(let run):
                return "run \(run) is a rehearsal (--simulate): its placeholders are not takes"
            case .notGenerated(let run, let node, let status):
                return "\(node) in run \(run) " + (status.map { "never got as far as a job (\($0))" } ?? "is not generated (an input or a reused frame)") + ": it has no takes"
            case .noTake(let node, let take, let have, let run):
                return "\(node) has no take \(take); its takes are \(have.map(String.init).joined(separator: ", ")) (sceneflow takes list \(run) \(node))"
            case .damagedIndex(let node, let reason):
                return "\(reason): the takes of \(node) cannot be listed until a run of its template rebuilds it from the cache"
            case .unusable(let node, let take, let reason):
                return "take \(take) of \(node) is no longer in the cache (\(reason)); pick another, or make a new one with --regenerate"
            }
        }
    }

    public var report: RunReport
    public var node: RunReport.Node
    /// The job's key (its first take's cache key): the same job in any later run.
    public var jobKey: String
    public var takes: [Take]

    public init(report: RunReport, node id: String, cache: OutputCache) throws(Problem) {
        self.report = report
        guard let node = report.nodes.first(where: { $0.id == id }) else {
            throw .noNode(run: report.runID, template: report.template.id, node: id, known: report.nodes.filter { $0.job != nil }.map(\.id))
        }
        guard !report.simulated else { throw .simulated(run: report.runID) }
        guard node.job != nil, let written = node.jobKey ?? node.cacheKey, let key = CacheKey(validating: written) else {
            throw .notGenerated(run: report.runID, node: node.id, status: node.job == nil ? nil : node.status.rawValue)
        }
        self.node = node
        jobKey = written
        do { takes = try Takes.all(of: key, in: cache).map { Take(take: $0.take, lookup: cache.lookup($0.key)) } } catch {
            throw .damagedIndex(node: node.id, reason: "\(error)")
        }
    }

    /// The take this run used.
    public var used: Int { node.take ?? 1 }

    /// Take `n`'s stored output.
    public func output(_ n: Int) throws(Problem) -> StoredOutput {
        guard let entry = takes.first(where: { $0.take == n }) else {
            throw .noTake(node: node.id, take: n, have: takes.map(\.take), run: report.runID)
        }
        switch entry.lookup {
        case .hit(let stored): return stored
        case .damaged(let reason): throw .unusable(node: node.id, take: n, reason: reason)
        case .miss: throw .unusable(node: node.id, take: n, reason: "not in the cache")
        }
    }

    /// Approves take `n`: later runs of the job use it. Returns the take picked before, if any.
    @discardableResult
    public func pick(_ n: Int, in database: any TakePickStore) throws -> Int? {
        _ = try output(n)
        let previous = try database.pick(of: jobKey, template: report.template.id)?.take
        try database.pick(TakePick(jobKey: jobKey, take: n, node: node.id, templateID: report.template.id, runID: report.runID))
        return previous
    }

    /// The takes as `takes list --format json` and the API show them. `url(n)`, when given,
    /// replaces each take's file path (the API names no server path).
    public func listing(picked: Int?, url: ((Int) -> String)? = nil) -> Listing {
        let items = takes.map { entry -> Listing.Take in
            switch entry.lookup {
            case .hit(let stored):
                return Listing.Take(take: entry.take, file: url == nil ? stored.url.path : nil, url: url?(entry.take),
                                    madeAt: stored.metadata.createdAt.formatted(.iso8601), model: stored.metadata.model,
                                    requestID: stored.metadata.requestID, cost: stored.metadata.cost?.description, sha256: stored.metadata.sha256)
            case .damaged(let reason):
                return Listing.Take(take: entry.take, missing: reason)
            case .miss:
                return Listing.Take(take: entry.take, missing: "not in the cache")
            }
        }
        return Listing(run: report.runID, node: node.id, jobKey: jobKey, used: used, picked: picked, takes: items)
    }

    /// `takes list --format json`, and `GET /api/v1/runs/{id}/nodes/{node}/takes`.
    public struct Listing: Encodable, Sendable {
        public struct Take: Encodable, Sendable {
            public var take: Int
            public var file: String?
            public var url: String?
            public var madeAt: String?
            public var model: String?
            public var requestID: String?
            public var cost: String?
            public var sha256: String?
            /// Why the take cannot be used (damaged, not in the cache).
            public var missing: String?

            enum CodingKeys: String, CodingKey {
                case take, file, url, model, cost, sha256, missing
                case madeAt = "made_at"
                case requestID = "request_id"
            }
        }
        public var run: String
        public var node: String
        public var jobKey: String
        public var used: Int
        public var picked: Int?
        public var takes: [Take]

        enum CodingKeys: String, CodingKey {
            case run, node, used, picked, takes
            case jobKey = "job_key"
        }

        public func encoded() throws -> Data {
            try JSONCoding.pretty.encode(self)
        }
    }
}
