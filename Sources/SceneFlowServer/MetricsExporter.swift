import Foundation
import Hummingbird
import Logging
import NIOCore

/// A small HTTP listener for a process that is not the server (`sceneflow worker
/// --metrics-port`): `GET /metrics` answers the Prometheus text exposition, anything else 404.
/// Read-only, and on loopback unless told otherwise.
public final class MetricsExporter: Sendable {
    /// The port it listens on (the one picked, when asked for 0).
    public let port: Int
    let task: Task<Void, any Error>

    init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    /// Listens on `host:port` (0 picks a free port); throws when it cannot.
    public static func start(host: String, port: Int, exposition: @escaping @Sendable () async -> [UInt8]) async throws -> MetricsExporter {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(bytes: await exposition())))
        }
        let (bound, announce) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "sceneflow.metrics")
        logger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "sceneflow"),
                              onServerRunning: { channel in
                                  announce.yield(channel.localAddress?.port ?? port)
                                  announce.finish()
                              }, logger: logger)
        let task = Task {
            defer { announce.finish() }
            try await app.run()
        }
        for await chosen in bound { return MetricsExporter(port: chosen, task: task) }
        // It ended before it listened: say why.
        try await task.value
        throw MetricsExporterError(description: "it stopped before it listened")
    }

    public func stop() { task.cancel() }
}

struct MetricsExporterError: Error, CustomStringConvertible {
    var description: String
}
