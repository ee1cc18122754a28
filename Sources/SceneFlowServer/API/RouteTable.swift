import SceneFlowBasics

/// What the server serves, by path, as the endpoints describe it: the methods of a path (the
/// `Allow` of a 405) and which paths are pages for people (their 404 is a page).
struct RouteTable: Sendable {
    struct Route: Sendable {
        var method: String
        var path: String
        var audience: Endpoint.Audience
    }

    let routes: [Route]

    init(_ endpoints: [Endpoint]) {
        routes = endpoints.map { Route(method: $0.method.rawValue, path: $0.path, audience: $0.audience) }
    }

    /// The methods `path` is served with (GET brings HEAD); empty when no route has the path.
    func allowed(_ path: String) -> [String] {
        let segments = path.split(separator: "/")
        let methods = routes.filter { route in
            let pattern = route.path.split(separator: "/")
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
        return Set(methods.contains("GET") ? methods + ["HEAD"] : methods).sorted()
    }

    /// Whether a path is for people: not the API, not the document.
    func isPage(_ path: String) -> Bool {
        !path.hasPrefix("/api/") && path != "/openapi.json"
    }
}
