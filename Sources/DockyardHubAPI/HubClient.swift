import DockyardAuth
import DockyardTransport
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A typed, asynchronous client for the Docker Hub REST API (`hub.docker.com`, or another Hub at
/// ``Configuration/baseURL``).
///
/// A `HubClient` is a reference type built like `RegistryClient`: one designated initializer taking the
/// configuration, the session, the transport and a logger; one connection pipeline shared by every task that uses
/// the client; one session (the login and its token) that every call shares. Requests go through the shared
/// transport policies: `RetryingTransport` (408, 429 and 5xx with `Retry-After`, idempotent methods only) inside
/// `RedirectingTransport` (credentials never follow a redirect to another origin), with Docker Hub's own
/// rate-limit headers (`X-RateLimit-*`, `X-Retry-After`) read by a Hub policy below them.
///
/// ```swift
/// let hub = try HubClient(configuration: .init(baseURL: URL(string: "https://hub.example.com")!),
///                         session: .login(.personalAccessToken(username: "alice", token: secret)),
///                         transport: transport)
/// for try await repository in hub.repositories(in: "alice") { print(repository.name) }
/// ```
///
/// The session token is renewed ahead of its expiry without the caller noticing. Lists are `PageSequence`s that
/// fetch every page on demand. Errors are ``HubAPIError``; a request that got no answer at all throws the
/// transport's `TransportError` (timeouts, refused connections).
///
/// - Important: Call ``shutdown()`` when done with a client that owns its transport (the `Dockyard` umbrella's
///   initializer without a transport, or use its `withHubClient` which does it on every path). A transport passed
///   in is left to its owner.
public final class HubClient: Sendable {
    /// The configuration this client was made with.
    public let configuration: Configuration
    /// The pipeline every request goes through: redirects around retries around the Hub's rate-limit policy
    /// around the base transport.
    let transport: any HTTPTransport
    let session: HubSession
    let logger: Logger
    /// Shuts down a transport the client owns; see ``adoptTransport(shutdown:)``.
    let ownership = HubTransportOwnership()

    /// A logger that discards everything: the default.
    public static let silentLogger = Logger(label: "dockyard.hub", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates a client.
    ///
    /// ```swift
    /// let hub = try HubClient(configuration: .init(), session: .anonymous, transport: transport)
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: Where the Hub is and how to behave; `Configuration()` suits Docker Hub. For another Hub
    ///     (an emulator, a proxy), set ``Configuration/baseURL``: `.init(baseURL: URL(string: "https://hub.example.com")!)`.
    ///   - session: How the client logs in: anonymously, with a login made on the first call that needs one, with
    ///     docker.io credentials from a credential provider, or with a session kept by a ``HubSessionStore``.
    ///   - transport: The HTTP transport (for example `AsyncHTTPTransport` of `DockyardHTTPClient`); the caller
    ///     owns its lifetime. The retry, redirect and rate-limit policies are added on top of it.
    ///   - logger: Where requests are logged at `debug` level, never with credentials or capability URLs.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` for an invalid configuration.
    public init(
        configuration: Configuration = Configuration(),
        session: HubSessionSource = .anonymous,
        transport: any HTTPTransport,
        logger: Logger = HubClient.silentLogger
    ) throws(HubAPIError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        let hubSession = HubSession(source: session, credentialKey: configuration.effectiveCredentialKey)
        self.session = hubSession
        let policy = HubRateLimitPolicy(wrapping: transport, session: hubSession)
        // A 429 is a refusal before any processing (RFC 6585 §4), so a POST or PATCH the Hub rate-limited is sent
        // again too; other failures of those methods are not, as the Hub may have acted on them.
        var refusals = configuration.retry
        refusals.retryableStatuses = configuration.retry.retryableStatuses.intersection([429])
        refusals.retriesNonIdempotentRequests = true
        self.transport = RedirectingTransport(
            wrapping: HubMethodRouting(
                idempotent: RetryingTransport(wrapping: policy, policy: configuration.retry, logger: logger),
                other: RetryingTransport(wrapping: policy, policy: refusals, logger: logger)),
            policy: configuration.redirect,
            logger: logger)
    }

    /// Hands the client the shutdown of a transport it should own: ``shutdown()`` then calls it. For the
    /// `Dockyard` umbrella, which creates the default transport for a client.
    ///
    /// - Parameter shutdown: Closes the transport.
    package func adoptTransport(shutdown: @escaping @Sendable () async -> Void) {
        ownership.adopt(shutdown)
    }

    /// Checks a configuration as the initializer does, before a transport is created for it.
    ///
    /// - Parameter configuration: The configuration.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument``.
    package static func validate(_ configuration: Configuration) throws(HubAPIError) {
        try configuration.validate()
    }

    /// Closes the transport the client owns (one the `Dockyard` umbrella created for it); does nothing for a
    /// transport passed to the initializer, whose owner shuts it down. Call it once, when no request is running.
    public func shutdown() async {
        await ownership.shutdown()
    }

    /// The rate-limit state of the last Hub response that carried one.
    public var rateLimit: HubRateLimit? {
        get async { await session.rateLimit }
    }

    // MARK: - Requests

    enum AuthMode: Sendable {
        /// Never send credentials.
        case none
        /// Send the session token when there is one; work anonymously otherwise.
        case optional
        /// A session is needed.
        case required
    }

    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
        var url: URL
    }

    /// A URL on the Hub API origin.
    func url(_ path: String, query: [URLQueryItem] = [], base: URL? = nil) throws(HubAPIError) -> URL {
        let root = base ?? configuration.baseURL
        // A name of "." or ".." (from a caller's string) would make the path point elsewhere on the Hub.
        if path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) {
            throw HubAPIError(.invalidArgument, message: "a name may not be '.' or '..' (in \(path))")
        }
        guard var components = URLComponents(url: root, resolvingAgainstBaseURL: false) else {
            throw HubAPIError(.invalidArgument, message: "invalid base URL")
        }
        let prefix = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
        components.percentEncodedPath = prefix + path
        let items = query.filter { $0.value != nil }
        components.queryItems = items.isEmpty ? nil : items
        // URLComponents leaves "+" alone, which servers read as a space: encode it.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        guard let url = components.url else {
            throw HubAPIError(.invalidArgument, message: "cannot form a URL for \(path)")
        }
        return url
    }

    /// Percent-encodes one path segment (a user-given name).
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// Whether `url` is on the Hub API origin, so that credentials may go to it.
    func isHubOrigin(_ url: URL) -> Bool {
        let base = configuration.baseURL
        return url.scheme?.lowercased() == base.scheme?.lowercased()
            && url.host?.lowercased() == base.host?.lowercased()
            && HubClient.port(of: url) == HubClient.port(of: base)
    }

    static func port(of url: URL) -> Int {
        url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
    }

    /// Sends a request with authentication, 429 retries and a single renewal on 401; throws on a non-2xx status.
    func send(
        _ method: HTTPMethod,
        _ url: URL,
        body: [UInt8]? = nil,
        contentType: String = "application/json",
        accept: String = "application/json",
        auth: AuthMode = .optional
    ) async throws -> Response {
        let response = try await perform(method, url, body: body, contentType: contentType, accept: accept, auth: auth)
        guard (200..<300).contains(response.status) else {
            throw HubAPIError.decode(status: response.status, body: response.body, method: method.rawValue, url: url,
                                     rateLimit: HubRateLimit(headers: response.headers))
        }
        return response
    }

    /// Sends a request with authentication and a single renewal on 401 through the pipeline (which retries 429
    /// and 5xx), and returns any answer except a 429 whose retries ran out.
    func perform(
        _ method: HTTPMethod,
        _ url: URL,
        body: [UInt8]? = nil,
        contentType: String = "application/json",
        accept: String = "application/json",
        auth: AuthMode = .optional
    ) async throws -> Response {
        var renewedAfter401 = false
        while true {
            var headers = HTTPHeaders()
            headers.add(name: "User-Agent", value: configuration.userAgent)
            headers.add(name: "Accept", value: accept)
            if body != nil { headers.add(name: "Content-Type", value: contentType) }
            var sentToken = false
            if auth != .none, isHubOrigin(url) {
                if let token = try await session.token(using: self) {
                    headers.add(name: "Authorization", value: "Bearer \(token.accessToken)")
                    sentToken = true
                } else if auth == .required {
                    throw HubAPIError(.notLoggedIn, message: "this call needs a Docker Hub login and the client has none",
                                      method: method.rawValue, url: HubAPIError.redacted(url))
                }
            }
            let request = TransportRequest(
                method: method, url: url, headers: headers,
                body: body.map { RequestBody.bytes($0) },
                deadline: .now + configuration.timeout
            )
            let response = try await transport.send(request)
            let buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
            let bytes = Array(buffer.readableBytesView)
            let status = Int(response.status.code)
            logger.debug("\(method.rawValue) \(HubAPIError.redacted(url)) → \(status)")

            if status == 429 {
                throw HubAPIError.decode(status: status, body: bytes, method: method.rawValue, url: url,
                                         retryAfter: HubRateLimitPolicy.retryAfter(in: response.headers),
                                         rateLimit: HubRateLimit(headers: response.headers))
            }
            if status == 401, sentToken, !renewedAfter401, await session.canRenew {
                renewedAfter401 = true
                await session.invalidateToken()
                continue
            }
            return Response(status: status, headers: response.headers, body: bytes, url: response.url)
        }
    }

    /// POSTs to a capability URL (a trigger or callback URL, whose path is the secret) without credentials.
    ///
    /// Every error it throws names only the URL's origin and `<label>`: a ``HubAPIError`` gets its URL replaced, and
    /// a `TransportError` (which names the whole path) gets its message rewritten. A URL that is not absolute
    /// http(s) is refused with ``HubAPIError/Code/invalidArgument`` before anything is sent.
    func sendToCapability(_ url: URL, label: String, body: [UInt8], accept: String = "application/json") async throws {
        guard url.isAbsoluteHTTP else {
            throw HubAPIError(.invalidArgument, message: "the \(label) must be an absolute http(s) URL")
        }
        let shown = HubAPIError.origin(of: url, label)
        do {
            _ = try await send(.POST, url, body: body, accept: accept, auth: .none)
        } catch let error as HubAPIError {
            throw error.replacingURL(with: shown)
        } catch let error as TransportError {
            var message = error.message
            for text in [url.absoluteString, url.loggableDescription, url.path] where !text.isEmpty && text != "/" {
                message = message.replacingOccurrences(of: text, with: shown)
            }
            throw TransportError(error.code, message: message)
        }
    }

    /// Sends a request and decodes a JSON answer.
    func json<Value: Decodable>(
        _ type: Value.Type,
        _ method: HTTPMethod = .GET,
        _ url: URL,
        body: [UInt8]? = nil,
        auth: AuthMode = .optional
    ) async throws -> Value {
        let response = try await send(method, url, body: body, auth: auth)
        return try HubClient.decode(type, from: response.body, method: method, url: url)
    }

    /// Decodes a JSON document, turning a failure into ``HubAPIError/Code/invalidResponse``.
    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], method: HTTPMethod? = nil, url: URL? = nil) throws(HubAPIError) -> Value {
        do {
            return try HubJSON.decoder.decode(Value.self, from: Data(bytes))
        } catch {
            throw HubAPIError(.invalidResponse, message: "could not decode \(Value.self): \(HubJSON.describe(error))",
                              method: method?.rawValue, url: url.map(HubAPIError.redacted))
        }
    }

    /// Encodes a request body.
    static func encode(_ value: some Encodable) throws(HubAPIError) -> [UInt8] {
        do {
            return Array(try HubJSON.encoder.encode(value))
        } catch {
            throw HubAPIError(.invalidArgument, message: "could not encode the request body: \(error)")
        }
    }
}

