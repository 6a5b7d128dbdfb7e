import AsyncHTTPClient
import DockyardTransport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The default ``HTTPTransport``: AsyncHTTPClient with one shared connection pool.
///
/// One transport owns one `HTTPClient`, so that every request it sends reuses pooled connections, and HTTP/2 is
/// negotiated with TLS servers that offer it. It neither follows redirects nor retries; wrap it in
/// ``RetryingTransport`` and ``RedirectingTransport`` for that:
///
/// ```swift
/// let base = try AsyncHTTPTransport(configuration: .init())
/// let transport = RedirectingTransport(wrapping: RetryingTransport(wrapping: base, policy: .default))
/// defer { Task { await base.shutdown() } }
/// ```
///
/// Response bodies stream: AsyncHTTPClient reads more from the socket only while the body is iterated.
///
/// - Important: Call ``shutdown()`` once the transport is no longer needed, after every response body has been
///   consumed or dropped. A transport released without shutdown leaks its connections (and traps in debug builds
///   of AsyncHTTPClient).
public final class AsyncHTTPTransport: HTTPTransport {
    /// The configuration the transport was created with.
    public let configuration: Configuration

    private let client: HTTPClient
    private let unverifiedTLS: TLSConfiguration?
    private let logger: Logger
    /// The logger handed to AsyncHTTPClient, never below `debug`: its `trace` messages print whole response
    /// heads, cookies included.
    private let clientLogger: Logger

    /// Creates a transport with its own connection pool.
    ///
    /// - Parameter configuration: Timeouts, TLS trust, user agent and pool settings.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/invalidConfiguration`` when a CA file
    ///   cannot be read or holds no PEM certificate.
    public init(configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        self.logger = configuration.logger
        var clientLogger = configuration.logger
        if clientLogger.logLevel < .debug { clientLogger.logLevel = .debug }
        self.clientLogger = clientLogger

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = try configuration.tls.additionalTrustRoots.map { file in
            .certificates(try Self.loadCertificates(from: file))
        }
        if configuration.tls.hostsWithoutCertificateVerification.isEmpty {
            self.unverifiedTLS = nil
        } else {
            var unverified = tls
            unverified.certificateVerification = .none
            self.unverifiedTLS = unverified
        }

        var client = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: TimeAmount(configuration.timeout.connect),
                read: configuration.timeout.read.map(TimeAmount.init)
            ),
            connectionPool: .init(
                idleTimeout: TimeAmount(configuration.idleConnectionTimeout),
                concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, configuration.maxConnectionsPerHost)
            ),
            decompression: .disabled
        )
        // Retries are the business of RetryingTransport; a failed connection must surface at once instead of
        // being retried silently until the deadline.
        client.connectionPool.retryConnectionEstablishment = false
        client.httpVersion = configuration.allowsHTTP2 ? .automatic : .http1Only
        self.client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: client,
            backgroundActivityLogger: clientLogger
        )
    }

    /// Sends one request and returns as soon as the response head has arrived.
    ///
    /// A `User-Agent` header is added unless the request has one. The request's deadline, or else the
    /// configured ``Configuration/Timeout-swift.struct/request`` timeout, bounds the whole exchange including
    /// the response body.
    ///
    /// - Parameter request: The request to send.
    /// - Returns: The response; its ``TransportResponse/url`` is the request's URL.
    /// - Throws: ``TransportError`` (`connectionFailed`, `timedOut`, `tlsFailed`, `invalidRequest`), an error of
    ///   the request body's own source, or `CancellationError`.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let url = request.url
        var outgoing = HTTPClientRequest(url: url.absoluteString)
        outgoing.method = request.method
        outgoing.headers = request.headers
        if !outgoing.headers.contains(name: "User-Agent") {
            outgoing.headers.add(name: "User-Agent", value: configuration.userAgent)
        }
        if let body = request.body {
            let length: HTTPClientRequest.Body.Length = body.length.map { .known($0) } ?? .unknown
            outgoing.body = .stream(body.makeStream(), length: length)
        }
        if let unverifiedTLS, configuration.tls.skipsVerification(for: url) {
            outgoing.tlsConfiguration = unverifiedTLS
        }

        let deadline = effectiveDeadline(for: request)
        logger.debug(
            "request",
            metadata: [
                "method": "\(request.method.rawValue)",
                "url": "\(url.loggableDescription)",
            ]
        )
        logger.trace("request headers", metadata: ["headers": "\(outgoing.headers.redactingCredentials())"])

        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, deadline: Self.nioDeadline(deadline), logger: clientLogger)
        } catch {
            let mapped = TransportError.mapping(error, url: url, during: .sending)
            logger.debug(
                "request failed",
                metadata: ["url": "\(url.loggableDescription)", "error": "\(mapped)"]
            )
            throw mapped
        }
        logger.debug(
            "response",
            metadata: [
                "method": "\(request.method.rawValue)",
                "url": "\(url.loggableDescription)",
                "status": "\(response.status.code)",
                "version": "\(response.version)",
            ]
        )
        return TransportResponse(
            status: response.status,
            headers: response.headers,
            body: ByteBufferSequence(MappedBody(base: response.body, url: url, deadline: deadline)),
            url: url
        )
    }

    /// Closes every pooled connection and releases the client.
    ///
    /// Calling it again does nothing. Requests still in flight fail.
    public func shutdown() async {
        do {
            try await client.shutdown()
        } catch {
            logger.debug("shutdown", metadata: ["error": "\(error)"])
        }
    }

    /// The request's own deadline, or else now plus the configured whole-request timeout, or none.
    private func effectiveDeadline(for request: TransportRequest) -> ContinuousClock.Instant? {
        if let deadline = request.deadline { return deadline }
        return configuration.timeout.request.map { ContinuousClock.now + $0 }
    }

    private static func nioDeadline(_ deadline: ContinuousClock.Instant?) -> NIODeadline {
        guard let deadline else { return .distantFuture }
        return .now() + TimeAmount(ContinuousClock.now.duration(to: deadline))
    }

    private static func loadCertificates(from file: URL) throws -> [NIOSSLCertificate] {
        let path = file.path
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw TransportError(
                .invalidConfiguration,
                message: exists
                    ? "the CA file \(path) holds no readable PEM certificate"
                    : "the CA file \(path) does not exist",
                underlying: error
            )
        }
        guard !certificates.isEmpty else {
            throw TransportError(.invalidConfiguration, message: "the CA file \(path) holds no PEM certificate")
        }
        return certificates
    }
}

