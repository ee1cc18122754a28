import Crypto
import Foundation
import SceneFlowBasics
import SceneFlowHTTP
import SceneFlowRun

#if canImport(Glibc)
import Glibc
#endif

/// Where an S3-compatible bucket is and how to sign for it. Path-style addressing
/// (`ENDPOINT/BUCKET/KEY`), which every S3-compatible server speaks.
public struct S3Location: Sendable, CustomStringConvertible {
    public var endpoint: String
    public var bucket: String
    /// Keys start with it (`prefix/assets/ab/<name>`); empty or ending in `/`.
    public var prefix: String
    public var region: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(endpoint: String, bucket: String, prefix: String, region: String, accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.bucket = bucket
        self.prefix = prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/"
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// `s3://bucket/prefix at ENDPOINT`: no key, no secret.
    public var description: String { "s3://\(bucket)/\(prefix) at \(endpoint)" }
}

/// Blobs in an S3-compatible bucket, read through a local folder.
///
/// Uploads stream from the file (a single `PUT` up to `multipartThreshold`, a multipart upload
/// above it, parts read from the file as they are sent) and are conditional creates
/// (`If-None-Match: *`): a name is written once, and a second writer finds it there (412) and
/// keeps it. Reads stream into the local folder (temporary file, then rename) and a content
/// name (`<sha256>.<ext>`) is verified before it is used; a rerun reads the local copy and
/// downloads nothing. A 5xx, a 429 or a dropped connection is retried with backoff for up to
/// `patience` seconds, and each wait is told to `notices`. Requests are signed by libcurl
/// (`CURLOPT_AWS_SIGV4`); no message carries a key, a secret or a signature.
public final class S3BlobStore: BlobStore, @unchecked Sendable {
    public let location: S3Location
    /// Where fetched blobs are kept on this host (the read-through cache).
    public let local: FolderBlobStore
    /// The folder part: `assets/` or `objects/`.
    public let folder: String
    public var multipartThreshold: Int64
    public var partSize: Int64
    public var patience: Double
    /// Names are `<sha256>.<ext>` (stored assets): what is read is checked against its name.
    /// Off for cache objects, named by their cache key (their metadata holds the digest).
    public var verifiesContentNames: Bool
    public let notices: @Sendable (String) -> Void

    public init(location: S3Location, folder: String, localCache: URL, multipartThreshold: Int64 = 64 << 20, partSize: Int64 = 16 << 20,
                patience: Double = 60, notices: @escaping @Sendable (String) -> Void = { _ in }) {
        self.location = location
        self.folder = folder
        local = FolderBlobStore(root: localCache)
        self.multipartThreshold = multipartThreshold
        self.partSize = max(5 << 20, partSize)
        self.patience = patience
        verifiesContentNames = folder == "assets/"
        self.notices = notices
    }

    func key(_ name: String) -> String { "\(location.prefix)\(folder)\(name.prefix(2))/\(name)" }

    func url(_ key: String, query: String? = nil) -> String {
        let path = ([location.bucket] + key.split(separator: "/").map(String.init)).map(Self.encode).joined(separator: "/")
        return "\(location.endpoint)/\(path)\(query.map { "?\($0)" } ?? "")"
    }

