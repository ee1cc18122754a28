/// Frames that reuse each other in a loop can never be made. The message names every node on
/// the cycle in order, `hook.first_frame -> hook.last_frame -> pour.first_frame -> hook.first_frame`,
/// because the fix is usually at the one edge that closes it.
struct FrameCycleRule: ValidationRule {
    static let codes: [DiagnosticCode] = [.cycle]

    func check(_ context: ValidationContext, into findings: inout Findings) {
        let graph = context.graph
        // Kahn's sort is the cheap test; Tarjan's components only run to name a cycle's nodes.
        guard graph.topologicalOrder() == nil else { return }
        for cycle in graph.cycles() {
            // Anchor at the frame spec of the first frame on the cycle: the reference to change.
            let node = graph.nodes[cycle[0]]
            let scene = node.sceneIndex.map { context.template.scenes[$0] }
            let isLast = node.kind == .lastFrame
            let spec = isLast ? scene?.lastFrame : scene?.firstFrame
            let field = isLast ? "last_frame" : "first_frame"
            findings.error(.cycle, "frames depend on each other in a cycle: \(graph.describeCycle(cycle))",
                           path: scene.map { "\($0.path).\(field)\(spec?.scene == nil ? "" : ".scene")" } ?? "",
                           at: spec?.scene?.anchor ?? spec?.anchor ?? scene?.anchor ?? .none,
                           suggestion: "make one frame on the cycle with \"source\": \"generate\"")
        }
    }
}