/// Sends idempotent requests through one transport and the others through another (their retry policies differ).
struct HubMethodRouting: HTTPTransport {
    let idempotent: any HTTPTransport
    let other: any HTTPTransport

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        try await (request.isIdempotent ? idempotent : other).send(request)
    }
}

/// The shutdown of a transport a ``HubClient`` owns, run at most once.
final class HubTransportOwnership: @unchecked Sendable {
    // Guarded by `lock`.
    private var close: (@Sendable () async -> Void)?
    private let lock = NSLock()

    func adopt(_ shutdown: @escaping @Sendable () async -> Void) {
        lock.withLock { close = shutdown }
    }

    func shutdown() async {
        let close = lock.withLock { () -> (@Sendable () async -> Void)? in
            defer { self.close = nil }
            return self.close
        }
        await close?()
    }
}

extension HubClient: CustomStringConvertible {
    /// The Hub the client talks to, never its credentials or tokens.
    public var description: String { "HubClient(\(configuration.baseURL.absoluteString))" }
}

/// The Hub's JSON conventions: snake_case keys spelled out per model, ISO 8601 dates with or without fractions.
enum HubJSON {
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
            let text = try container.decode(String.self)
            guard let date = parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatDate(date))
        }
        return encoder
    }()

    static func parseDate(_ text: String) -> Date? {
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        // Microsecond fractions ("…00.123456Z") are beyond what some formatters accept: trim to milliseconds.
        if let dot = text.firstIndex(of: "."), let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = text[text.index(after: dot)..<zone]
            let trimmed = String(text[..<dot]) + "." + String(digits.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) + String(text[zone...])
            return fractional.date(from: trimmed)
        }
        return nil
    }

    static func formatDate(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return String(describing: error) }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)' at '\(path(context))'"
        case .typeMismatch(_, let context): return "wrong type at '\(path(context))': \(context.debugDescription)"
        case .valueNotFound(_, let context): return "null at '\(path(context))'"
        case .dataCorrupted(let context): return "invalid data at '\(path(context))': \(context.debugDescription)"
        @unknown default: return String(describing: error)
        }
    }
}
