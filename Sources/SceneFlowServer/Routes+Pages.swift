import Foundation
import HTTPTypes
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The dashboard's pages (`../shared/spec/api.md`, "Pages"): an HTML shell per page and one
/// script and one stylesheet from this server. The script reads and writes only through the
/// API; data reaches the page as text nodes, never as markup. A Content Security Policy allows
/// nothing from other origins.
extension SceneFlowServer {
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    /// The pages' paths (for 405 on other methods).
    static let pagePaths = ["/", "/runs", "/runs/:id", "/templates/new", "/templates/:id", "/templates/:id/hydrate", "/static/app.js", "/static/app.css"]

    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.getAndHead("/") { _, _ in Self.page("home", title: "SceneFlow") }
        router.getAndHead("/runs") { _, _ in Self.page("runs", title: "Runs") }
        router.getAndHead("/runs/:id") { _, context in
            let id = try RequestSupport.id(context, "id", what: "run id")
            guard (try? runFolder(id)) != nil else { return Self.notFoundPage("There is no run \(id).") }
            return Self.page("run", id: id, title: "Run \(id)")
        }
        router.getAndHead("/templates/new") { _, _ in Self.page("editor", title: "New template") }
        router.getAndHead("/templates/:id") { _, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            guard folder.file(of: id) != nil else { return Self.notFoundPage("There is no template \(id) here.") }
            return Self.page("editor", id: id, title: "Template \(id)")
        }
        router.getAndHead("/templates/:id/hydrate") { _, context in
            let id = try RequestSupport.id(context, "id", what: "template id")
            guard folder.file(of: id) != nil else { return Self.notFoundPage("There is no template \(id) here.") }
            return Self.page("hydrate", id: id, title: "Hydrate \(id)")
        }
        router.getAndHead("/static/app.js") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.script)))
        }
        router.getAndHead("/static/app.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.stylesheet)))
        }
    }

    /// A page for what does not exist: 404, a sentence and the way home.
    static func notFoundPage(_ sentence: String) -> Response {
        let html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Not found</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/static/app.css"></head>
        <body><header><nav aria-label="Main"><a href="/">SceneFlow</a> <a href="/runs">Runs</a></nav></header>
        <main><h1>Not found</h1><p>\(escape(sentence))</p></main></body></html>
        """
        return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
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
        <link rel="icon" href="data:,">
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