    static func encode(_ segment: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    // MARK: BlobStore

    /// The local copy if there is one; else fetched (nil when the bucket has no such blob or it
    /// cannot be fetched: `fetch` says why).
    public func locate(_ name: String) -> URL? {
        if let url = local.locate(name) { return url }
        return try? fetch(name)
    }

    public func fetch(_ name: String) throws -> URL {
        if let url = local.locate(name) { return url }
        try FileManager.default.createDirectory(at: local.root, withIntermediateDirectories: true)
        let temporary = local.root.appendingPathComponent(".fetch-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { unlink(temporary.path) }
        guard try download(name, to: temporary) else { throw BlobStoreError("\(name) is not in \(location)", missing: true) }
        if verifiesContentNames, let expected = BlobNames.contentDigest(name) {
            let digest = try Digest.sha256(fileAt: temporary)
            guard digest == expected else {
                throw BlobStoreError("\(name) read from \(location) is damaged (its digest is \(digest.prefix(12))…); it was not used", damaged: true)
            }
        }
        return try local.publish(temporary, as: name)
    }

    /// Uploads `file` as `name` unless the bucket has it; the file then becomes the local copy.
    public func publish(_ file: URL, as name: String) throws -> URL {
        try upload(file, as: name)
        return try local.publish(file, as: name)
    }

    /// Uploads a copy of `file` (read as it is sent); `file` stays where it is.
    public func store(copyOf file: URL, as name: String) throws {
        try upload(file, as: name)
    }

    /// A conditional create of `name` from `file`: a name the bucket has already is kept.
    func upload(_ file: URL, as name: String) throws {
        let size: Int64
        do { size = Int64(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int ?? 0) } catch {
            throw BlobStoreError("cannot read \(file.lastPathComponent): \(ErrorText.describe(error))")
        }
        if size > multipartThreshold {
            try uploadInParts(file, size: size, as: name)
        } else {
            var request = signed(.put, url(key(name)), unsignedPayload: true)
            request.headers.append(("If-None-Match", "*"))
            request.upload = .init(file: file, length: size)
            request.timeout = 600
            let response = try send(request, what: "store \(name)")
            // 412: the name is there already (written once, by whoever was first); 409: a
            // concurrent conditional write is finishing it.
            guard response.isSuccess || response.status == 412 || response.status == 409 else { throw failure(response, "store \(name)") }
        }
    }

    public func remove(_ name: String) throws {
        let response = try send(signed(.delete, url(key(name))), what: "delete \(name)")
        guard response.isSuccess || response.status == 404 else { throw failure(response, "delete \(name)") }
        try local.remove(name)
    }

    /// Downloads the bucket's bytes of `name` (past any local copy) and hashes them.
    public func verify(_ name: String, sha256: String) throws -> Bool {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent(".verify-\(getpid())-\(UUID().uuidString.prefix(8))")
        defer { unlink(temporary.path) }
        guard try download(name, to: temporary) else { return false }
        return try Digest.sha256(fileAt: temporary) == sha256
    }

    /// Streams the bucket's bytes of `name` into `file`; false when the bucket has no such name.
    func download(_ name: String, to file: URL) throws -> Bool {
        var request = signed(.get, url(key(name)))
        request.destination = file
        request.maxBytes = 4 << 30
        request.timeout = 600
        let response = try send(request, what: "read \(name)")
        if response.status == 404 { return false }
        guard response.isSuccess else { throw failure(response, "read \(name)") }
        return true
    }

    public func contains(_ name: String) throws -> Bool {
        let response = try send(signed(.head, url(key(name))), what: "look for \(name)")
        if response.status == 404 { return false }
        guard response.isSuccess else { throw failure(response, "look for \(name)") }
        return true
    }

    public func setAside(_ name: String, into folder: URL, tag: String) {
        local.setAside(name, into: folder, tag: tag)
    }

    /// Checks that the bucket is there and the credentials are accepted (a `HEAD` of the bucket).
    public func check() throws {
        var probe = signed(.head, "\(location.endpoint)/\(Self.encode(location.bucket))")
        probe.timeout = 10
        let response = try send(probe, what: "reach the bucket", patience: 2)
        switch response.status {
        case 200..<300: return
        case 404: throw BlobStoreError("the bucket \(location.bucket) does not exist at \(location.endpoint)")
        case 401, 403: throw BlobStoreError("\(location) refused the credentials (key \(location.accessKeyID.prefix(4))…): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
        default: throw failure(response, "reach the bucket")
        }
    }

    // MARK: Multipart

    private func uploadInParts(_ file: URL, size: Int64, as name: String) throws {
        let objectURL = url(key(name))
        let start = try send(signed(.post, url(key(name), query: "uploads")), what: "start storing \(name)")
        guard start.isSuccess, let uploadID = Self.xmlValue("UploadId", in: start.body) else { throw failure(start, "start storing \(name)") }
        let idQuery = "uploadId=\(Self.encode(uploadID))"
        do {
            var parts: [(Int, String)] = []
            var offset: Int64 = 0
            var number = 1
            while offset < size {
                let length = min(partSize, size - offset)
                var request = signed(.put, url(key(name), query: "partNumber=\(number)&\(idQuery)"), unsignedPayload: true)
                request.upload = .init(file: file, offset: offset, length: length)
                request.timeout = 600
                let response = try send(request, what: "store part \(number) of \(name)")
                guard response.isSuccess, let etag = response.header("etag") else { throw failure(response, "store part \(number) of \(name)") }
                parts.append((number, etag))
                offset += length
                number += 1
            }
            let body = "<CompleteMultipartUpload>" + parts.map { "<Part><PartNumber>\($0.0)</PartNumber><ETag>\(Self.xmlEscape($0.1))</ETag></Part>" }.joined() + "</CompleteMultipartUpload>"
            var complete = signed(.post, url(key(name), query: idQuery))
            complete.headers.append(("If-None-Match", "*"))
            complete.headers.append(("Content-Type", "application/xml"))
            complete.body = Data(body.utf8)
            let response = try send(complete, what: "finish storing \(name)")
            // A 200 can carry an error in its body (S3 says so for CompleteMultipartUpload).
            if response.isSuccess, !String(decoding: response.body, as: UTF8.self).contains("<Error>") { return }
            if response.status == 412 || response.status == 409 {
                _ = try? send(signed(.delete, "\(objectURL)?\(idQuery)"), what: "abandon storing \(name)", patience: 5)
                return
            }
            throw failure(response, "finish storing \(name)")
        } catch {
            _ = try? send(signed(.delete, "\(objectURL)?\(idQuery)"), what: "abandon storing \(name)", patience: 5)
            throw error
        }
    }

    // MARK: Requests

    func signed(_ method: HTTPRequest.Method, _ url: String, unsignedPayload: Bool = false) -> HTTPRequest {
        var request = HTTPRequest(method, url)
        request.awsSigV4 = .init(region: location.region, accessKeyID: location.accessKeyID, secretAccessKey: location.secretAccessKey)
        if unsignedPayload { request.headers.append(("x-amz-content-sha256", "UNSIGNED-PAYLOAD")) }
        if let token = location.sessionToken { request.headers.append(("x-amz-security-token", token)) }
        request.connectTimeout = 5
        request.timeout = 60
        return request
    }

    /// Sends `request`, retrying what may pass (a 5xx, 429, a dropped or refused connection)
    /// with backoff for up to `patience` seconds.
    func send(_ request: HTTPRequest, what: String, patience: Double? = nil) throws -> HTTPResponse {
        let deadline = Date().addingTimeInterval(patience ?? self.patience)
        var delay = 0.2
        var attempt = 1
        while true {
            let reason: String
            do {
                let response = try HTTPClient.perform(request)
                guard response.status >= 500 || response.status == 429 else { return response }
                reason = "HTTP \(response.status)\(Self.xmlValue("Code", in: response.body).map { " \($0)" } ?? "")"
                if Date() >= deadline { return response }
            } catch let error as HTTPError where error.isTransient {
                reason = error.description
                if Date() >= deadline { throw BlobStoreError("cannot \(what) at \(location): \(error)", transient: true) }
            } catch let error as HTTPError {
                throw BlobStoreError("cannot \(what) at \(location): \(error)")
            }
            let notice = "object store \(location): \(reason) while trying to \(what); trying again in \(String(format: "%.1f", delay)) s (attempt \(attempt + 1))"
            notices(notice)
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 5)
            attempt += 1
        }
    }

    func failure(_ response: HTTPResponse, _ what: String) -> BlobStoreError {
        let code = Self.xmlValue("Code", in: response.body)
        let transient = response.status >= 500 || response.status == 429
        switch (response.status, code) {
        case (404, "NoSuchBucket"?): return BlobStoreError("the bucket \(location.bucket) does not exist at \(location.endpoint)")
        case (403, _), (401, _):
            return BlobStoreError("\(location) refused the credentials (\(code ?? "HTTP \(response.status)")) trying to \(what): check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN")
        default:
            return BlobStoreError("cannot \(what) at \(location): HTTP \(response.status)\(code.map { " \($0)" } ?? "")", transient: transient)
        }
    }


    /// The text of the first `<tag>` in an XML body (S3's answers are small and flat).
    static func xmlValue(_ tag: String, in body: Data) -> String? {
        let text = String(decoding: body.prefix(64 << 10), as: UTF8.self)
        guard let open = text.range(of: "<\(tag)>"), let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex) else { return nil }
        return String(text[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func xmlEscape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
