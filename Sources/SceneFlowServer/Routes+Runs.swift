import Foundation
import HTTPTypes
import Hummingbird
import SceneFlowBasics
import SceneFlowRun
import SceneFlowSession
import SceneFlowStore
import SceneFlowTemplate

/// Runs: start one (every check before anything is spent: 422 and no run when the template or
/// inputs are invalid), the history, a live report, its events (Server-Sent Events, replayed
/// from the start, `Last-Event-ID` resumes), cancel, its files (with `Range`), its diagram.
extension SceneFlowServer {
    static let runFields: Set<String> = ["template", "product_id", "offline", "targets", "regenerate", "max_cost", "prompts", "seeds", "variations"]

    var runEndpoints: [Endpoint] {
        [
            Endpoint(method: .post, path: "/api/v1/runs", operationID: "startRun",
                     summary: "Start a hydration (every check first; nothing is spent before; recorded before it is promised)",
                     body: .json(RunFields.self),
                     replies: [.json(202, "started", RunStarted.self), .error(404, "no such template"),
                               .error(422, "invalid template or inputs (with diagnostics), unknown target, missing keys, over budget: no run exists"),
                               .error(507, "the run cannot be recorded (a full disk): no run exists")]) { request, _ in
                try await startRun(request)
            },
            Endpoint(method: .get, path: "/api/v1/queue", operationID: "queue",
                     summary: "What this server's runs are doing: jobs running, queued for a provider, or waiting on their inputs",
                     replies: [.list(200, "the jobs", of: QueueEntry.self)]) { _, _ in
                JSONBody.response(queue())
            },
            Endpoint(method: .get, path: "/api/v1/runs", operationID: "listRuns", summary: "Run history, newest first",
                     parameters: [.init("template", in: .query, .string(pattern: Endpoint.Parameter.idPattern), "a template's id (its file name, or the id it writes)"),
                                  .init("product_id", in: .query, .string(pattern: Endpoint.Parameter.idPattern))],
                     replies: [.list(200, "runs", of: RunRow.self)]) { request, _ in
                try history(request)
            },
            Endpoint(method: .get, path: "/api/v1/runs/{id}", operationID: "getRun", summary: "The run report (run.json), live while the run goes on",
                     parameters: [.runID], replies: [.json(200, "the report", RunReport.self), .error(404, "no such run")]) { _, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                return JSONBody.scrubbed(.ok, try answer(of: id))
            },
            Endpoint(method: .get, path: "/api/v1/runs/{id}/events", operationID: "runEvents",
                     summary: "Server-Sent Events: the run's NDJSON events from the start, then live, until run_finished; Last-Event-ID resumes",
                     parameters: [.runID, .init("Last-Event-ID", in: .header, JSONSchema.integer.with { $0.minimum = 0 }, "the number of the last event received")],
                     replies: [Endpoint.Reply(status: 200, description: "the events", mediaType: "text/event-stream", schema: .string()),
                               .error(404, "no such run")]) { request, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                var after = 0
                if let header = request.headers[HTTPField.Name("Last-Event-ID")!] {
                    guard let number = Int(header.trimmingCharacters(in: .whitespaces)), number >= 0 else {
                        throw APIError.badRequest("Last-Event-ID is the number of the last event received, not \(Slug.shown(header))")
                    }
                    after = number
                }
                return try events(id, after: after)
            },
            Endpoint(method: .post, path: "/api/v1/runs/{id}/cancel", operationID: "cancelRun", summary: "Cancel a run in progress; its report ends cancelled",
                     parameters: [.runID],
                     replies: [.json(200, "cancelled", RunStarted.self),
                               .json(202, "team mode: another process hydrates it and was asked to cancel it (its report ends cancelled)", RunStarted.self),
                               .error(404, "no such run"), .error(409, "the run has ended, or another process runs it")]) { _, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                guard let live = runs[id] else {
                    _ = try runFolder(id)
                    // Team mode: asked through the history (a queued run is cancelled at once).
                    if try store.requestCancel(id) {
                        guard case .found(let record) = try store.lookup(id), record.status == RunReport.Status.cancelled.rawValue else {
                            return JSONBody.response(.accepted, RunStarted(id: id, status: "running"))
                        }
                        return JSONBody.response(RunStarted(id: id, status: "cancelled"))
                    }
                    throw APIError.conflict("run \(id) is not running in this server")
                }
                guard !live.isFinished else { throw APIError.conflict("run \(id) has finished; there is nothing to cancel") }
                await live.cancel()
                return JSONBody.response(RunStarted(id: id, status: "cancelled"))
            },
            Endpoint(method: .get, path: "/api/v1/runs/{id}/files/{name}", operationID: "runFile",
                     summary: "A file of the run's folder (final.mp4, a frame...), with Range support",
                     parameters: [.runID, .init("name", in: .path, .string(), "a plain file name in the run's folder"), .range],
                     replies: Endpoint.Reply.file + [.error(404, "no such run, or no such file in it")]) { request, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                let name = context.parameters.get("name").map { $0.removingPercentEncoding ?? $0 } ?? ""
                guard RunFolder.isPlainName(name), !name.hasPrefix("."), name != "..", !name.contains("\\") else {
                    throw APIError.notFound("no file \"\(Slug.shown(name))\" in run \(id)")
                }
                let folder = try runFolder(id)
                // The report names files, and its template: served as the API serves JSON, with
                // the server's folders written relative.
                if name == "run.json" {
                    var response = JSONBody.scrubbed(.ok, try answer(of: id))
                    response.headers[.contentDisposition] = "attachment; filename=\"run.json\""
                    return response
                }
                return try FileResponse.response(for: folder.appendingPathComponent(name), inside: folder, request: request)
            },
            Endpoint(method: .get, path: "/api/v1/runs/{id}/graph.svg", operationID: "runGraph", summary: "The run's diagram, coloured by status",
                     parameters: [.runID], replies: [.media(200, "the diagram", "image/svg+xml"), .error(404, "no such run, or its template is gone")]) { _, context in
                let id = try RequestSupport.id(context, "id", what: "run id")
                let folder = try runFolder(id)
                let run: LoadedRun
                do { run = try LoadedRun.read(folder.path) } catch { throw APIError.notFound("run \(id) has no report yet") }
                guard let path = run.report.template.path, let loaded = try? LoadedTemplate.load(path: path), let checked = CheckedTemplate(loaded) else {
                    throw APIError.notFound("the template of run \(id) can no longer be read")
                }
                // Served at /runs/{id}/graph.svg, the run's images are at files/<name> beside it.
                let svg = try await RunDiagram.render(run, graph: checked.graph, template: checked.template, imageBase: "files/")
                return Response(status: .ok, headers: [.contentType: "image/svg+xml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: svg)))
            },
        ]
    }

    /// `GET /api/v1/runs`: the history, a run of this process whose end the disk would not take
    /// yet shown as it ended.
    func history(_ request: Request) throws -> Response {
        // The id the API uses (the file's name) or the id written in the template.
        let template = try RequestSupport.query(request, "template").map { id -> String in
            _ = try Self.checkedID(id, what: "template id")
            guard let file = folder.file(of: id), let loaded = try? LoadedTemplate.load(path: file.path),
                  let written = loaded.template?.id?.value else { return id }
            return written
        }
        let product = try RequestSupport.query(request, "product_id").map { try Self.checkedID($0, what: "product id") }
        var rows = try store.runs(limit: 200, product: product, template: template)
        for i in rows.indices {
            guard let report = runs.unrecordedReport(rows[i].runID) else { continue }
            rows[i].status = report.status.rawValue
            rows[i].finishedAt = report.finishedAt
        }
        return JSONBody.response(rows.map { record in
            var row = record.row
            // A run going on is listed as it is (another process's run is not settled on every listing).
            if record.status != RunReport.Status.running.rawValue,
               let report = try? JSONCoding.decoder.decode(RunReport.self, from: Data(answer(of: record.runID))) {
                (row.stage, row.thumbnail) = Self.stageAndThumbnail(report)
            }
            return row
        })
    }

    /// How far a run went, and the URL of its first made frame.
    static func stageAndThumbnail(_ report: RunReport) -> (String?, String?) {
        let made: (RunReport.Node) -> Bool = { $0.status == .succeeded || $0.status == .cached }
        let stage: String? = report.finalVideo != nil ? "final"
            : report.nodes.contains { $0.job == .video && made($0) } ? "clips"
            : report.nodes.contains { ($0.job == .firstFrame || $0.job == .cameraAngle) && made($0) } ? "frames" : nil
        let frame = report.nodes.first { $0.kind == .firstFrame && made($0) && $0.output != nil }
        let thumbnail = frame?.output.map { "/api/v1/runs/\(report.runID)/files/\($0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? $0)" }
        return (stage, thumbnail)
    }

    /// A job of a run in flight, as the queue view shows it.
    struct QueueEntry: Encodable, Documented {
        var runID: String
        var template: String
        var productID: String?
        var node: String
        var status: String
        var provider: String?
        var model: String?
        var startedAt: Date?
        enum CodingKeys: String, CodingKey {
            case node, status, provider, model, template
            case runID = "run_id"
            case productID = "product_id"
            case startedAt = "started_at"
        }
        static var componentName: String { "QueueEntry" }
        static var schema: JSONSchema {
            .object(["run_id": .string(), "template": .string(), "product_id": .nullable("string"), "node": .string(),
                     "status": .oneOf(["running", "queued", "pending"]), "provider": .nullable("string"), "model": .nullable("string"),
                     "started_at": .nullable("string")],
                    required: ["run_id", "template", "node", "status"])
        }
    }

    /// `GET /api/v1/queue`: every job of this server's runs in flight that is running or waiting
    /// (queued for a provider's slot, or pending on its inputs), running first, oldest first.
    func queue() -> [QueueEntry] {
        var entries: [QueueEntry] = []
        for id in runs.inFlight {
            guard let bytes = try? answer(of: id), let report = try? JSONCoding.decoder.decode(RunReport.self, from: Data(bytes)) else { continue }
            for node in report.nodes where node.job != nil && [NodeStatus.running, .queued, .pending].contains(node.status) {
                entries.append(QueueEntry(runID: id, template: report.template.id, productID: report.productID, node: node.id,
                                          status: node.status.rawValue, provider: node.provider?.rawValue, model: node.model, startedAt: node.startedAt))
            }
        }
        let order = ["running": 0, "queued": 1, "pending": 2]
        return entries.sorted { (order[$0.status] ?? 3, $0.startedAt ?? .distantFuture, $0.runID) < (order[$1.status] ?? 3, $1.startedAt ?? .distantFuture, $1.runID) }
    }

    /// `POST /api/v1/runs` (202) and `/cancel` (200).
    struct RunStarted: Encodable, Documented {
        var id: String
        var status: String
        static var schema: JSONSchema { .object(["id": .string(), "status": .oneOf(["running", "queued", "cancelled"])], required: ["id", "status"]) }
    }

    static func checkedID(_ value: String, what: String) throws -> String {
        guard Slug.problem(value) == nil else { throw APIError.badRequest("\"\(Slug.shown(value))\" is not a \(what)") }
        return value
    }

    /// A run's report as served: a run of this process that has ended as it ended (its report
    /// in memory is the truth even when the disk would not take it), else its `run.json` — and
    /// a report that says `running` for a run no live process runs is settled `interrupted`
    /// first (the history and the report then agree).
    func report(of id: String) throws -> Data { Data(try answer(of: id)) }

    /// Run `id`'s report as the API sends it (server paths scrubbed): a finished run of this
    /// process from memory, encoded once; any other from its `run.json`, kept while that file is
    /// the same version (see `ReportCache`). A report that says `running` for a run no process
    /// runs settles the abandoned runs first, so it is answered `interrupted`, never `running`.
    func answer(of id: String) throws -> [UInt8] {
        if let live = runs[id], let bytes = try live.answer() { return bytes }
        let folder = try runFolder(id)
        let file = folder.appendingPathComponent("run.json")
        if let version = FileVersion(path: file.path), let bytes = reports.bytes(of: id, version: version) { return bytes }
        guard let version = FileVersion(path: file.path), var data = FileManager.default.contents(atPath: file.path) else {
            // Team mode: a run made on another host, as the history keeps its report.
            if let kept = try store.report(of: id) { return ServedPaths.scrub(Array(try kept.encoded())) }
            throw APIError.notFound("run \(id) has no report")
        }
        var settled = true
        let head = try? JSONCoding.decoder.decode(ReportHead.self, from: data)
        if let head, head.runID != id {
            // A later run was made in the same folder: its report is not this run's.
            throw APIError.notFound("run \(id)'s folder now holds run \(Slug.shown(head.runID)); its report was replaced")
        }
        if runs[id] == nil, head?.status == RunReport.Status.running.rawValue {
            do { try store.settleAbandonedRuns() } catch { logger.warning("runs could not be settled", metadata: ["error": "\(error)"]) }
            if let now = FileManager.default.contents(atPath: file.path) { data = now }
            settled = false
        }
        let bytes = ServedPaths.scrub(Array(data))
        // Kept under the version read before the bytes: a report rewritten in between is read
        // again at the next request. One that had to be settled is read again too (it may be
        // another live process's run, or the settling may have failed).
        if settled { reports.keep(id, folder: folder, version: version, bytes: bytes) }
        return bytes
    }

    /// The two fields of a report that say whose it is and whether it is over.
    private struct ReportHead: Decodable {
        var runID: String
        var status: String
        enum CodingKeys: String, CodingKey { case runID = "run_id", status }
    }

    /// Where nothing can exist (`/dev/null` is a file): the folder of a run made on another host
    /// of the team, whose files are not here (its report is served from the history).
    static let elsewhere = URL(fileURLWithPath: "/dev/null/run-on-another-host")

    /// A run's folder: this process's runs first, then the history (404 for neither). A run the
    /// history records on another host (team mode: its folder is `host:/path`) has no folder
    /// here, whatever this host has at that path.
    func runFolder(_ id: String) throws -> URL {
        if let live = runs[id] { return live.folder }
        if let known = reports.folder(of: id) { return known }
        guard case .found(let record) = try store.lookup(id), record.runID == id else {
            throw APIError.notFound("no run \(id)")
        }
        guard record.folder.hasPrefix("/") else { return Self.elsewhere }
        let folder = URL(fileURLWithPath: record.folder)
        reports.keep(id, folder: folder)
        return folder
    }

    func startRun(_ request: Request) async throws -> Response {
        guard RequestSupport.mediaType(request).map({ $0 == "application/json" }) ?? true else {
            throw APIError.unsupportedMediaType("a run request is application/json")
        }
        let bytes = try await RequestSupport.body(request, limit: 1 << 20)
        let keys: ObjectKeys
        do { keys = try JSONCoding.decoder.decode(ObjectKeys.self, from: Data(bytes)) } catch {
            throw APIError.badRequest("the body is not a JSON object")
        }
        if let unknown = keys.names.sorted().first(where: { !Self.runFields.contains($0) }) {
            throw APIError.badRequest("unknown field \"\(Slug.shown(unknown))\"\(Suggestions.didYouMean(unknown, in: Self.runFields.sorted())); a run takes \(Self.runFields.sorted().joined(separator: ", "))")
        }
        let fields: RunFields
        do { fields = try JSONCoding.decoder.decode(RunFields.self, from: Data(bytes)) } catch {
            throw APIError.badRequest("the run request does not fit its shape: \(Self.decodingProblem(error))")
        }
        let templateID = try Self.checkedID(fields.template, what: "template id")
        let productID = try fields.productID.map { try Self.checkedID($0, what: "product id") }
        let targets = fields.targets ?? [], regenerate = fields.regenerate ?? []
        let offline = options.offline || (fields.offline ?? false)
        var budget: Money?
        if let value = fields.maxCost {
            guard value >= 0, value <= 1_000_000, let money = Money(parsing: String(format: "%.6f", value)) else {
                throw APIError.badRequest("\"max_cost\" is a number of US dollars from 0 to 1000000")
            }
            budget = money
        }

        guard let file = folder.file(of: templateID) else { throw APIError.notFound("no template \"\(templateID)\" in the served folder") }
        let loaded: LoadedTemplate
        do { loaded = try LoadedTemplate.load(path: file.path) } catch { throw APIError.notFound("template \"\(templateID)\" cannot be read: \(error.description)") }
        guard let checked = CheckedTemplate(loaded), checked.isValid else {
            throw APIError.invalid("template \"\(templateID)\" is invalid; no run was started", diagnostics: Self.diagnostics(loaded))
        }
        var inputs = HydrationInputs()
        if let productID {
            inputs = try store.hydrationInputs(product: productID, requireAssets: false)
        }
        var hydration = HydrationRequest(template: checked, inputs: inputs)
        hydration.targets = targets
        hydration.regenerate = regenerate
        hydration.options.prompts = fields.prompts ?? [:]
        hydration.options.seeds = fields.seeds ?? [:]
        hydration.options.variations = fields.variations ?? 1
        hydration.replacements = inputs.replacements(for: checked.graph)
        hydration.budget = budget
        hydration.options.offline = offline
        hydration.options.limits = options.limits
        hydration.options.sharedLimiter = runs.limiter
        hydration.options.coalescer = runs.coalescer
        hydration.options.reportInterval = 0.25
        let session = session(offline: offline)
        if let enqueue = options.enqueue {
            // Team mode: checked here (keys and tools are the workers'), hydrated by a worker.
            do { _ = try await session.check(hydration, keys: false) } catch { throw Self.apiError(error) }
            do { try await enqueue(hydration) } catch {
                throw APIError(.serviceUnavailable, "queue_unavailable", "the run could not be queued (nothing was): \(error)")
            }
            return JSONBody.response(.accepted, RunStarted(id: hydration.runID, status: "queued"), headers: [.location: "/api/v1/runs/\(hydration.runID)"])
        }
        // The run's events are kept from the first one (the scheduler's `run_started`).
        let live = LiveRun(id: hydration.runID, folder: options.workspace.runsDirectory.appendingPathComponent(hydration.runID))
        let prepared: PreparedHydration
        do {
            prepared = try await session.prepare(hydration) { event in live.append(ServedPaths.scrub(event.jsonLine(runID: live.id))) }
            // Recorded before it is promised: a run that cannot be recorded gets no 202.
            try await session.begin(prepared)
        } catch {
            throw Self.apiError(error)
        }
        runs.start(prepared, live: live, session: session)
        return JSONBody.response(.accepted, RunStarted(id: live.id, status: "running"), headers: [.location: "/api/v1/runs/\(live.id)"])
    }

    /// The member names of a JSON object, whatever their values (to refuse unknown fields).
    struct ObjectKeys: Decodable {
        var names: [String]
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
        init(from decoder: Decoder) throws {
            names = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
        }
    }

    /// `POST /api/v1/runs`'s body (unknown fields are refused before it is decoded).
    struct RunFields: Decodable, Documented {
        static var componentName: String { "RunRequest" }
        static var schema: JSONSchema {
            .object(["template": .string(pattern: Endpoint.Parameter.idPattern), "product_id": .string(pattern: Endpoint.Parameter.idPattern),
                     "offline": .boolean, "targets": .array(of: .string()), "regenerate": .array(of: .string()),
                     "max_cost": JSONSchema.number.with { $0.minimum = 0; $0.maximum = 1_000_000 },
                     "prompts": .object([:], description: "regenerated node id → the prompt of its new take (frames and clips)"),
                     "seeds": .object([:], description: "regenerated node id → the seed of its new take"),
                     "variations": JSONSchema.integer.with { $0.minimum = 1; $0.maximum = 8 }],
                    required: ["template"], closed: true)
        }
        var template: String
        var productID: String?
        var offline: Bool?
        var targets: [String]?
        var regenerate: [String]?
        var maxCost: Double?
        var prompts: [String: String]?
        var seeds: [String: Int]?
        var variations: Int?

        enum CodingKeys: String, CodingKey {
            case template, offline, targets, regenerate, prompts, seeds, variations
            case productID = "product_id"
            case maxCost = "max_cost"
        }
    }

    /// A decoding error in a user's words: the field and what was wrong.
    static func decodingProblem(_ error: Error) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }
        switch error as? DecodingError {
        case .keyNotFound(let key, _)?: return "\"\(key.stringValue)\" is required"
        case .typeMismatch(let type, let context)?: return "\"\(path(context.codingPath))\" must be \(type == Double.self ? "a number" : type == Bool.self ? "true or false" : type == String.self ? "a string" : "a list of strings")"
        case .valueNotFound(_, let context)?: return "\"\(path(context.codingPath))\" must not be null"
        default: return "malformed JSON"
        }
    }

