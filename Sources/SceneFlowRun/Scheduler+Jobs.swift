import Foundation
import SceneFlowBasics
import SceneFlowTemplate

/// Running one job in a child task: coalescing with other runs of a batch, shared slots, the
/// attempts, and storing the output in the cache.
extension Scheduler {
    // MARK: Running a job (in a child task)

    func execute(_ job: Job, generator: Generator, key: CacheKey, attempts: AttemptRunner) async -> AttemptRunner.Outcome {
        if let coalescer = options.coalescer {
            guard await coalescer.lead(key.value) else {
                // Another run made (or failed to make) the same output meanwhile.
                if case .hit(let made) = cache.lookup(key) { return .reused(made) }
                return await execute(job, generator: generator, key: key, attempts: attempts)
            }
            let outcome = await limited(job, generator: generator, key: key, attempts: attempts)
            await coalescer.finish(key.value)
            return outcome
        }
        return await limited(job, generator: generator, key: key, attempts: attempts)
    }

    /// A regenerated job with `RunOptions.variations` above 1: its own take (the newest number),
    /// then the others (the numbers before it) in the same slot, each stored and indexed as a take
    /// of the job (a failed one is a warning: the node has its take).
    func executeWithVariations(_ job: Job, generator: Generator, key: CacheKey, attempts: AttemptRunner) async -> (AttemptRunner.Outcome, [AttemptRunner.Outcome]) {
        let outcome = await execute(job, generator: generator, key: key, attempts: attempts)
        guard job.variations > 1, case .made = outcome else { return (outcome, []) }
        var extras: [AttemptRunner.Outcome] = []
        for extra in 1..<job.variations {
            if Task.isCancelled { break }
            var next = job
            next.take = job.take - extra
            next.seed = job.seed.map { $0 &+ extra }
            let nextKey = CacheKey(next)
            next.journal = journal(for: nextKey)
            let made = await limited(next, generator: generator, key: nextKey, attempts: attempts)
            if case .failed(let error, _) = made {
                events(.warning(node: job.node, message: "variation take \(next.take) failed: \(error.description)"))
            }
            extras.append(made)
        }
        return (outcome, extras)
    }

    func limited(_ job: Job, generator: Generator, key: CacheKey, attempts: AttemptRunner) async -> AttemptRunner.Outcome {
        // A job holds its shared slot through its retries, as it holds its run's slot.
        guard let limiter = options.sharedLimiter else { return await attempts.run(job, generator: generator, store: store(key)) }
        await limiter.acquire(job.model.provider)
        let outcome = await attempts.run(job, generator: generator, store: store(key))
        await limiter.release(job.model.provider)
        return outcome
    }

    /// Puts a made output into the cache under `key`, then forgets the job's journal.
    func store(_ key: CacheKey) -> @Sendable (GeneratedOutput, Job) throws -> StoredOutput {
        let cache = self.cache, runID = self.runID
        return { output, job in
            let path = output.file.path
            let ext = path.lastIndex(where: { $0 == "." || $0 == "/" }).flatMap { path[$0] == "." ? path[path.index(after: $0)...].lowercased() : nil }
                .flatMap { $0.isEmpty ? nil : $0 } ?? "bin"
            var metadata = OutputMetadata(key: key.value, node: job.node, model: job.model.id, provider: output.provider,
                                          requestID: output.requestID, cost: output.cost,
                                          sha256: try output.sha256 ?? Digest.sha256(fileAt: output.file), fileExtension: ext, runID: runID)
            metadata.words = output.words
            let stored = try cache.store(key, file: output.file, metadata: metadata)
            if job.take > 1 {
                var first = job
                first.take = 1
                first.seed = nil
                try cache.recordTake(job.take, key: key, of: job.jobKey.flatMap(CacheKey.init(validating:)) ?? CacheKey(first))
            }
            job.journal.clear()
            return stored
        }
    }
}
