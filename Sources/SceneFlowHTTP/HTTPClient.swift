import CCurl
import Foundation

/// An HTTP client over libcurl's multi interface, driven by one thread of its own.
///
/// `curl_easy_perform` blocks its thread; inside Swift concurrency that pins one of the few
/// cooperative threads (two on this machine), so a hundred concurrent polls would starve the
/// scheduler. Here every transfer is an easy handle added to one `curl_multi`; a dedicated
/// thread waits on epoll and drives libcurl with `curl_multi_socket_action`, so each network
/// event costs work for its own transfer only (`curl_multi_perform` would walk every transfer
/// on every event: 200 in flight made each request cost ten times more). The thread resumes
/// each caller's continuation when its transfer ends. Callers just `await send(_:)`; cancelling
/// the awaiting task removes the transfer at once. A client lives as long as the process.
///
/// Connections are reused across transfers (the multi handle's connection cache), TLS peers
/// and host names are always verified, only http and https are spoken (redirects included),
/// and every transfer has a connect timeout, an overall timeout and a body size cap.
public final class HTTPClient: @unchecked Sendable {
    /// The process's client: one thread and one connection cache for every provider.
    public static let shared = HTTPClient()

    private let multi: UnsafeMutableRawPointer
    /// Guards `incoming`, `cancelling` and every transfer's `state`.
    private let lock = NSLock()
    private var incoming: [Transfer] = []
    private var cancelling: [Transfer] = []
    /// Owned by the transfer thread only.
    private var active: [UnsafeMutableRawPointer: Transfer] = [:]
    private var finishedCount = 0
    /// epoll, an eventfd that `send` and cancellation use to wake the thread, the sockets
    /// libcurl asked to watch, and libcurl's next timeout. Transfer thread only (but the fds).
    private let epoll: Int32
    private let wakeFD: Int32
    private var watched: Set<Int32> = []
    private var timerDeadline: UInt64?

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_ALL)) }()

    public init() {
        _ = Self.globalInit
        multi = curl_multi_init()!
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        _ = sf_epoll_add_reader(epoll, wakeFD)
        _ = sf_curl_multi_set_long(multi, CURLMOPT_MAXCONNECTS, 256)
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sf_curl_multi_set_socket_callback(multi, socketCallback)
        _ = sf_curl_multi_set_pointer(multi, CURLMOPT_SOCKETDATA, context)
        _ = sf_curl_multi_set_timer_callback(multi, timerCallback)
        _ = sf_curl_multi_set_pointer(multi, CURLMOPT_TIMERDATA, context)
        let thread = Thread { self.runLoop() }
        thread.name = "sceneflow-http"
        thread.start()
    }

    /// Transfers finished so far (for benchmarks).
    public var transfersCompleted: Int { lock.withLock { finishedCount } }

    /// Performs the request. Throws `HTTPError` when no complete response arrived, and
    /// `CancellationError` when the awaiting task was cancelled. Any HTTP status is a response.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = Transfer(request)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let start: Bool = lock.withLock {
                    transfer.continuation = continuation
                    if transfer.state == .cancelled { return false }
                    transfer.state = .queued
                    incoming.append(transfer)
                    return true
                }
                if start { wake() } else { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let wake: Bool = lock.withLock {
                switch transfer.state {
                case .new: transfer.state = .cancelled; return false
                case .queued, .running: cancelling.append(transfer); return true
                case .cancelled, .done: return false
                }
            }
            if wake { self.wake() }
        }
    }

    /// Performs the request on the calling thread (`curl_easy_perform`), for synchronous code
    /// such as a blob store's; it blocks that thread until the transfer ends. Same options,
    /// limits and errors as `send(_:)`, without the connection cache.
    public static func perform(_ request: HTTPRequest) throws -> HTTPResponse {
        _ = globalInit
        let transfer = Transfer(request)
        let easy: UnsafeMutableRawPointer
        do { easy = try transfer.makeHandle() } catch {
            transfer.release(keepFile: false)
            throw error
        }
        let code = curl_easy_perform(easy)
        let result = transfer.result(code)
        transfer.release(keepFile: (try? result.get()) != nil)
        return try result.get()
    }

    // MARK: The transfer thread

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func runLoop() {
        var running: Int32 = 0
        var fds = [Int32](repeating: 0, count: 256)
        var flags = [Int32](repeating: 0, count: 256)
        while true {
            // Until libcurl's next timeout (capped: a lost wake-up costs at most a second).
            var timeout: Int32 = 1000
            if let deadline = timerDeadline {
                let now = DispatchTime.now().uptimeNanoseconds
                timeout = deadline <= now ? 0 : Int32(min(1000, (deadline - now + 999_999) / 1_000_000))
            }
            let count = sf_epoll_wait(epoll, &fds, &flags, Int32(fds.count), timeout)
            var woken = false
            for i in 0..<Int(max(0, count)) {
                if fds[i] == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    woken = true
                } else {
                    curl_multi_socket_action(multi, fds[i], flags[i], &running)
                }
            }
            if woken { drainQueues() }
            if let deadline = timerDeadline, deadline <= DispatchTime.now().uptimeNanoseconds {
                timerDeadline = nil
                curl_multi_socket_action(multi, -1 /* CURL_SOCKET_TIMEOUT */, 0, &running)
            }
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = active[easy] else { continue }
                complete(transfer, transfer.result(sf_curl_msg_result(message)))
            }
        }
    }

    /// New transfers in, cancelled ones out.
    private func drainQueues() {
        let (new, cancels) = lock.withLock { () -> ([Transfer], [Transfer]) in
            defer { incoming = []; cancelling = [] }
            return (incoming, cancelling)
        }
        for transfer in new { start(transfer) }
        for transfer in cancels {
            if let easy = transfer.easy, active[easy] != nil { complete(transfer, .failure(CancellationError())) }
            else { resumeQueued(transfer, with: .failure(CancellationError())) }
        }
    }

    /// libcurl says which events it wants on a socket (CURLMOPT_SOCKETFUNCTION).
    fileprivate func watch(_ socket: Int32, _ what: Int32) {
        if what == Int32(CURL_POLL_REMOVE) {
            _ = sf_epoll_watch(epoll, socket, what, 1)
            watched.remove(socket)
        } else {
            _ = sf_epoll_watch(epoll, socket, what, watched.contains(socket) ? 1 : 0)
            watched.insert(socket)
        }
    }

    /// libcurl's next timeout (CURLMOPT_TIMERFUNCTION): -1 none, 0 at once.
    fileprivate func setTimer(_ milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : DispatchTime.now().uptimeNanoseconds + UInt64(milliseconds) * 1_000_000
    }

    private func start(_ transfer: Transfer) {
        let proceed: Bool = lock.withLock {
            guard transfer.state == .queued else { return false }
            transfer.state = .running
            return true
        }
        guard proceed else { return }
        do {
            let easy = try transfer.makeHandle()
            active[easy] = transfer
            curl_multi_add_handle(multi, easy)
        } catch {
            resumeQueued(transfer, with: .failure(error))
        }
    }

    private func complete(_ transfer: Transfer, _ result: Result<HTTPResponse, Error>) {
        if let easy = transfer.easy {
            curl_multi_remove_handle(multi, easy)
            active[easy] = nil
        }
        transfer.release(keepFile: (try? result.get()) != nil)
        resumeQueued(transfer, with: result)
    }

    private func resumeQueued(_ transfer: Transfer, with result: Result<HTTPResponse, Error>) {
        let continuation: CheckedContinuation<HTTPResponse, Error>? = lock.withLock {
            guard transfer.state != .done else { return nil }
            transfer.state = .done
            finishedCount += 1
            defer { transfer.continuation = nil }
            return transfer.continuation
        }
        continuation?.resume(with: result)
    }
}

