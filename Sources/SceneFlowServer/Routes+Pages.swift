import Foundation
import HTTPTypes
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The dashboard's pages (`docs/api.md`, "Pages"): an HTML shell per page and one
/// script and one stylesheet from this server. The script reads and writes only through the
/// API; data reaches the page as text nodes, never as markup. A Content Security Policy allows
/// nothing from other origins.
extension SceneFlowServer {
    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; media-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    var pageEndpoints: [Endpoint] {
        func page(_ path: String, _ summary: String, _ handler: @escaping Endpoint.Handler) -> Endpoint {
            Endpoint(method: .get, path: path, audience: .page, operationID: "page", summary: summary,
                     replies: [.media(200, summary, "text/html")], handler: handler)
        }
        return [
            page("/", "templates, recent runs and products") { _, _ in Self.page("home", title: "SceneFlow") },
            page("/runs", "the run history") { _, _ in Self.page("runs", title: "Runs") },
            page("/runs/{id}", "a run, live") { _, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                guard (try? runFolder(id)) != nil else { return Self.notFoundPage("There is no run \(id).") }
                return Self.page("run", id: id, title: "Run \(id)")
            },
            page("/products", "every product, with thumbnails of its stored files") { _, _ in Self.page("products", title: "Products") },
            page("/products/{product_id}", "a product's files per slot, uploaded and removed, and its runs") { _, context in
                let id = try RequestSupport.id(context, "product_id", what: "product id")
                return Self.page("product", id: id, title: "Product \(id)")
            },
            page("/queue", "what the server's runs are doing: jobs running and waiting") { _, _ in Self.page("queue", title: "Queue") },
            page("/templates/new", "the editor on a new template") { _, _ in Self.page("editor", title: "New template") },
            page("/templates/{id}", "a template's diagram, diagnostics and editor") { _, context in
                let id = try RequestSupport.id(context, "id", what: "template id")
                guard folder.file(of: id) != nil else { return Self.notFoundPage("There is no template \(id) here.") }
                return Self.page("editor", id: id, title: "Template \(id)")
            },
            page("/templates/{id}/hydrate", "the hydrate form") { _, context in
                let id = try RequestSupport.id(context, "id", what: "template id")
                guard folder.file(of: id) != nil else { return Self.notFoundPage("There is no template \(id) here.") }
                return Self.page("hydrate", id: id, title: "Hydrate \(id)")
            },
            page("/static/app.js", "the pages' script") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.script)))
            },
            page("/static/app.css", "the pages' style") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: DashboardAssets.stylesheet)))
            },
        ]
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
        <header><nav aria-label="Main"><a href="/">SceneFlow</a> <a href="/runs">Runs</a> <a href="/products">Products</a> <a href="/queue">Queue</a> <a href="/templates/new">New template</a></nav></header>
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