    /// Why a hydration could not start, as the contract's status and code (nothing was spent).
    static func apiError(_ error: HydrationError) -> APIError {
        switch error {
        case .invalidInputs(let diagnostics):
            return .invalid("the product's inputs do not fit the template; no run was started", diagnostics: diagnostics)
        case .unknownName(let message): return APIError(.unprocessableContent, "unknown_target", message)
        case .missingKeys: return APIError(.unprocessableContent, "missing_keys", error.description.replacingOccurrences(of: "error: ", with: ""))
        case .overBudget(let message): return APIError(.unprocessableContent, "over_budget", message)
        case .remoteImages(let message): return APIError(.unprocessableContent, "remote_images", message)
        case .unreadable(let failure): return APIError(.unprocessableContent, "unreadable", failure.description)
        case .unrecordable(let message): return .insufficientStorage(message)
        case .configuration(let message), .missingTools(let message), .folder(let message):
            return APIError(.internalServerError, "server_setup", message)
        }
    }

    /// `text/event-stream` of a run's events: each NDJSON event as one `data:` line with its
    /// number as `id:`, replayed after `after`, then live until `run_finished`. A comment every
    /// 15 s keeps an idle connection open. A run of an earlier server process replays only its end.
    func events(_ id: String, after: Int) throws -> Response {
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        guard let live = runs[id] else {
            let data = try report(of: id)
            let report = try? RunReport.decoder.decode(RunReport.self, from: data)
            if let report, !report.status.isFinished { return follow(id, from: report, after: after, headers: headers) }
            let line = Self.finishedLine(id, report: report)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: after >= 1 ? "" : "id: 1\ndata: \(line)\n\n")))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            // Events and keep-alive comments merged into one stream, written in order here.
            let (output, sink) = AsyncStream<String>.makeStream()
            let forward = Task {
                for await (number, line) in live.events(after: after) { sink.yield("id: \(number)\ndata: \(line)\n\n") }
                sink.finish()
            }
            let keepAlive = Task {
                while (try? await Task.sleep(for: .seconds(15))) != nil { sink.yield(": keep-alive\n\n") }
            }
            defer { forward.cancel(); keepAlive.cancel() }
            for await chunk in output { try await writer.write(ByteBuffer(string: chunk)) }
            try await writer.finish(nil)
        })
    }

    /// The events of a run another process hydrates (team mode: a worker on any host; its
    /// report reaches the history every 2 s), made from the changes of its report, polled every
    /// second: each job's start and end as they are first seen, then `run_finished`. Numbered
    /// from the report's state when the stream starts (`Last-Event-ID` resumes a stream of
    /// this run that started from the same state).
    func follow(_ id: String, from first: RunReport, after: Int, headers: HTTPFields) -> Response {
        Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var number = 0
            var told: [String: NodeStatus] = [:]
            var current = first
            var quiet = ContinuousClock.now
            while true {
                var chunk = ""
                for line in Self.changes(id, told: &told, now: current) {
                    number += 1
                    if number > after { chunk += "id: \(number)\ndata: \(line)\n\n" }
                }
                if current.status.isFinished {
                    number += 1
                    if number > after { chunk += "id: \(number)\ndata: \(Self.finishedLine(id, report: current))\n\n" }
                }
                if chunk.isEmpty, ContinuousClock.now - quiet >= .seconds(15) { chunk = ": keep-alive\n\n" }
                if !chunk.isEmpty {
                    try await writer.write(ByteBuffer(string: chunk))
                    quiet = ContinuousClock.now
                }
                if current.status.isFinished { break }
                try await Task.sleep(for: .seconds(1))
                if let data = try? self.report(of: id), let next = try? RunReport.decoder.decode(RunReport.self, from: data) { current = next }
            }
            try await writer.finish(nil)
        })
    }

    /// Events for what `current` shows that the stream has not told yet (the scheduler's own
    /// event shapes, as `run --json` prints them): a job's start once, its end once. A run back
    /// in the queue (handed back) tells nothing (its attempt's `skipped` nodes are not ends),
    /// and a job whose end was told is not told again when a later attempt finds it cached.
    static func changes(_ id: String, told: inout [String: NodeStatus], now current: RunReport) -> [String] {
        guard current.status != .queued else { return [] }
        var lines: [String] = []
        for node in current.nodes where node.job != nil && told[node.id] != node.status {
            if let earlier = told[node.id], earlier != .running { continue }
            if node.status == .skipped, !current.status.isFinished { continue }
            let event: RunEvent
            switch node.status {
            case .pending, .queued: continue
            case .running:
                guard told[node.id] == nil else { continue }
                event = .started(node: node.id, attempt: max(node.attempts, 1), provider: node.provider ?? .local)
            case .succeeded, .cached:
                let seconds = node.finishedAt.flatMap { end in node.startedAt.map { end.timeIntervalSince($0) } } ?? 0
                event = .finished(node: node.id, status: node.status, seconds: seconds, output: node.output)
            case .failed: event = .failed(node: node.id, error: node.error ?? "", attempts: node.attempts)
            case .blocked: event = .blocked(node: node.id, by: node.error ?? "")
            case .skipped: event = .skipped(node: node.id, reason: node.error ?? "")
            }
            told[node.id] = node.status
            lines.append(ServedPaths.scrub(event.jsonLine(runID: id)))
        }
        return lines
    }

    /// The `run_finished` event of a run whose events this process no longer holds.
    static func finishedLine(_ id: String, report: RunReport?) -> String {
        struct Finished: Encodable {
            var event = "run_finished"
            var runID: String
            var status: String
            var stopReason: String?
            enum CodingKeys: String, CodingKey { case event, status; case runID = "run_id"; case stopReason = "stop_reason" }
        }
        let data = (try? JSONCoding.compact.encode(Finished(runID: id, status: report?.status.rawValue ?? "unknown", stopReason: report?.stopReason))) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