/// A response body whose errors are ``TransportError``s, and which stops at the request's deadline.
///
/// AsyncHTTPClient's deadline covers the exchange until the response head; the body is bounded here.
private struct MappedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: HTTPClientResponse.Body
    let url: URL
    let deadline: ContinuousClock.Instant?

    func makeAsyncIterator() -> Iterator {
        Iterator(box: BodyIteratorBox(base.makeAsyncIterator()), url: url, deadline: deadline)
    }

    struct Iterator: AsyncIteratorProtocol {
        let box: BodyIteratorBox
        let url: URL
        let deadline: ContinuousClock.Instant?

        mutating func next() async throws -> ByteBuffer? {
            guard let deadline else { return try await box.next(url: url) }
            let expired = TransportError(
                .timedOut,
                message: "the request to \(url.loggableDescription) did not finish before its deadline"
            )
            guard ContinuousClock.now < deadline else { throw expired }
            let box = self.box
            let url = self.url
            return try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await box.next(url: url) }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    throw expired
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { return nil }
                return first
            }
        }
    }
}

/// Holds AsyncHTTPClient's body iterator so that a child task can advance it; used by one task at a time.
private final class BodyIteratorBox: @unchecked Sendable {
    private var base: HTTPClientResponse.Body.AsyncIterator

    init(_ base: HTTPClientResponse.Body.AsyncIterator) { self.base = base }

    func next(url: URL) async throws -> ByteBuffer? {
        let buffer: ByteBuffer?
        do {
            buffer = try await base.next()
        } catch {
            throw TransportError.mapping(error, url: url, during: .receiving)
        }
        // A cancelled read may end the stream early; it must not pass for the end of the body.
        if buffer == nil, Task.isCancelled { throw CancellationError() }
        return buffer
    }
}

extension TimeAmount {
    /// The amount of a `Duration`, clamped to what a `TimeAmount` holds.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanosFromSeconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            self = .nanoseconds(seconds < 0 ? .min : .max)
            return
        }
        let (total, overflow2) = nanosFromSeconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        self = .nanoseconds(overflow2 ? (seconds < 0 ? .min : .max) : total)
    }
}
