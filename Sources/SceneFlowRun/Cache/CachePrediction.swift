import Foundation
import SceneFlowTemplate

/// Which of a graph's jobs a run would answer from the cache: walking in topological order,
/// a job's key is computed whenever the files of all its inputs are known (inputs hashed,
/// earlier hits' outputs); a hit makes its output known for the jobs after it.
public enum CachePrediction {
    /// - Parameters:
    ///   - picks: the picked take by job key, as the run will use them.
    ///   - regenerate: nodes that will make a new take: never cached, and their outputs unknown.
    public static func cachedNodes(_ graph: SceneGraph, builder: JobBuilder, inputs: InputResolver, cache: OutputCache,
                                   picks: [String: Int] = [:], regenerate: Set<Int> = []) -> Set<Int> {
        guard let order = graph.topologicalOrder() else { return [] }
        var files = [[FileRef]?](repeating: nil, count: graph.nodes.count)
        var cached = Set<Int>()
        for i in order {
            let node = graph.nodes[i]
            if node.kind.isInput {
                files[i] = try? inputs.files(for: node)
                continue
            }
            guard node.generates else {
                files[i] = graph.source(ofReuse: i).flatMap { files[$0] }
                continue
            }
            guard !regenerate.contains(i), graph.predecessors[i].allSatisfy({ files[$0] != nil }),
                  var job = try? builder.job(for: i, files: { files[$0] ?? [] }, scratch: URL(fileURLWithPath: "/")) else { continue }
            let key = Takes.choose(&job, cache: cache, picks: picks, regenerate: false).key
            if case .hit(let stored) = cache.lookup(key) {
                cached.insert(i)
                files[i] = [FileRef(stored)]
            }
        }
        return cached
    }
}
