import Foundation
@testable import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowProcess
@testable import SceneFlowRun
@testable import SceneFlowTeam
import SceneFlowTestSupport
import SceneFlowTestTags
import Testing

/// The proxy in `Fixtures/flaky_proxy.py`, in front of the S3-compatible server: counts what
/// passes and fails requests on demand.
final class FlakyProxy: Sendable {
    let process: ChildProcess
    let endpoint: String

    init(upstream: String) async throws {
        let portFile = try temporaryDirectory().appendingPathComponent("port")
        process = try ChildProcess.launch(Command(Command.find("python3")!, arguments: [fixtures.appendingPathComponent("flaky_proxy.py").path, upstream, portFile.path],
                                                  stdout: .discard, stderr: .discard))
        guard await waitUntil(timeout: 20, { FileManager.default.fileExists(atPath: portFile.path) }) else {
            process.terminate()
            throw TestSupportError("the flaky proxy did not start")
        }
        endpoint = "http://127.0.0.1:\(try String(contentsOf: portFile, encoding: .utf8))"
    }

    deinit { process.terminate() }

    /// The next `count` requests (of `method`, if given) get `status`.
    func fail(_ count: Int, status: Int = 503, method: String? = nil) throws {
        _ = try HTTPClient.perform(HTTPRequest(.post, "\(endpoint)/__proxy/fail?count=\(count)&status=\(status)\(method.map { "&method=\($0)" } ?? "")"))
    }

    struct Stats: Decodable {
        var forwarded: Int
        var failed: Int
        var by_method: [String: Int]
    }

    func stats() throws -> Stats {
        try JSONDecoder().decode(Stats.self, from: HTTPClient.perform(HTTPRequest(.get, "\(endpoint)/__proxy/stats")).body)
    }
}

func randomFile(_ bytes: Int) throws -> (URL, String) {
    var data = Data(count: bytes)
    data.withUnsafeMutableBytes { raw in
        var generator = SystemRandomNumberGenerator()
        for i in stride(from: 0, to: raw.count, by: 8) {
            var value = generator.next()
            withUnsafeBytes(of: &value) { v in for j in 0..<min(8, raw.count - i) { raw[i + j] = v[j] } }
        }
    }
    let url = try temporaryDirectory().appendingPathComponent("blob.bin")
    try data.write(to: url)
    return (url, Digest.sha256(data))
}

/// A copy of `file` (publishing moves the file it is given).
func copy(_ file: URL) throws -> URL {
    let to = try temporaryDirectory().appendingPathComponent(file.lastPathComponent)
    try FileManager.default.copyItem(at: file, to: to)
    return to
}

