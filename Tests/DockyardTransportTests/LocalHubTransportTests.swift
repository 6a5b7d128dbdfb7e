import Crypto
import DockyardHTTPClient
import DockyardTestSupport
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The transport against the real localhub registries, TLS registry and fault proxies.
@Suite("AsyncHTTPTransport against localhub", .requiresLocalHub, .tags(.integration))
struct LocalHubTransportTests {
    /// Fast retries, so that tests take milliseconds per retry instead of seconds.
    static let fastRetries = RetryPolicy(baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))

    // MARK: Plain requests

    @Test("GET /v2/ on the open registry")
    func pingOpen() async throws {
        let hub = try LocalHub.required()
        try await withTransport { transport in
            let response = try await transport.send(TransportRequest(url: hub.open.v2()))
            #expect(response.status == .ok)
            #expect(response.url == hub.open.v2())
            #expect(response.headers.first(name: "Docker-Distribution-Api-Version") == "registry/2.0")
            let body = try await response.body.collect(upTo: 1024)
            #expect(String(buffer: body) == "{}")
            #expect(response.rateLimit == nil, "a plain registry sends no rate-limit headers")
        }
    }

    @Test("a streaming upload of unknown length and a streaming download round-trip a blob")
    func blobRoundTrip() async throws {
        let hub = try LocalHub.required()
        try await withTransport { transport in
            let blob = TestBlob(size: 3 << 20 + 123, seed: 1)
            try await blob.push(to: hub.open.url, repository: "h3/transport-roundtrip", transport: transport, chunked: true)

            let head = try await transport.send(
                TransportRequest(method: .HEAD, url: blob.url(in: hub.open.url, repository: "h3/transport-roundtrip")))
            #expect(head.status == .ok)
            #expect(head.headers.first(name: "Content-Length") == "\(blob.bytes.count)")
            #expect(head.headers.first(name: "Docker-Content-Digest") == blob.digest)

            let get = try await transport.send(
                TransportRequest(url: blob.url(in: hub.open.url, repository: "h3/transport-roundtrip")))
            #expect(get.status == .ok)
            var hasher = SHA256()
            var count = 0
            var chunks = 0
            for try await chunk in get.body {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                count += chunk.readableBytes
                chunks += 1
            }
            #expect(count == blob.bytes.count)
            #expect(TestBlob.hex(hasher.finalize()) == blob.hex)
            #expect(chunks > 1, "the body arrives as a stream of buffers, not one")
        }
    }

    @Test("a connection to a closed port fails with connectionFailed")
    func refused() async throws {
        let port = try closedPort()
        try await withTransport { transport in
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: URL(string: "http://127.0.0.1:\(port)/v2/")!))
            }
            #expect(error?.code == .connectionFailed)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
        }
    }

    @Test("a server that accepts the connection but never answers hits the idle read timeout", .timeLimit(.minutes(2)))
    func idleReadTimeout() async throws {
        let listener = try SilentListener()
        defer { listener.stop() }
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.timeout.read = .milliseconds(300)
        // No wall-clock bound: a transport without the idle timeout would hang here, and the time limit fails it.
        try await withTransport(configuration) { transport in
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: URL(string: "http://127.0.0.1:\(listener.port)/v2/")!))
            }
            #expect(error?.code == .timedOut)
        }
    }

    // MARK: TLS

    @Test("the TLS registry is refused without its CA, with a clear message")
    func tlsUntrusted() async throws {
        let hub = try LocalHub.required()
        try await withTransport { transport in
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: hub.tls.v2()))
            }
            #expect(error?.code == .tlsFailed)
            #expect(
                error?.message == "the server's TLS certificate for \(hub.tls.host) is not trusted; add the certificate "
                    + "authority that signed it to the trusted roots (`additionalTrustRoots` of the configuration)")
            // An SDK error speaks of the SDK, never of a command-line flag.
            #expect(error?.message.contains("--") == false)
        }
    }

    @Test("the TLS registry is accepted with its CA as an additional trust root")
    func tlsWithCA() async throws {
        let hub = try LocalHub.required()
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.additionalTrustRoots = [hub.tlsCA]
        try await withTransport(configuration) { transport in
            let response = try await transport.send(TransportRequest(url: hub.tls.v2()))
            #expect(response.status == .ok)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "{}")
        }
    }

    @Test("verification is skipped only for a host explicitly listed")
    func tlsSkipVerification() async throws {
        let hub = try LocalHub.required()
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.hostsWithoutCertificateVerification = [hub.tls.host]
        try await withTransport(configuration) { transport in
            let response = try await transport.send(TransportRequest(url: hub.tls.v2()))
            #expect(response.status == .ok)
            await response.body.drain()
        }
        configuration.tls.hostsWithoutCertificateVerification = ["127.0.0.1:1"]
        try await withTransport(configuration) { transport in
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: hub.tls.v2()))
            }
            #expect(error?.code == .tlsFailed)
        }
    }

    @Test("https:// to a plain-HTTP registry is a TLS failure that says so")
    func tlsToPlainPort() async throws {
        let hub = try LocalHub.required()
        let url = try #require(URL(string: "https://\(hub.open.host)/v2/"))
        try await withTransport { transport in
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: url))
            }
            #expect(error?.code == .tlsFailed)
        }
    }

    @Test("an unreadable CA file is refused when the transport is created")
    func badCAFile() throws {
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.additionalTrustRoots = [URL(fileURLWithPath: "/nonexistent/ca.pem")]
        let error = #expect(throws: TransportError.self) { _ = try AsyncHTTPTransport(configuration: configuration) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("/nonexistent/ca.pem") == true)
    }

    // MARK: Retries through the fault proxy

    @Test("503 twice, then success: retried", .privateFaultProxies)
    func retries503() async throws {
        let hub = try LocalHub.required()
        try await withTransport { base in
            let transport = RetryingTransport(wrapping: base, policy: Self.fastRetries)
            try await hub.fault.withScenario(.status, params: ["status": 503, "times": 2, "path": "^/v2/$"]) { proxy in
                let mark = proxy.logMark()
                let response = try await transport.send(TransportRequest(url: proxy.registry.v2()))
                #expect(response.status == .ok)
                await response.body.drain()
                #expect(try await proxy.state().injected == 2)
                let statuses = try await proxy.requests(since: mark).filter { $0.path == "/v2/" }.map(\.status)
                #expect(statuses == [503, 503, 200])
            }
        }
    }

    @Test("without retries the 503 and its error body reach the caller", .privateFaultProxies)
    func noRetries503() async throws {
        let hub = try LocalHub.required()
        try await withTransport { base in
            let transport = RetryingTransport(wrapping: base, policy: .none)
            try await hub.fault.withScenario(.status, params: ["status": 503, "times": 2, "path": "^/v2/$"]) { proxy in
                let response = try await transport.send(TransportRequest(url: proxy.registry.v2()))
                #expect(response.status == .serviceUnavailable)
                let body = String(buffer: try await response.body.collect(upTo: 4096))
                #expect(body.contains("UNAVAILABLE"))
            }
        }
    }

    @Test("429 with Retry-After is retried after the requested wait; its rate-limit headers parse", .privateFaultProxies)
    func retries429() async throws {
        let hub = try LocalHub.required()
        try await withTransport { base in
            try await hub.fault.withScenario(.status, params: ["status": 429, "retry_after": 1, "times": 1, "path": "^/v2/$"]) { proxy in
                // First look at the 429 itself.
                let limited = try await base.send(TransportRequest(url: proxy.registry.v2()))
                #expect(limited.status == .tooManyRequests)
                #expect(limited.headers.first(name: "Retry-After") == "1")
                let rateLimit = try #require(limited.rateLimit)
                #expect(rateLimit == RateLimit(limit: 100, remaining: 0, window: .seconds(21600), source: "127.0.0.1"))
                await limited.body.drain()
            }
            // The wait the transport chose is read from its debug log, not measured with a clock.
            let log = CapturedLog()
            let transport = RetryingTransport(wrapping: base, policy: Self.fastRetries, logger: log.logger)
            try await hub.fault.withScenario(.status, params: ["status": 429, "retry_after": 1, "times": 1, "path": "^/v2/$"]) { proxy in
                let response = try await transport.send(TransportRequest(url: proxy.registry.v2()))
                #expect(response.status == .ok)
                await response.body.drain()
                let retries = log.text.split(separator: "\n").filter { $0.contains("retrying") }
                #expect(retries.count == 1, "\(retries)")
                #expect(retries.first?.contains("wait=1.0 seconds") == true, "Retry-After: 1, not the ≤ 20 ms backoff: \(retries)")
                #expect(try await proxy.state().injected == 1)
            }
        }
    }

    @Test("a connection reset in the middle of a blob surfaces as connectionFailed while reading", .privateFaultProxies)
    func resetMidBlob() async throws {
        let hub = try LocalHub.required()
        let blob = TestBlob(size: 1 << 20, seed: 2)
        try await withTransport { transport in
            try await blob.push(to: hub.open.url, repository: "h3/transport-reset", transport: transport, chunked: false)
            try await hub.fault.withScenario(.resetMidBlob, params: ["after_bytes": 65536]) { proxy in
                let response = try await transport.send(
                    TransportRequest(url: blob.url(in: proxy.url, repository: "h3/transport-reset")))
                #expect(response.status == .ok)
                var received = 0
                let error = await #expect(throws: TransportError.self) {
                    for try await chunk in response.body { received += chunk.readableBytes }
                }
                #expect(error?.code == .connectionFailed)
                // Bytes still in the kernel's buffer when the RST arrives are discarded, so fewer than
                // `after_bytes` may reach the reader; the body must never look complete.
                #expect(received < blob.bytes.count)
                #expect(try await proxy.state().injected == 1)

                // The fault was injected once: the next download is whole.
                let again = try await transport.send(
                    TransportRequest(url: blob.url(in: proxy.url, repository: "h3/transport-reset")))
                var count = 0
                for try await chunk in again.body { count += chunk.readableBytes }
                #expect(count == blob.bytes.count)
            }
        }
    }

    @Test("a request deadline bounds the body too", .privateFaultProxies)
    func deadlineCoversBody() async throws {
        let hub = try LocalHub.required()
        let blob = TestBlob(size: 512 << 10, seed: 3)
        try await withTransport { transport in
            try await blob.push(to: hub.open.url, repository: "h3/transport-slow", transport: transport, chunked: false)
            try await hub.fault.withScenario(.slow, params: ["rate": 65536]) { proxy in
                let request = TransportRequest(
                    url: blob.url(in: proxy.url, repository: "h3/transport-slow"),
                    deadline: .now + .milliseconds(1500))
                let error = await #expect(throws: TransportError.self) {
                    let response = try await transport.send(request)
                    for try await _ in response.body {}
                }
                #expect(error?.code == .timedOut)
            }
        }
    }

    @Test("cancelling a body read mid-stream throws; it never passes for a complete body", .privateFaultProxies, arguments: [false, true])
    func cancelMidBody(withDeadline: Bool) async throws {
        let hub = try LocalHub.required()
        let blob = TestBlob(size: 512 << 10, seed: 5)
        try await withTransport { transport in
            try await blob.push(to: hub.open.url, repository: "h3/transport-cancel", transport: transport, chunked: false)
            try await hub.fault.withScenario(.slow, params: ["rate": 65536]) { proxy in
                let request = TransportRequest(
                    url: blob.url(in: proxy.url, repository: "h3/transport-cancel"),
                    deadline: withDeadline ? .now + .seconds(60) : nil)
                // Cancel once the first bytes have arrived (not after a guessed delay): the read is then surely
                // in the middle of the 8-second body.
                let (firstBytes, arrived) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    let response = try await transport.send(request)
                    var count = 0
                    for try await chunk in response.body {
                        count += chunk.readableBytes
                        arrived.yield()
                    }
                    return count
                }
                for await _ in firstBytes { break }
                reader.cancel()
                let outcome = await reader.result
                switch outcome {
                case .success(let count):
                    Issue.record("a cancelled read finished normally with \(count) of \(blob.bytes.count) bytes")
                case .failure(let error):
                    #expect(error is CancellationError || error is TransportError, "\(error)")
                }
            }
        }
    }

    // MARK: Redirects through the fault-token proxy

    @Test("a cross-host redirect to the CDN carries no Authorization", .privateFaultProxies)
    func redirectDropsAuthorization() async throws {
        let hub = try LocalHub.required()
        let repository = "library/h3-transport-redirect"
        let blob = TestBlob(size: 300 << 10, seed: 4)
        try await withTransport { base in
            let token = try await fetchToken(hub: hub, scope: "repository:\(repository):pull,push", transport: base)
            let auth: HTTPHeaders = ["Authorization": "Bearer \(token)"]
            try await blob.push(to: hub.token.url, repository: repository, transport: base, headers: auth, chunked: false)

            let transport = RedirectingTransport(wrapping: base)
            try await hub.faultToken.withScenario(.redirectBlobs) { proxy in
                let response = try await transport.send(
                    TransportRequest(url: blob.url(in: proxy.url, repository: repository), headers: auth))
                #expect(response.status == .ok)
                #expect(response.url.host == proxy.cdnURL.host)
                #expect(response.url.port == proxy.cdnURL.port)
                var hasher = SHA256()
                for try await chunk in response.body {
                    chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                }
                #expect(TestBlob.hex(hasher.finalize()) == blob.hex)
                let state = try await proxy.state()
                #expect(state.cdnRequests == 1)
                #expect(state.cdnRequestsWithAuthorization == 0)
            }

            // The check can fail: a client that forwards the header is counted.
            try await hub.faultToken.withScenario(.redirectBlobs) { proxy in
                let redirect = try await RedirectingTransport(wrapping: base, policy: .disallow).send(
                    TransportRequest(url: blob.url(in: proxy.url, repository: repository), headers: auth))
                #expect(redirect.status == .temporaryRedirect)
                await redirect.body.drain()
                let location = try #require(redirect.headers.first(name: "Location").flatMap(URL.init(string:)))
                let leaked = try await base.send(TransportRequest(url: location, headers: auth))
                await leaked.body.drain()
                #expect(try await proxy.state().cdnRequestsWithAuthorization == 1)
            }
        }
    }

    @Test("a same-host redirect keeps Authorization", .privateFaultProxies)
    func sameHostRedirectKeepsAuthorization() async throws {
        let hub = try LocalHub.required()
        try await withTransport { base in
            let token = try await fetchToken(hub: hub, scope: "repository:library/h3-probe:pull", transport: base)
            let transport = RedirectingTransport(wrapping: base)
            let params: [String: TestJSON] = [
                "status": 307, "times": 1, "path": "^/v2/h3-same-host-probe$", "headers": ["Location": "/v2/"],
            ]
            try await hub.faultToken.withScenario(.status, params: params) { proxy in
                let mark = proxy.logMark()
                let response = try await transport.send(
                    TransportRequest(url: proxy.registry.v2("h3-same-host-probe"), headers: ["Authorization": "Bearer \(token)"]))
                #expect(response.status == .ok, "the registry accepted the token on the redirect target")
                #expect(response.url == proxy.registry.v2())
                await response.body.drain()
                // Every request the proxy received is in its log once `requests(since:)` returns.
                let pings = try await proxy.requests(since: mark).filter { $0.path == "/v2/" }
                #expect(pings.count == 1)
                #expect(pings.first?.authorization == true)
            }
        }
    }

    // MARK: Helpers

    /// A token from the localhub token service, as admin.
    private func fetchToken(hub: LocalHub, scope: String, transport: any HTTPTransport) async throws -> String {
        var components = try #require(URLComponents(url: hub.tokenServer.realm, resolvingAgainstBaseURL: false))
        components.queryItems = [
            URLQueryItem(name: "service", value: hub.tokenServer.service),
            URLQueryItem(name: "scope", value: scope),
        ]
        let credentials = Data("\(hub.admin.username):\(hub.admin.password)".utf8).base64EncodedString()
        let response = try await transport.send(
            TransportRequest(url: try #require(components.url), headers: ["Authorization": "Basic \(credentials)"]))
        #expect(response.status == .ok)
        let json = try TestJSON(parsing: Data(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        return try #require(json["token"]?.string)
    }

    /// A port on loopback that nothing listens on.
    private func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A loopback TCP socket that listens but never accepts: the kernel completes connections, nobody answers.
final class SilentListener: Sendable {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 && listen(fd, 16) == 0
            }
        }
        try #require(ready, "could not listen on loopback")
        self.fd = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func stop() { _ = close(fd) }
}

/// Deterministic blob bytes with their digest, and the distribution API calls to push them.
struct TestBlob {
    let bytes: [UInt8]
    let hex: String
    var digest: String { "sha256:\(hex)" }

    init(size: Int, seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        var bytes = [UInt8](repeating: 0, count: size)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: generator.next()) }
        self.bytes = bytes
        self.hex = Self.hex(SHA256.hash(data: bytes))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    func url(in base: URL, repository: String) -> URL {
        base.appendingPathComponent("v2/\(repository)/blobs/\(digest)")
    }

    /// Pushes the blob: `POST` an upload, then `PUT` the bytes with the digest (distribution spec, monolithic
    /// upload in two steps), streaming them in 64 KiB buffers; `chunked` leaves the length unknown.
    func push(
        to base: URL,
        repository: String,
        transport: any HTTPTransport,
        headers: HTTPHeaders = [:],
        chunked: Bool
    ) async throws {
        let start = try await transport.send(TransportRequest(
            method: .POST, url: base.appendingPathComponent("v2/\(repository)/blobs/uploads/"), headers: headers))
        await start.body.drain()
        try #require(start.status == .accepted, "upload start: \(start.status)")
        let location = try #require(start.headers.first(name: "Location"))
        let uploadURL = try #require(URL(string: location, relativeTo: base)?.absoluteURL)
        var components = try #require(URLComponents(url: uploadURL, resolvingAgainstBaseURL: false))
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest)]
        let bytes = self.bytes
        let body = RequestBody(length: chunked ? nil : Int64(bytes.count)) {
            ByteBufferSequence(ChunkedBytes(bytes: bytes, chunk: 64 << 10))
        }
        var putHeaders = headers
        putHeaders.add(name: "Content-Type", value: "application/octet-stream")
        let put = try await transport.send(
            TransportRequest(method: .PUT, url: try #require(components.url), headers: putHeaders, body: body))
        let answer = String(buffer: try await put.body.collect(upTo: 1 << 16))
        try #require(put.status == .created, "upload: \(put.status) \(answer)")
    }
}

/// Bytes as a lazily produced stream of buffers.
struct ChunkedBytes: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunk: Int

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes, chunk: chunk) }

    struct Iterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let chunk: Int
        var offset = 0
        mutating func next() async throws -> ByteBuffer? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + chunk, bytes.count)
            defer { offset = end }
            return ByteBuffer(bytes: bytes[offset..<end])
        }
    }
}
