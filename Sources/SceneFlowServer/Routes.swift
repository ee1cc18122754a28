/// What the server serves, by path: the methods of each route (for 405's `Allow`) and which
/// paths are pages for people.
enum Routes {
    /// Whether a path is for people (not the API, not the OpenAPI document).
    static func isPage(_ path: String) -> Bool {
        !path.hasPrefix("/api/") && path != "/openapi.json"
    }

    /// The methods a path is served with: the API's from its document, GET and HEAD for pages.
    static func allowed(_ path: String) -> [String] {
        let api = OpenAPIDocument.methods(for: path)
        if !api.isEmpty { return api.contains("GET") ? api + ["HEAD"] : api }
        let segments = path.split(separator: "/").map(String.init)
        let page = SceneFlowServer.pagePaths.contains { pattern in
            let parts = pattern.split(separator: "/").map(String.init)
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }
        return page ? ["GET", "HEAD"] : []
    }
}
