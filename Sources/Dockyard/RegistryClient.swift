import DockyardAuth
import DockyardReferences
import DockyardTransport
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A client for any OCI / Docker Registry v2 registry, Docker Hub included.
///
/// One client holds one connection pool, one token cache and one set of credentials; share it between tasks.
/// ``withRegistryClient(configuration:credentials:logger:isolation:_:)`` creates one for the length of a closure
/// and shuts it down on every path. Every request goes through the same pipeline: the registry name is mapped to its
/// endpoint, a cached authorization is attached, the request is sent with retries and redirects (which never carry
/// `Authorization` to another host), and a `401` with a challenge is answered once with a fresh token or Basic
/// credentials before the request is sent again.
///
/// ```swift
/// let reference = try ImageReference(normalizing: "ubuntu:24.04")
/// let document = try await withRegistryClient { client in
///     try await client.manifest(for: reference)
/// }
/// print(document.digest)
/// ```
///
/// - Important: A client made with ``init(configuration:credentials:logger:)`` owns its connections: call
///   ``shutdown()`` before the last reference to it goes away, or use ``withRegistryClient(configuration:credentials:logger:isolation:_:)``.
///   A client dropped without it leaks its connections (and AsyncHTTPClient traps in debug builds).
public final class RegistryClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: Configuration
    /// Where the client's credentials come from.
    public let credentials: any CredentialProvider

    let logger: Logger
    let authenticator: RegistryAuthenticator
    /// The base transport wrapped with retries and redirects.
    let pipeline: any HTTPTransport
    /// The base transport without retries or redirects (for login checks and pings).
    let base: any HTTPTransport
    /// Shuts down the transport when the client created it.
    let ownership = TransportOwnership()
    let state = RegistryClientState()
    /// Registries found to speak plain HTTP after HTTPS failed (loopback and insecure registries only).
    let plainHTTPRegistries = RegistryNameSet()
    /// Repositories where this client has seen blobs, for cross-repository mounts.
    let blobLocations = BlobLocationCache()

    /// The largest manifest the client reads, 4 MiB, as registries limit them.
    public static let maxManifestBytes = 4 * 1024 * 1024

    /// Creates a client that sends through the given transport.
    ///
    /// This is the one designated initializer. `import Dockyard` adds ``init(configuration:credentials:logger:)``,
    /// which creates and owns an `AsyncHTTPTransport`, and ``withRegistryClient(configuration:credentials:logger:isolation:_:)``,
    /// which also shuts it down.
    ///
    /// - Parameters:
    ///   - configuration: Endpoints, mirrors, TLS, retries and redirects; `Configuration()` suits Docker Hub.
    ///   - credentials: Where credentials come from; by default the docker CLI's `config.json` (honouring
    ///     `$DOCKER_CONFIG`), its credential store and helpers. Give them in code with
    ///     ``DockyardAuth/StaticCredentials``.
    ///   - transport: The HTTP transport to send through; its owner shuts it down. Retries and redirects are
    ///     added on top of it.
    ///   - logger: Where requests are logged at `debug` level, never with credentials.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidConfiguration`` when the configuration is
    ///   invalid.
    public init(
        configuration: Configuration = .init(),
        credentials: any CredentialProvider = DockerCredentialStore(),
        transport: any HTTPTransport,
        logger: Logger = RegistryClient.silentLogger
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        self.credentials = credentials
        self.logger = logger
        self.base = transport
        self.pipeline = RedirectingTransport(
            wrapping: RetryingTransport(wrapping: transport, policy: configuration.retry),
            policy: configuration.redirect,
            hostPolicy: configuration.serverNamedURLPolicy,
            logger: logger
        )
        self.authenticator = RegistryAuthenticator(
            transport: pipeline, credentials: credentials, configuration: configuration.authenticatorConfiguration)
    }

    /// A logger labelled `dockyard.registry` that discards every message: the default of `logger:`.
    public static var silentLogger: Logger {
        Logger(label: "dockyard.registry", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    /// Closes the connections of the transport the client created, if it created one. Call it once, when no
    /// request is running; calling it again does nothing.
    ///
    /// A transport passed to ``init(configuration:credentials:transport:logger:)`` is left open; its owner shuts
    /// it down.
    public func shutdown() async {
        await ownership.shutdown()
    }

    /// The Docker Hub rate-limit headers of the most recent response that carried them, if any.
    public var lastRateLimit: RateLimit? {
        get async { await state.lastRateLimit }
    }

    // MARK: - Endpoints

    /// The base URL of a registry: the configured endpoint, or `https://<name>`.
    ///
    /// As with the docker CLI, a loopback or insecure registry without a configured endpoint is tried over HTTPS
    /// first; when the server turns out not to speak TLS, the client switches to `http://<name>` for it and
    /// remembers that. A certificate that is not trusted never causes a switch: it is reported.
    ///
    /// - Parameter registry: The registry name, e.g. `docker.io` or `127.0.0.1:5000`.
    /// - Returns: The base URL, without `/v2/`.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidConfiguration`` when the name is not a
    ///   usable host.
    public func endpoint(forRegistry registry: String) throws -> URL {
        if let url = configuration.endpoints[registry] ?? configuration.endpoints[registry.lowercased()] {
            return url
        }
        let plain = plainHTTPRegistries.contains(registry)
        // A name is `host[:port]`: user information, a path or a query would change where requests go.
        guard !registry.contains(where: { "@/?#\\ ".contains($0) }),
              let url = URL(string: "\(plain ? "http" : "https")://\(registry)"), url.host != nil
        else {
            throw RegistryError(
                code: .invalidConfiguration, method: "-", url: URL(fileURLWithPath: "/"),
                subject: "the registry name",
                message: "the registry name is not a usable host (it must not hold a user, path or space); "
                    + "give host or host:port, e.g. ghcr.io or 127.0.0.1:5000")
        }
        return url
    }

    /// The URL of a repository's API root, `<endpoint>/v2/<path>/`.
    ///
    /// - Parameter repository: The repository.
    /// - Returns: The URL, ending in a slash, to which `manifests/…`, `blobs/…` and `tags/list` are appended.
    /// - Throws: ``RegistryError`` when the registry has no usable endpoint.
    func baseURL(for repository: Repository) throws -> URL {
        try RegistryClient.repositoryURL(endpoint: endpoint(forRegistry: repository.domain), path: repository.path)
    }

    /// The repository roots to try for a pull: every mirror of the registry, then the registry itself.
    func pullBaseURLs(for repository: Repository) throws -> [URL] {
        let mirrors = configuration.mirrors[repository.domain] ?? []
        return try mirrors.map { try RegistryClient.repositoryURL(endpoint: $0, path: repository.path) }
            + [baseURL(for: repository)]
    }

    static func repositoryURL(endpoint: URL, path: String) throws -> URL {
        var text = endpoint.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: "\(text)/v2/\(path)/") else {
            throw RegistryError(
                code: .invalidConfiguration, method: "-", url: endpoint,
                subject: path, message: "cannot build a URL for repository \(path)")
        }
        return url
    }

    /// The API root of a registry, `<endpoint>/v2/`.
    func registryURL(forRegistry registry: String) throws -> URL {
        var text = try endpoint(forRegistry: registry).absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: "\(text)/v2/") else {
            throw RegistryError(
                code: .invalidConfiguration, method: "-", url: URL(fileURLWithPath: "/"),
                subject: registry, message: "cannot build the API URL of \(registry)")
        }
        return url
    }

    /// The credential key for a request: the repository's registry name when the URL is that registry's endpoint,
    /// otherwise the URL's own `host:port` (a mirror or a foreign host gets none of the registry's credentials).
    ///
    /// - Parameters:
    ///   - request: The request about to be sent.
    ///   - registry: The registry the request is about.
    /// - Returns: The key the authenticator looks credentials up by.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidResponse`` when the URL is the registry's
    ///   own host over plain HTTP although the registry is reached over HTTPS (a `Link` or `Location` that
    ///   downgrades): its credentials would travel in the clear.
    func credentialKey(for request: TransportRequest, registry: String) throws -> String {
        let url = request.url
        guard let endpoint = try? endpoint(forRegistry: registry), endpoint.authority.lowercased() == url.authority.lowercased()
        else { return url.authority }
        if endpoint.scheme?.lowercased() == "https", url.scheme?.lowercased() == "http" {
            throw RegistryError(
                code: .invalidResponse, method: request.method.rawValue, url: url, subject: registry,
                message: "the registry, reached over HTTPS, pointed to plain HTTP; Dockyard refuses to send its "
                    + "credentials in the clear. Report it to the registry's operator")
        }
        return registry
    }

    // MARK: - The request pipeline

    /// Sends a request to a repository with authorization, retries, redirects and one challenge round.
    ///
    /// - Parameters:
    ///   - request: The request; its URL usually starts with ``baseURL(for:)``.
    ///   - repository: The repository the request is about (its registry supplies the credentials).
    ///   - actions: The actions the request needs on the repository (`pull` for reads, `pull`+`push` for
    ///     writes, `delete` for deletes).
    ///   - extraScopes: Further scopes, e.g. `pull` on the source repository of a cross-repository mount.
    ///   - transfer: Whether the request is part of a blob transfer, which has no overall deadline (the idle
    ///     read timeout bounds it); every other request gets the configuration's `timeout.deadline`.
    /// - Returns: The response, whatever its status; its body has not been read.
    /// - Throws: `AuthError` when authentication fails, `TransportError` when no response could be had.
    func send(
        _ request: TransportRequest,
        repository: Repository,
        actions: [Scope.Action],
        extraScopes: [Scope] = [],
        transfer: Bool = false
    ) async throws -> TransportResponse {
        let request = transfer ? request : request.bounded(by: configuration.timeout.deadline)
        let scopes = (actions.isEmpty ? [] : [Scope.repository(repository, actions: Set(actions))]) + extraScopes
        let key = try credentialKey(for: request, registry: repository.domain)
        // A host the registry named (not the registry, nor an endpoint or mirror the user configured) gets no
        // credentials at all, not even its own stored ones: no confused deputy (issue 8).
        guard key == repository.domain || configuration.isConfiguredOrigin(request.url) else {
            return try await sendWithoutCredentials(request, registry: repository.domain)
        }
        return try await send(request, registry: key, scopes: scopes, transfer: transfer)
    }

    /// Sends a request with the credentials of `registry` and the given scopes; unless it is part of a blob
    /// `transfer`, within the configuration's `timeout.deadline`.
    func send(
        _ request: TransportRequest, registry: String, scopes: [Scope], transfer: Bool = false
    ) async throws -> TransportResponse {
        try checkTarget(request.url, registry: registry)
        var attempt = transfer ? request : request.bounded(by: configuration.timeout.deadline)
        let cached = try await authenticator.authorization(forRegistry: registry, scopes: scopes)
        if let cached { attempt.headers.replaceOrAdd(name: "Authorization", value: cached) }
        var response = try await exchange(attempt, registry: registry)
        if response.url.scheme != attempt.url.scheme, let scheme = response.url.scheme,
           var components = URLComponents(url: attempt.url, resolvingAgainstBaseURL: false)
        {
            // The registry turned out to speak plain HTTP; the challenge round goes there directly.
            components.scheme = scheme
            attempt.url = components.url ?? attempt.url
        }
        // A challenge counts only from the origin the request was addressed to (issue 8).
        try checkOrigin(of: response, for: attempt, registry: registry)
        guard response.status == .unauthorized, response.headers.contains(name: "WWW-Authenticate") else {
            return response
        }
        await response.body.drain()
        let authorization = try await authenticator.authorization(
            afterChallenge: response.headers, forRegistry: registry, scopes: scopes, rejecting: cached)
        attempt.headers.replaceOrAdd(name: "Authorization", value: authorization)
        response = try await exchange(attempt, registry: registry)
        try checkOrigin(of: response, for: attempt, registry: registry)
        guard response.status == .unauthorized, let challenge = AuthChallenge.parse(headers: response.headers).first else {
            return response
        }
        if challenge.scheme == .bearer, challenge.parameters["error"] == "insufficient_scope" {
            // The token of this challenge round was refused for its scope too: the account lacks the access. (The
            // authenticator decides this on the first refusal when the token is fresh; an older token is renewed
            // once, and its replacement's refusal is final, however long the round took.)
            await response.body.drain()
            throw AuthError(
                .insufficientScope,
                message: "registry \(registry) refused a new token for \(Scope.merged(scopes).map(\.description).joined(separator: " ")); "
                    + "the account lacks this access",
                registry: registry, status: 401)
        }
        if challenge.scheme == .basic {
            // Basic credentials sent and refused: ask the authenticator, which reports them as invalid.
            await response.body.drain()
            _ = try await authenticator.authorization(
                afterChallenge: response.headers, forRegistry: registry, scopes: scopes, rejecting: authorization)
            throw AuthError(
                .invalidCredentials,
                message: "\(registry) rejected the user name or password the credential provider gave for it. "
                    + "Check them, or store new credentials for \(registry)",
                registry: registry, status: 401)
        }
        return response
    }

    /// One trip through the pipeline; an HTTPS request to a loopback or insecure registry whose server does not
    /// speak TLS is sent again over plain HTTP (see ``endpoint(forRegistry:)``).
    func exchange(_ request: TransportRequest, registry: String) async throws -> TransportResponse {
        do {
            return try await exchange(request)
        } catch let error as TransportError where fallsBackToPlainHTTP(after: error, url: request.url, registry: registry) {
            plainHTTPRegistries.insert(registry)
            guard var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false) else { throw error }
            components.scheme = "http"
            guard let url = components.url else { throw error }
            logger.debug("\(registry) does not speak TLS; using plain HTTP as for an insecure registry")
            var plain = request
            plain.url = url
            return try await exchange(plain)
        }
    }

    /// Whether a failed HTTPS request may be sent again over plain HTTP: only for a registry reached by its own
    /// name (no configured endpoint) that may use plain HTTP, and never after a certificate was refused.
    private func fallsBackToPlainHTTP(after error: TransportError, url: URL, registry: String) -> Bool {
        guard url.scheme?.lowercased() == "https", configuration.endpoints[registry] == nil,
            url.authority.lowercased() == registry.lowercased(),
            HostPolicy.allowsPlainHTTP(forRegistry: registry, insecureRegistries: configuration.insecureRegistries)
        else { return false }
        switch error.code {
        // Only the one TLS failure that means "this port speaks plain HTTP" (the transport maps OpenSSL's
        // WRONG_VERSION_NUMBER to it); any other TLS failure, a certificate's above all, is reported, so an
        // unrecognised failure never downgrades the connection.
        case .tlsFailed: return error.message.contains("does not speak TLS")
        case .connectionFailed: return true
        default: return false
        }
    }

    /// One trip through the pipeline, logged and with its rate limit recorded.
    private func exchange(_ request: TransportRequest) async throws -> TransportResponse {
        let started = ContinuousClock.now
        do {
            let response = try await pipeline.send(request)
            if let rateLimit = RegistryError.rateLimit(response.headers) { await state.record(rateLimit) }
            logger.debug(
                "\(request.method.rawValue) \(request.url.loggableDescription) → \(response.status.code)",
                metadata: ["elapsed": "\(ContinuousClock.now - started)"])
            return response
        } catch {
            logger.debug("\(request.method.rawValue) \(request.url.loggableDescription) failed: \(error)")
            throw error
        }
    }

    /// An HTTP transport that sends every request through this client's pipeline with the credentials and scopes
    /// of one repository, for layers that speak HTTP themselves (blob transfer).
    ///
    /// - Parameters:
    ///   - repository: The repository the requests are about.
    ///   - actions: The actions they need.
    /// - Returns: The transport.
    func transport(for repository: Repository, actions: [Scope.Action]) -> any HTTPTransport {
        AuthorizingTransport(client: self, repository: repository, actions: actions, extraScopes: [])
    }

    /// Like ``transport(for:actions:)``, with further scopes (a cross-repository mount's source).
    func transport(for repository: Repository, actions: [Scope.Action], extraScopes: [Scope]) -> any HTTPTransport {
        AuthorizingTransport(client: self, repository: repository, actions: actions, extraScopes: extraScopes)
    }

    /// Reads a whole response body that must fit in memory: a manifest, a list page, a referrers index.
    ///
    /// - Parameters:
    ///   - response: The response (status already checked).
    ///   - request: The request that produced it.
    ///   - subject: What the request was about, for the error.
    ///   - limit: The most bytes accepted; ``maxManifestBytes`` by default.
    ///   - refusal: What the error says when the body is larger: what was too large and what to do.
    /// - Returns: The body's bytes.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidResponse`` when the body is larger than
    ///   `limit`; `TransportError` when it cannot be read.
    func collectBody(
        _ response: TransportResponse,
        for request: TransportRequest,
        subject: String,
        upTo limit: Int = RegistryClient.maxManifestBytes,
        refusal: String
    ) async throws -> [UInt8] {
        do {
            return Array(try await response.body.collect(upTo: limit).readableBytesView)
        } catch let error as TransportError where error.code == .bodyTooLarge {
            throw RegistryError(
                code: .invalidResponse, status: Int(response.status.code), method: request.method.rawValue,
                url: request.url, subject: subject, message: refusal)
        }
    }

    /// Reads an error answer and turns it into a ``RegistryError``.
    ///
    /// - Parameters:
    ///   - response: The response (its body is read, at most 64 KiB).
    ///   - request: The request that produced it.
    ///   - subject: What the request was about, for the description.
    /// - Returns: The error.
    func failure(_ response: TransportResponse, for request: TransportRequest, subject: String?) async -> RegistryError {
        var bytes: [UInt8] = []
        if request.method != .HEAD {
            do {
                bytes = Array(try await response.body.collectPrefix(65_536).readableBytesView)
            } catch {
                // A broken error body still leaves the status and headers to report.
            }
        }
        return RegistryError.decode(
            status: response.status, headers: response.headers, body: bytes,
            method: request.method, url: response.url, subject: subject)
    }
}