/// One transfer's libcurl handle and buffers. Touched by the transfer thread only, except
/// `state` and `continuation`, which the client's lock guards.
final class Transfer: @unchecked Sendable {
    enum State { case new, queued, running, cancelled, done }

    let request: HTTPRequest
    var state = State.new
    var continuation: CheckedContinuation<HTTPResponse, Error>?
    var easy: UnsafeMutableRawPointer?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    private var body = Data()
    private var file: UnsafeMutablePointer<FILE>?
    private var received: Int64 = 0
    private var overflowed = false
    /// errno of a failed write to `destination`, if one failed.
    private var writeError: Int32?
    private var headers: [String: String] = [:]
    /// The file being uploaded and where the next bytes start and the range ends.
    private var uploadFD: Int32 = -1
    private var uploadOffset: Int64 = 0
    private var uploadEnd: Int64 = 0

    init(_ request: HTTPRequest) {
        self.request = request
        errorBuffer.initialize(to: 0)
    }

    deinit { errorBuffer.deallocate() }

    func makeHandle() throws -> UnsafeMutableRawPointer {
        guard let easy = curl_easy_init() else { throw HTTPError.invalidRequest("curl_easy_init failed") }
        self.easy = easy
        func check(_ code: CURLcode, _ what: String) throws {
            guard code == CURLE_OK else { throw HTTPError.invalidRequest("\(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        try check(sf_curl_set_string(easy, CURLOPT_URL, request.url), "URL")
        try check(sf_curl_set_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(sf_curl_set_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "redirect protocols")
        _ = sf_curl_set_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = sf_curl_set_long(easy, CURLOPT_SSL_VERIFYPEER, 1)
        _ = sf_curl_set_long(easy, CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundle = request.caBundle { try check(sf_curl_set_string(easy, CURLOPT_CAINFO, caBundle), "CA bundle") }
        _ = sf_curl_set_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout * 1000))
        _ = sf_curl_set_long(easy, CURLOPT_TIMEOUT_MS, Int(request.timeout * 1000))
        _ = sf_curl_set_long(easy, CURLOPT_FOLLOWLOCATION, request.followRedirects ? 1 : 0)
        _ = sf_curl_set_long(easy, CURLOPT_MAXREDIRS, 5)
        _ = sf_curl_set_offset(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(request.maxBytes))
        _ = sf_curl_set_string(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = sf_curl_set_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer)

        if let signature = request.awsSigV4 {
            try check(sf_curl_set_string(easy, CURLOPT_AWS_SIGV4, signature.provider), "AWS signature")
            try check(sf_curl_set_string(easy, CURLOPT_USERNAME, signature.accessKeyID), "AWS key")
            try check(sf_curl_set_string(easy, CURLOPT_PASSWORD, signature.secretAccessKey), "AWS key")
        }
        switch request.method {
        case .get: _ = sf_curl_set_long(easy, CURLOPT_HTTPGET, 1)
        case .head: _ = sf_curl_set_long(easy, CURLOPT_NOBODY, 1)
        case .put where request.upload != nil:
            let upload = request.upload!
            let fd = open(upload.file.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw HTTPError.invalidRequest("cannot read \(upload.file.lastPathComponent): \(String(cString: strerror(errno)))") }
            uploadFD = fd
            uploadOffset = upload.offset
            uploadEnd = upload.offset + upload.length
            _ = sf_curl_set_long(easy, CURLOPT_UPLOAD, 1)
            _ = sf_curl_set_offset(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(upload.length))
            _ = sf_curl_set_callback(easy, CURLOPT_READFUNCTION, readCallback)
            _ = sf_curl_set_pointer(easy, CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())
        case .post, .put, .delete:
            if request.method != .post { _ = sf_curl_set_string(easy, CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
            if request.method != .delete || request.body != nil {
                let body = request.body ?? Data()
                _ = sf_curl_set_offset(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                // COPYPOSTFIELDS: libcurl keeps its own copy, so the Swift buffer may go.
                try body.withUnsafeBytes { raw in
                    let pointer = raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) } ?? UnsafeMutableRawPointer(mutating: ("" as StaticString).utf8Start)
                    try check(sf_curl_set_pointer(easy, CURLOPT_COPYPOSTFIELDS, pointer), "body")
                }
            }
        }
        // "Expect:" stops libcurl waiting a second for 100-continue before large bodies.
        for line in request.headers.map({ "\($0.name): \($0.value)" }) + ["Expect:"] {
            headerList = curl_slist_append(headerList, line)
        }
        _ = sf_curl_set_slist(easy, CURLOPT_HTTPHEADER, headerList)

        if let destination = request.destination {
            guard let handle = fopen(destination.path, "wb") else {
                throw HTTPError.invalidRequest("cannot write \(destination.lastPathComponent): \(String(cString: strerror(errno)))")
            }
            file = handle
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = sf_curl_set_callback(easy, CURLOPT_WRITEFUNCTION, writeCallback)
        _ = sf_curl_set_pointer(easy, CURLOPT_WRITEDATA, context)
        _ = sf_curl_set_callback(easy, CURLOPT_HEADERFUNCTION, headerCallback)
        _ = sf_curl_set_pointer(easy, CURLOPT_HEADERDATA, context)
        return easy
    }

    /// The next bytes of an upload, read from the file at its own offset; 0 at the range's end.
    func send(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let wanted = Int(min(Int64(count), uploadEnd - uploadOffset))
        guard wanted > 0 else { return 0 }
        while true {
            let n = pread(uploadFD, data, wanted, off_t(uploadOffset))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return Int(CURL_READFUNC_ABORT) }
            uploadOffset += Int64(n)
            return n
        }
    }

    /// Body bytes from libcurl; returning less than given aborts the transfer.
    func receive(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        received += Int64(count)
        if received > request.maxBytes { overflowed = true; return 0 }
        if let file {
            if fwrite(data, 1, count, file) != count { writeError = errno; return 0 }
        } else {
            body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: count)
        }
        return count
    }

    /// One header line. A status line starts a new response (after a redirect or a 100).
    /// Parsed on the bytes: this runs for every header of every response.
    func receiveHeader(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let bytes = UnsafeRawBufferPointer(start: data, count: count)
        if count >= 5, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
           bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/") {
            headers = [:]
            return count
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return count }
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        var start = colon + 1, end = count
        while start < end, isSpace(bytes[start]) { start += 1 }
        while end > start, isSpace(bytes[end - 1]) { end -= 1 }
        let name = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        headers[name] = String(decoding: bytes[start..<end], as: UTF8.self)
        return count
    }

    /// The outcome of a finished transfer.
    func result(_ code: CURLcode) -> Result<HTTPResponse, Error> {
        guard let easy else { return .failure(HTTPError.invalidRequest("no handle")) }
        if code == CURLE_OK {
            var status = 0
            _ = sf_curl_get_long(easy, CURLINFO_RESPONSE_CODE, &status)
            var effective: UnsafeMutablePointer<CChar>?
            _ = sf_curl_get_string(easy, CURLINFO_EFFECTIVE_URL, &effective)
            if let file { fflush(file) }
            return .success(HTTPResponse(status: status, headers: headers, body: body, file: request.destination,
                                         url: effective.map { String(cString: $0) } ?? request.url))
        }
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            var primary: UnsafeMutablePointer<CChar>?
            _ = sf_curl_get_string(easy, CURLINFO_PRIMARY_IP, &primary)
            let neverConnected = primary.map { String(cString: $0).isEmpty } ?? true
            return .failure(HTTPError.timedOut(seconds: neverConnected ? request.connectTimeout : request.timeout, connect: neverConnected))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR:
            return .failure(HTTPError.cannotConnect(detail))
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .failure(HTTPError.insecure(detail))
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .failure(HTTPError.connectionLost(detail))
        case CURLE_PARTIAL_FILE:
            return .failure(HTTPError.truncated(received: received))
        case CURLE_FILESIZE_EXCEEDED:
            return .failure(HTTPError.tooLarge(limit: request.maxBytes))
        case CURLE_WRITE_ERROR where overflowed:
            return .failure(HTTPError.tooLarge(limit: request.maxBytes))
        case CURLE_WRITE_ERROR where writeError != nil:
            return .failure(HTTPError.cannotWrite("\(request.destination?.lastPathComponent ?? "file"): \(String(cString: strerror(writeError!)))"))
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .failure(HTTPError.invalidRequest(detail))
        default:
            return .failure(HTTPError.other(code: Int(code.rawValue), message: detail))
        }
    }

    /// Frees the handle; a failed download's partial file is removed.
    func release(keepFile: Bool) {
        if let easy { curl_easy_cleanup(easy) }
        easy = nil
        if let headerList { curl_slist_free_all(headerList) }
        if uploadFD >= 0 { close(uploadFD) }
        uploadFD = -1
        headerList = nil
        if let file {
            fclose(file)
            if !keepFile, let destination = request.destination { unlink(destination.path) }
        }
        file = nil
    }
}

// C function pointers: they capture nothing and find their client or transfer through the context.
private let socketCallback: sf_curl_socket_callback = { _, socket, what, context, _ in
    guard let context else { return 0 }
    Unmanaged<HTTPClient>.fromOpaque(context).takeUnretainedValue().watch(socket, what)
    return 0
}

private let timerCallback: sf_curl_timer_callback = { _, milliseconds, context in
    guard let context else { return 0 }
    Unmanaged<HTTPClient>.fromOpaque(context).takeUnretainedValue().setTimer(milliseconds)
    return 0
}

private let writeCallback: sf_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().receive(data, size * count)
}

private let readCallback: sf_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().send(data, size * count)
}

private let headerCallback: sf_curl_data_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    return Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue().receiveHeader(data, size * count)
}
