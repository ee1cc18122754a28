import Foundation
import SceneFlowBasics
import SceneFlowHTTP
@testable import SceneFlowProviders
import SceneFlowRun
import SceneFlowTemplate
import Testing

/// Where a key may go: only under its own provider's base URL.
@Suite(.timeLimit(.minutes(2))) struct ProviderEndpointTests {
    let fal = ProviderEndpoint(provider: .fal, base: "https://queue.fal.run/", key: "fal-secret-123456")!
    let proxied = ProviderEndpoint(provider: .elevenlabs, base: "http://127.0.0.1:8080/eleven", key: "eleven-secret-123456")!

    @Test func theKeyGoesOnlyUnderTheBaseURL() throws {
        #expect(fal.base == "https://queue.fal.run")
        #expect(fal.owns("https://queue.fal.run/fal-ai/kling-video/requests/abc/status"))
        #expect(fal.owns("https://QUEUE.fal.run:443/fal-ai/kling-image/o1"))
        for url in ["https://v3.fal.media/files/abc.png",            // fal's CDN: media, no key
                    "http://queue.fal.run/fal-ai/kling-image/o1",      // downgraded to plain HTTP
                    "https://queue.fal.run.attacker.example/x",        // a look-alike host
                    "https://queue.fal.run:8443/x",                    // another port
                    "https://attacker.example/?u=https://queue.fal.run/"] {
            #expect(!fal.owns(url), "\(url)")
        }
        #expect(proxied.owns("http://127.0.0.1:8080/eleven/v1/text-to-speech/x"))
        #expect(!proxied.owns("http://127.0.0.1:8080/elevenses/v1"), "a path prefix matches whole segments")
        #expect(!proxied.owns("http://127.0.0.1:8080/media/speech.mp3"))
    }

    @Test func requestsCarryTheKeyOnlyWhereOwned() throws {
        let owned = try fal.request(.get, "https://queue.fal.run/fal-ai/kling-image/requests/abc/status")
        #expect(owned.header("Authorization") == "Key fal-secret-123456")
        let media = try fal.request(.get, "https://v3.fal.media/files/abc.png")
        #expect(media.header("Authorization") == nil)
    }

    @Test func messagesNeverShowTheKey() {
        #expect(fal.redact("failed: Authorization: Key fal-secret-123456 rejected") == "failed: Authorization: Key [redacted] rejected")
        #expect(fal.redact("echoed fal-secret-123456 back") == "echoed [FAL_KEY] back")
    }

    @Test func badBaseURLsAndMissingKeys() throws {
        #expect(ProviderEndpoint(provider: .fal, base: "queue.fal.run", key: "k") == nil)
        #expect(ProviderEndpoint(provider: .fal, base: "ftp://queue.fal.run", key: "k") == nil)
        #expect(ProviderEndpoint(provider: .fal, base: "https://queue.fal.run", key: "") == nil)
        #expect(try ProviderEndpoint.fromEnvironment(.fal, [:]) == nil)
        #expect(try ProviderEndpoint.fromEnvironment(.fal, ["FAL_KEY": "k"])?.base == "https://queue.fal.run")
        #expect(try ProviderEndpoint.fromEnvironment(.veo, ["GEMINI_API_KEY": "k"])?.base == "https://generativelanguage.googleapis.com")
        #expect(throws: ConfigurationError.self) { try ProviderEndpoint.fromEnvironment(.fal, ["FAL_KEY": "k", "SCENEFLOW_FAL_URL": "not a url"]) }
    }

    @Test func retryAfterInSecondsMillisecondsOrADate() {
        func response(_ headers: [String: String]) -> HTTPResponse { HTTPResponse(status: 429, headers: headers, body: Data(), url: "") }
        #expect(ProviderClient.retryAfter(response(["retry-after": "12"])) == 12)
        #expect(ProviderClient.retryAfter(response(["retry-after-ms": "1500"])) == 1.5)
        let inAMinute = Date().addingTimeInterval(60)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let delay = ProviderClient.retryAfter(response(["retry-after": formatter.string(from: inAMinute)])) ?? 0
        #expect(delay > 55 && delay <= 60)
        #expect(ProviderClient.retryAfter(response([:])) == nil)
    }

    @Test func errorBodiesBecomeReadableMessages() {
        func message(_ json: String) -> String { ProviderClient.message(from: Data(json.utf8)) }
        #expect(message(#"{"detail":[{"loc":["body","duration"],"msg":"must be 5 or 10","type":"value_error"}]}"#) == "duration: must be 5 or 10")
        #expect(message(#"{"detail":"Request timed out","error_type":"request_timeout"}"#) == "Request timed out (request_timeout)")
        #expect(message(#"{"error":{"code":400,"message":"Invalid image","status":"INVALID_ARGUMENT"}}"#) == "INVALID_ARGUMENT: Invalid image")
        #expect(message(#"{"detail":{"status":"system_busy","message":"busy"}}"#) == "system_busy: busy")
        #expect(message("<html>Bad gateway</html>") == "<html>Bad gateway</html>")
        #expect(message("") == "(empty body)")
    }
}