extension RegistryClient.Configuration {
    /// Hosts (`host` and `host:port`) whose TLS certificates are not verified: the insecure registries and the
    /// hosts of their endpoints.
    var insecureHostsForTLS: Set<String> {
        var hosts = Set<String>()
        for name in insecureRegistries {
            hosts.insert(name)
            if let url = endpoints[name] { hosts.insert(url.authority) }
        }
        return hosts
    }
}

/// A set of registry names shared by every task using one client, read synchronously.
final class RegistryNameSet: @unchecked Sendable {
    // Guarded by `lock`.
    private var names: Set<String> = []
    private let lock = NSLock()

    func contains(_ name: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return names.contains(name.lowercased())
    }

    func insert(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        names.insert(name.lowercased())
    }
}

/// The shutdown of a transport a client owns, run at most once.
final class TransportOwnership: @unchecked Sendable {
    // Guarded by `lock`.
    private var pending: (@Sendable () async -> Void)?
    private let lock = NSLock()

    /// Makes `shutdown` run on the next ``shutdown()``.
    func adopt(_ shutdown: @escaping @Sendable () async -> Void) {
        lock.lock()
        defer { lock.unlock() }
        pending = shutdown
    }

    /// Runs the adopted shutdown, once.
    func shutdown() async {
        let action: (@Sendable () async -> Void)? = {
            lock.lock()
            defer { lock.unlock() }
            let action = pending
            pending = nil
            return action
        }()
        await action?()
    }
}