@Suite(.tags(.endToEnd), .timeLimit(.minutes(3))) struct BlobStoreTests {
    enum Kind: String, CaseIterable, Sendable { case folder, s3 }

    func stores(_ kind: Kind, location: S3Location? = nil) throws -> (any BlobStore, () throws -> any BlobStore) {
        switch kind {
        case .folder:
            let shared = try temporaryDirectory()
            return (FolderBlobStore(root: shared), { FolderBlobStore(root: shared) })
        case .s3:
            let services = try TeamServices.required()
            let location = location ?? services.freshLocation()
            return (S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory()),
                    { S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory()) })
        }
    }

    @Test(arguments: Kind.allCases)
    func bytesGoInOnceAndComeBackOnAnotherHost(_ kind: Kind) throws {
        let (store, another) = try stores(kind)
        let (file, sha) = try randomFile(100_000)
        let name = "\(sha).bin"
        try store.publish(try copy(file), as: name)
        let other = try another()
        #expect(try other.contains(name))
        let fetched = try other.fetch(name)
        #expect(try Digest.sha256(fileAt: fetched) == sha)
        try other.remove(name)
        #expect(try !store.contains(name))
        #expect(throws: BlobStoreError.self) { try another().fetch(name) }
    }

    /// A name is written once: a second publish of other bytes under it keeps the first (the
    /// conditional create answers 412), and every host reads the first.
    @Test(arguments: Kind.allCases)
    func aNameIsCreatedOnce(_ kind: Kind) throws {
        let (store, another) = try stores(kind)
        let (first, sha) = try randomFile(5_000)
        let (second, _) = try randomFile(5_000)
        let name = "\(sha).bin"
        try store.publish(try copy(first), as: name)
        try another().publish(try copy(second), as: name)
        #expect(try Digest.sha256(fileAt: another().fetch(name)) == sha)
    }

    /// Bytes changed in the bucket behind SceneFlow's back are refused when read, never used.
    @Test func damagedBytesAreRefusedWhenRead() throws {
        let services = try TeamServices.required()
        let location = services.freshLocation()
        let writer = S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory())
        let (good, sha) = try randomFile(4_000)
        let (bad, _) = try randomFile(4_000)
        let name = "\(sha).png"
        // A plain PUT (no condition), as a tool that knows nothing of SceneFlow would write it.
        var put = writer.signed(.put, writer.url(writer.key(name)), unsignedPayload: true)
        put.upload = .init(file: bad, length: 4_000)
        #expect(try HTTPClient.perform(put).isSuccess)
        let reader = S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory())
        do {
            _ = try reader.fetch(name)
            Issue.record("damaged bytes were used")
        } catch let error as BlobStoreError {
            #expect(error.description.contains("damaged"), "\(error)")
        }
        #expect(reader.local.locate(name) == nil, "nothing damaged is kept on this host")
        // The real bytes, once put back, are read.
        #expect(try HTTPClient.perform(writer.signed(.delete, writer.url(writer.key(name)))).isSuccess)
        try writer.publish(good, as: name)
        #expect(try Digest.sha256(fileAt: reader.fetch(name)) == sha)
    }

    /// Above the multipart threshold a file goes up in parts read from the file as they are sent.
    @Test func largeFilesGoUpInParts() async throws {
        let services = try TeamServices.required()
        let proxy = try await FlakyProxy(upstream: services.s3Endpoint)
        let location = services.freshLocation(endpoint: proxy.endpoint)
        let store = S3BlobStore(location: location, folder: "objects/", localCache: try temporaryDirectory(), multipartThreshold: 6 << 20, partSize: 5 << 20)
        let (file, sha) = try randomFile(12 << 20)
        try store.publish(try copy(file), as: "\(sha).mp4")
        #expect(try proxy.stats().by_method["PUT"] == 3, "three parts of at most 5 MB")
        let reader = S3BlobStore(location: location, folder: "objects/", localCache: try temporaryDirectory())
        #expect(try Digest.sha256(fileAt: reader.fetch("\(sha).mp4")) == sha)
    }

    /// A server that throttles or fails for a while is waited for, and each wait is told; a
    /// rerun reads its local copy and downloads nothing.
    @Test func aServerFailingForAWhileIsWaitedForAndReadsAreLocalAfterwards() async throws {
        let services = try TeamServices.required()
        let proxy = try await FlakyProxy(upstream: services.s3Endpoint)
        let location = services.freshLocation(endpoint: proxy.endpoint)
        let notices = NoticeLog()
        let store = S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory(), patience: 30, notices: { notices.append($0) })
        let (file, sha) = try randomFile(10_000)
        try proxy.fail(3, status: 503)
        try store.publish(try copy(file), as: "\(sha).bin")
        #expect(try proxy.stats().failed == 3)
        #expect(notices.lines.count == 3 && notices.lines.allSatisfy { $0.contains("HTTP 503 SlowDown") }, "\(notices.lines)")
        #expect(notices.lines.allSatisfy { !$0.contains(services.secretAccessKey) })

        let reader = S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory(), patience: 30)
        try proxy.fail(2, status: 500)
        let before = try proxy.stats().by_method["GET"] ?? 0
        #expect(try Digest.sha256(fileAt: reader.fetch("\(sha).bin")) == sha)
        #expect(try Digest.sha256(fileAt: reader.fetch("\(sha).bin")) == sha)
        #expect(try proxy.stats().by_method["GET"] == before + 1, "the second read is local")
    }

    @Test func aServerFailingTooLongIsAClearErrorWithoutSecrets() async throws {
        let services = try TeamServices.required()
        let proxy = try await FlakyProxy(upstream: services.s3Endpoint)
        let store = S3BlobStore(location: services.freshLocation(endpoint: proxy.endpoint), folder: "assets/", localCache: try temporaryDirectory(), patience: 1)
        try proxy.fail(1000, status: 503)
        let (file, sha) = try randomFile(1_000)
        let started = Date()
        do {
            try store.publish(file, as: "\(sha).bin")
            Issue.record("a failing server accepted the blob")
        } catch let error as BlobStoreError {
            #expect(error.isTransient)
            #expect(error.description.contains("HTTP 503 SlowDown") && error.description.contains(services.bucket), "\(error)")
            #expect(!error.description.contains(services.secretAccessKey))
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aMissingBucketOrServerIsNamed() throws {
        let services = try TeamServices.required()
        var location = services.freshLocation()
        location.bucket = "no-such-bucket-\(UUID().uuidString.prefix(6).lowercased())"
        do {
            try S3BlobStore(location: location, folder: "assets/", localCache: try temporaryDirectory()).check()
            Issue.record("a missing bucket passed the check")
        } catch {
            #expect("\(error)".contains("the bucket \(location.bucket) does not exist at \(services.s3Endpoint)"), "\(error)")
            #expect(!"\(error)".contains(services.secretAccessKey))
        }
        let down = S3Location(endpoint: "http://127.0.0.1:\(try unusedPort())", bucket: "b", prefix: "", region: "us-east-1", accessKeyID: "AKIA", secretAccessKey: "s3cr3t-value")
        let started = Date()
        #expect(throws: BlobStoreError.self) { try S3BlobStore(location: down, folder: "assets/", localCache: try temporaryDirectory(), patience: 1).check() }
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
