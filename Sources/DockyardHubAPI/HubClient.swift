import DockyardAuth
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// A typed, asynchronous client for the Docker Hub REST API (`hub.docker.com`).
///
/// A `HubClient` is a value: copies share one session (an actor holding the login and its token), so a client can be
/// handed to many tasks. Calls that need an account use the session made by ``login(_:twoFactorCode:)``, or else
/// log in with the docker.io credentials of the credential provider given at creation (the same store registry pulls
/// use, key ``Configuration/effectiveCredentialKey``). Anonymous calls work without either.
///
/// The session token is renewed ahead of its expiry without the caller noticing. Lists are `PageSequence`s
/// that fetch every page on demand. Errors are ``HubAPIError``;
/// a request that got no answer at all throws the transport's `TransportError` (timeouts, refused connections).
public struct HubClient: Sendable {
    /// The configuration this client was made with.
    public let configuration: Configuration
    let transport: any HTTPTransport
    let session: HubSession
    /// Shuts down a transport the client owns (one the `Dockyard` umbrella created for it); `nil` otherwise.
    let shutdownTransport: (@Sendable () async -> Void)?

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - configuration: Where the Hub is and how to behave.
    ///   - transport: The HTTP transport (for example `AsyncHTTPTransport` of `DockyardHTTPClient`); the caller
    ///     owns its lifetime. The `Dockyard` umbrella adds an initializer that creates and owns one.
    ///   - credentials: Where docker.io credentials come from when no explicit login is made; `nil` for none.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` for an invalid configuration.
    public init(
        configuration: Configuration = Configuration(),
        transport: any HTTPTransport,
        credentials: (any CredentialProvider)? = nil
    ) throws(HubAPIError) {
        try configuration.validate()
        self.configuration = configuration
        self.transport = transport
        self.shutdownTransport = nil
        self.session = HubSession(credentials: credentials, credentialKey: configuration.effectiveCredentialKey)
    }

    /// Creates a client that owns its transport: ``shutdown()`` calls `shutdownTransport`.
    ///
    /// For the `Dockyard` umbrella, which chooses the default transport.
    package init(
        configuration: Configuration,
        transport: any HTTPTransport,
        credentials: (any CredentialProvider)?,
        shutdownTransport: @escaping @Sendable () async -> Void
    ) throws(HubAPIError) {
        try configuration.validate()
        self.configuration = configuration
        self.transport = transport
        self.shutdownTransport = shutdownTransport
        self.session = HubSession(credentials: credentials, credentialKey: configuration.effectiveCredentialKey)
    }

    /// Checks a configuration as the initializers do, for the `Dockyard` umbrella before it creates a transport.
    package static func validate(_ configuration: Configuration) throws(HubAPIError) {
        try configuration.validate()
    }

    /// Shuts down the transport the client created itself; does nothing for a transport passed in, whose owner
    /// shuts it down.
    public func shutdown() async {
        await shutdownTransport?()
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

    /// Sends a request with authentication, 429 retries and a single renewal on 401, and returns any answer
    /// except a 429 whose retries ran out.
    func perform(
        _ method: HTTPMethod,
        _ url: URL,
        body: [UInt8]? = nil,
        contentType: String = "application/json",
        accept: String = "application/json",
        auth: AuthMode = .optional
    ) async throws -> Response {
        var attempt = 1
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
                    throw HubAPIError(.notLoggedIn, message: "this call needs a Docker Hub login and none is configured",
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
            let rateLimit = HubRateLimit(headers: response.headers)
            if let rateLimit { await session.record(rateLimit) }

            if status == 429 {
                let wait = HubRateLimit.retryAfter(in: response.headers) ?? configuration.retry.defaultDelay
                if attempt < configuration.retry.maxAttempts, wait <= configuration.retry.maxDelay {
                    attempt += 1
                    try await Task.sleep(for: wait)
                    continue
                }
                throw HubAPIError.decode(status: status, body: bytes, method: method.rawValue, url: url,
                                         retryAfter: wait, rateLimit: rateLimit)
            }
            if status == 401, sentToken, !renewedAfter401, await session.canRenew {
                renewedAfter401 = true
                await session.invalidateToken()
                continue
            }
            return Response(status: status, headers: response.headers, body: bytes, url: url)
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