/// Mutable state shared by every task using one client.
actor RegistryClientState {
    private(set) var lastRateLimit: RateLimit?

    func record(_ rateLimit: RateLimit) { lastRateLimit = rateLimit }
}

/// An ``HTTPTransport`` that sends through a ``RegistryClient``'s pipeline with one repository's credentials.
struct AuthorizingTransport: HTTPTransport {
    let client: RegistryClient
    let repository: Repository
    let actions: [Scope.Action]
    let extraScopes: [Scope]

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        // The blob layer's requests are transfers, bounded by the idle read timeout rather than an overall
        // deadline; a HEAD (does the blob exist?) is not.
        try await client.send(
            request, repository: repository, actions: actions, extraScopes: extraScopes,
            transfer: request.method != .HEAD)
    }
}

extension RegistryError {
    /// The `Retry-After` delay of a response, if it has one.
    static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        guard let value = headers.first(name: "Retry-After") else { return nil }
        return RetryAfter.parse(value)
    }

    /// Docker Hub's rate-limit headers of a response, if it has them.
    static func rateLimit(_ headers: HTTPHeaders) -> RateLimit? {
        RateLimit(headers: headers)
    }
}

extension RegistryClient: CustomStringConvertible, CustomReflectable {
    /// The client's registries and policies, never its credentials or cached tokens.
    public var description: String {
        let names = configuration.endpoints.keys.sorted().joined(separator: ", ")
        let insecure = configuration.insecureRegistries.sorted().joined(separator: ", ")
        return "RegistryClient(endpoints: [\(names)], insecure: [\(insecure)])"
    }

    /// What `dump` and debuggers show: the configuration only, so that no credential or token is printed.
    public var customMirror: Mirror {
        Mirror(self, children: ["configuration": configuration], displayStyle: .class)
    }
}
