import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import SceneFlowBasics

/// Malformed framing (a bad chunk size, a negative or repeated `Content-Length`, one beside
/// `Transfer-Encoding`, headers over the limit) in the contract's error shape.
///
/// The HTTP decoder reports such a request as an error on the channel, and Hummingbird then
/// answers `400` with an empty body and closes the connection. This handler sits between the
/// two: it notes the parser's error as it passes, and turns that bare answer into the
/// contract's `{"error": {...}}` with the fitting status (431 for headers too large, 400
/// otherwise). When the request had been answered already (its body was malformed after a
/// route replied), the bare answer is dropped and the connection closed.
final class FramingErrors: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var error: HTTPParserError?
    /// A response head went out after the error was seen.
    private var answeredAfterError = false
    private enum Replacing { case none, shaping(ByteBuffer), dropping }
    private var replacing = Replacing.none

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parser = error as? HTTPParserError, self.error == nil { self.error = parser }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        guard let error else {
            context.write(data, promise: promise)
            return
        }
        switch (part, replacing) {
        case (.head(let head), _) where Self.isBareRefusal(head):
            if answeredAfterError {
                replacing = .dropping
                promise?.succeed(())
                return
            }
            let status: HTTPResponse.Status = error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest
            let body = Self.body(for: error)
            var shaped = HTTPResponse(status: status)
            shaped.headerFields[.contentType] = "application/json; charset=utf-8"
            shaped.headerFields[.contentLength] = String(body.readableBytes)
            shaped.headerFields[.connection] = "close"
            shaped.headerFields[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            shaped.headerFields[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'; sandbox"
            replacing = .shaping(body)
            context.write(wrapOutboundOut(.head(shaped)), promise: promise)
        case (.head, _):
            answeredAfterError = true
            context.write(data, promise: promise)
        case (.end, .shaping(let body)):
            replacing = .none
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.write(wrapOutboundOut(.end(nil)), promise: promise)
        case (.end, .dropping):
            replacing = .none
            promise?.succeed(())
            context.flush()
            context.close(promise: nil)
        case (.body, .dropping):
            promise?.succeed(())
        default:
            context.write(data, promise: promise)
        }
    }

    /// Hummingbird's own answer to a parse error: 400, `Connection: close`, no body.
    private static func isBareRefusal(_ head: HTTPResponse) -> Bool {
        head.status == .badRequest && head.headerFields[.contentLength] == "0" && head.headerFields[.contentType] == nil
            && head.headerFields[.connection] == "close"
    }

    private static func body(for error: HTTPParserError) -> ByteBuffer {
        let payload = APIError.Body(error: .init(code: "bad_request", message: "the request is malformed: \(ErrorShaping.describe(error))"))
        return ByteBuffer(bytes: (try? JSONCoding.compact.encode(payload)) ?? Data())
    }
}
