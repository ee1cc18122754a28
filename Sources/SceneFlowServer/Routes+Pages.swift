import Foundation
import HTTPTypes
import Hummingbird
import SceneFlowCore

/// The dashboard's pages (`../shared/spec/api.md`, "Pages"): an HTML shell per page and one
/// script and one stylesheet from this server. The script reads and writes only through the
/// API; data reaches the page as text nodes, never as markup. A Content Security Policy allows
/// nothing from other origins.
extension SceneFlowServer {
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in Self.page("home", title: "SceneFlow") }
        router.get("/runs") { _, _ in Self.page("runs", title: "Runs") }
        router.get("/runs/:id") { _, context in
            let id = try RequestSupport.id(context, "id", what: "run id")
            return Self.page("run", id: id, title: "Run \(id)")
        }
        router.get("/templates/new") { _, _ in Self.page("editor", title: "New template") }
        router.get("/templates/:id") { _, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            return Self.page("editor", id: id, title: "Template \(id)")
        }
        router.get("/templates/:id/hydrate") { _, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            return Self.page("hydrate", id: id, title: "Hydrate \(id)")
        }
        router.get("/static/app.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.script)))
        }
        router.get("/static/app.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.stylesheet)))
        }
    }

    /// A page's shell: the script fills `main` from the API.
    static func page(_ name: String, id: String? = nil, title: String) -> Response {
        let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/static/app.css">
        </head>
        <body data-page="\(escape(name))" data-id="\(escape(id ?? ""))">
        <header><nav aria-label="Main"><a href="/">SceneFlow</a> <a href="/runs">Runs</a> <a href="/templates/new">New template</a></nav></header>
        <main id="main"><p>Loading…</p></main>
        <script src="/static/app.js"></script>
        </body>
        </html>
        """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy,
                                               HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
