import Foundation
import SceneFlowTemplate

/// Takes: the outputs one job has had. A job's first take is cached under the job's key; a
/// regenerated node makes the next take, cached under a key that also holds the take number, so
/// every take stays on disk. The cache keeps, per job, an index of its takes (`takeIndex`).
///
/// A run uses the take the user picked (`sceneflow takes pick`, kept in the workspace database),
/// else the newest take; `--regenerate` makes a new take and uses it for that run. A take is
/// an input like any other: a node whose input take changes gets a new key, so its descendants
/// are made again (or found in the cache, if they were made from that take before).
public enum Takes {
    /// The take a run uses for `job`, with the job's own key (its take 1) and the take's key;
    /// `job.take` is set to it.
    ///
    /// - Parameters:
    ///   - picks: the picked take by job key.
    ///   - regenerate: make a new take (the newest + 1; take 1 when nothing was made yet).
    public static func choose(_ job: inout Job, cache: OutputCache, picks: [String: Int], regenerate: Bool) -> (jobKey: CacheKey, key: CacheKey, repaired: String?) {
        job.take = 1
        let jobKey = CacheKey(job)
        var repaired: String?
        let index: [Int: CacheKey]
        do { index = try cache.takeIndex(jobKey) } catch {
            // Never taken for "one take": a take's key is the job's with its number, so the
            // takes still in the cache are found again by trying numbers, and the index rewritten.
            index = rebuild(job, jobKey: jobKey, cache: cache)
            repaired = "\(error); rebuilt from the cache (takes \(([1] + index.keys.sorted()).map(String.init).joined(separator: ", ")))"
        }
        let newest = index.keys.max() ?? 1
        let take: Int
        if regenerate {
            if index.isEmpty, case .miss = cache.lookup(jobKey) { take = 1 } else { take = newest + 1 }
        } else if let picked = picks[jobKey.value], picked >= 1 {
            take = picked
        } else {
            take = newest
        }
        guard take > 1 else { return (jobKey, jobKey, repaired) }
        job.take = take
        // A take is found by the key it was made under (an edited prompt or a chosen seed made
        // it under another key than the job's own with its number).
        return (jobKey, regenerate ? CacheKey(job) : index[take] ?? CacheKey(job), repaired)
    }

    /// The takes after the first that the cache holds for `job`, found by trying take numbers
    /// (a gap of 20 ends the search), and written back as the job's index.
    static func rebuild(_ job: Job, jobKey: CacheKey, cache: OutputCache) -> [Int: CacheKey] {
        var probe = job
        var index: [Int: CacheKey] = [:]
        var misses = 0
        var take = 2
        while misses < 20, take < 10_000 {
            probe.take = take
            let key = CacheKey(probe)
            if case .miss = cache.lookup(key) { misses += 1 } else {
                index[take] = key
                misses = 0
            }
            take += 1
        }
        for (n, key) in index { try? cache.recordTake(n, key: key, of: jobKey) }
        return index
    }

    /// The takes of the job keyed `jobKey`, by number, with their keys (take 1 is the job key).
    public static func all(of jobKey: CacheKey, in cache: OutputCache) throws -> [(take: Int, key: CacheKey)] {
        var index = try cache.takeIndex(jobKey)
        index[1] = jobKey
        return index.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
