import Foundation
import SceneFlowTemplate

extension DiagramBuilder.Options {
    /// A run drawn over its template's diagram: each node's status, model, error, prompt and
    /// take, and its finished frames as thumbnails. The diagram takes these as data; it knows
    /// nothing of runs.
    public init(run: LoadedRun, graph: SceneGraph) {
        self.init()
        for node in run.report.nodes {
            statuses[node.id] = node.status
            if let model = node.model { models[node.id] = model }
            if let error = node.error, node.status == .failed || node.status == .blocked { errors[node.id] = error }
            if let prompt = node.prompt { prompts[node.id] = prompt }
            if let take = node.take, take > 1 { takes[node.id] = "take \(take)" }
            if graph[node.id]?.kind.isFrame == true, let url = run.output(of: node.id), MediaType.sniff(fileAt: url)?.isImage == true {
                thumbnails[node.id] = url.path
            }
        }
    }
}
