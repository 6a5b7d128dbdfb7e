import DockyardTransport
import Foundation
import Logging

extension AsyncHTTPTransport {
    /// How an ``AsyncHTTPTransport`` connects: timeouts, TLS trust, user agent, HTTP version and pool size.
    ///
    /// Every field has a default that suits Docker Hub; change only what you need:
    ///
    /// ```swift
    /// var configuration = AsyncHTTPTransport.Configuration()
    /// configuration.tls.additionalTrustRoots = [URL(fileURLWithPath: "/etc/ssl/my-ca.pem")]
    /// configuration.timeout.request = .seconds(120)
    /// let transport = try AsyncHTTPTransport(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The timeouts of every request.
        public var timeout: Timeout
        /// Which servers are trusted.
        public var tls: TLS
        /// The `User-Agent` header sent when a request does not set its own.
        public var userAgent: String
        /// Whether HTTP/2 is used when a TLS server offers it through ALPN; otherwise HTTP/1.1 only.
        ///
        /// Plain-HTTP connections always use HTTP/1.1.
        public var allowsHTTP2: Bool
        /// The most HTTP/1.1 connections kept open to one host at the same time.
        ///
        /// HTTP/2 multiplexes requests over one connection per host and is not bounded by this number.
        public var maxConnectionsPerHost: Int
        /// How long an idle connection stays in the pool for reuse.
        public var idleConnectionTimeout: Duration
        /// Where the transport logs, at `debug` and `trace` level; credentials are never logged.
        ///
        /// The default logger discards everything.
        public var logger: Logger

        /// Creates a configuration; every parameter has a default suited to Docker Hub.
        ///
        /// - Parameters:
        ///   - timeout: The timeouts.
        ///   - tls: The TLS trust settings.
        ///   - userAgent: The default `User-Agent`.
        ///   - allowsHTTP2: Whether HTTP/2 may be negotiated over TLS.
        ///   - maxConnectionsPerHost: The HTTP/1.1 connection limit per host.
        ///   - idleConnectionTimeout: How long idle connections are kept.
        ///   - logger: Where to log; discards by default.
        public init(
            timeout: Timeout = Timeout(),
            tls: TLS = TLS(),
            userAgent: String = Configuration.defaultUserAgent,
            allowsHTTP2: Bool = true,
            maxConnectionsPerHost: Int = 8,
            idleConnectionTimeout: Duration = .seconds(60),
            logger: Logger = Configuration.silentLogger
        ) {
            self.timeout = timeout
            self.tls = tls
            self.userAgent = userAgent
            self.allowsHTTP2 = allowsHTTP2
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.idleConnectionTimeout = idleConnectionTimeout
            self.logger = logger
        }

        /// The `User-Agent` Dockyard sends by default, ``TransportDefaults/userAgent``.
        public static var defaultUserAgent: String { TransportDefaults.userAgent }

        /// A logger labelled `dockyard.transport` that discards every message, ``TransportDefaults/silentLogger``.
        public static var silentLogger: Logger { TransportDefaults.silentLogger }

        /// The timeouts of a transport.
        public struct Timeout: Sendable, Hashable {
            /// The longest wait to open a TCP connection (and finish the TLS handshake).
            public var connect: Duration
            /// The longest wait for the next bytes of a response while reading it (idle read); `nil` for none.
            public var read: Duration?
            /// The longest a whole exchange may take, response body included, when the request sets no deadline
            /// of its own; `nil` for none.
            ///
            /// Leave it `nil` for blob transfers, whose duration depends on their size: the idle `read` timeout
            /// already catches a stalled connection.
            public var request: Duration?
            /// The overall deadline of every request a client sends that is not a blob transfer: manifests,
            /// tag and catalog pages, referrers, `ping`, `login` and token requests, every redirect, retry and
            /// byte of the response body included; 2 minutes (``DockyardTransport/TransportDefaults/requestDeadline``)
            /// by default.
            ///
            /// A request past it fails with `TransportError` code `timedOut`. Blob transfers have no overall
            /// deadline: ``read`` catches a stalled one. `RegistryClient` applies it to each request it sends
            /// (through `TransportRequest.bounded(by:)`); an `AsyncHTTPTransport` on its own does not, since it
            /// cannot tell a blob transfer from another request (set ``request`` for that).
            public var deadline: Duration

            /// Creates timeouts.
            ///
            /// - Parameters:
            ///   - connect: The connect timeout; 30 seconds by default.
            ///   - read: The idle read timeout; 60 seconds by default.
            ///   - request: The whole-exchange timeout when a request has no deadline; none by default.
            ///   - deadline: The overall deadline of requests that are not blob transfers; 2 minutes by default.
            public init(
                connect: Duration = .seconds(30),
                read: Duration? = .seconds(60),
                request: Duration? = nil,
                deadline: Duration = TransportDefaults.requestDeadline
            ) {
                self.connect = connect
                self.read = read
                self.request = request
                self.deadline = deadline
            }
        }

        /// Which TLS servers a transport trusts.
        ///
        /// Certificates are verified against the system's trust store by default. Additional certificate
        /// authorities are added with ``additionalTrustRoots``; verification is switched off only for the hosts
        /// listed in ``hostsWithoutCertificateVerification``, never implicitly.
        public struct TLS: Sendable, Hashable {
            /// PEM files of certificate authorities trusted in addition to the system's (for example a
            /// registry's private CA).
            public var additionalTrustRoots: [URL]
            /// Hosts whose certificates are not verified at all (`host` or `host:port`).
            ///
            /// - Important: This accepts any certificate, including an attacker's. Use it only for a test
            ///   registry the user explicitly named as insecure.
            public var hostsWithoutCertificateVerification: Set<String>

            /// Creates TLS settings.
            ///
            /// - Parameters:
            ///   - additionalTrustRoots: PEM files of extra trusted certificate authorities.
            ///   - hostsWithoutCertificateVerification: Hosts (`host` or `host:port`) whose certificates are
            ///     not verified.
            public init(additionalTrustRoots: [URL] = [], hostsWithoutCertificateVerification: Set<String> = []) {
                self.additionalTrustRoots = additionalTrustRoots
                self.hostsWithoutCertificateVerification = hostsWithoutCertificateVerification
            }

            /// Whether certificate verification is switched off for the host of `url`.
            ///
            /// - Parameter url: The URL about to be requested.
            /// - Returns: `true` when the URL's `host` or `host:port` is listed.
            public func skipsVerification(for url: URL) -> Bool {
                guard !hostsWithoutCertificateVerification.isEmpty, let host = url.host?.lowercased() else {
                    return false
                }
                let listed = Set(hostsWithoutCertificateVerification.map { $0.lowercased() })
                let bare = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
                let display = bare.contains(":") ? "[\(bare)]" : bare
                if listed.contains(bare) || listed.contains(display) { return true }
                let port = url.port ?? (url.scheme?.lowercased() == "http" ? 80 : 443)
                return listed.contains("\(display):\(port)")
            }
        }
    }
}
