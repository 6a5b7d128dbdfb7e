import DockyardManifests
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// What to ask a token service for.
public struct TokenRequest: Sendable, Hashable {
    /// The token service's URL: the challenge's `realm`.
    public var realm: URL
    /// The registry's name at the token service: the challenge's `service`.
    public var service: String?
    /// The scopes wanted. They are merged and sorted before they are sent.
    public var scopes: [Scope]
    /// The credentials to authenticate with: `nil` for anonymous, a username and password, or an identity
    /// (refresh) token. A registry token needs no token service.
    public var credentials: Credentials?
    /// Whether to ask for a refresh token as well (`offline_token=true` or `access_type=offline`).
    public var wantsRefreshToken: Bool

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - realm: The token service's URL.
    ///   - service: The registry's name at the token service.
    ///   - scopes: The scopes wanted.
    ///   - credentials: The credentials, or `nil` for anonymous.
    ///   - wantsRefreshToken: Whether to ask for a refresh token too.
    public init(
        realm: URL,
        service: String?,
        scopes: [Scope],
        credentials: Credentials? = nil,
        wantsRefreshToken: Bool = false
    ) {
        self.realm = realm
        self.service = service
        self.scopes = scopes
        self.credentials = credentials
        self.wantsRefreshToken = wantsRefreshToken
    }
}

/// A client of a registry token service (distribution `docs/spec/auth/token.md` and `oauth.md`).
///
/// - Anonymous, and username and password by default: `GET realm?service=…&scope=…&scope=…&account=…` with
///   Basic credentials when known (and `offline_token=true&client_id=…` when a refresh token is wanted), as the
///   docker CLI does.
/// - With ``Configuration/usesOAuthForPasswords``: `POST realm` with `grant_type=password`; a service that
///   answers 404 or 405 to the POST is asked again with the GET, as distribution's client does.
/// - With an identity token: `POST realm` with `grant_type=refresh_token`.
///
/// Credentials go to a plain-HTTP realm only when its host is loopback (or
/// ``Configuration/allowsInsecureRealms`` is set), anonymous requests included; a link-local or cloud metadata
/// realm is never contacted. An `https` realm may be on another host than the registry, as with the docker CLI.
public struct TokenService: Sendable {
    /// How the token service is used.
    public struct Configuration: Sendable {
        /// The OAuth2 `client_id` sent with OAuth2 requests and `offline_token`; `dockyard` by default.
        public var clientID: String
        /// Whether a username and password are exchanged with an OAuth2 password grant (`POST`) rather than a
        /// `GET` with Basic authentication. `false` by default, as the docker CLI does.
        public var usesOAuthForPasswords: Bool
        /// Whether credentials may be sent to a plain-HTTP realm on a host that is not loopback. `false` by
        /// default; turn it on only for a registry you reach over a trusted network.
        public var allowsInsecureRealms: Bool
        /// Registries (`host` or `host:port`) listed as insecure: a plain-HTTP realm on one of these hosts is
        /// allowed. Empty by default.
        public var insecureRegistries: Set<String>
        /// The largest token response accepted, in bytes.
        public var maxResponseBytes: Int
        /// The `User-Agent` header to send, if any.
        public var userAgent: String?
        /// The longest one token request may take, redirects, retries and the response body included; 60 seconds
        /// by default. A `RegistryClient` sets it to its configuration's `timeout.deadline`.
        public var timeout: Duration

        /// Creates a configuration; the defaults suit Docker Hub.
        ///
        /// - Parameters:
        ///   - clientID: The OAuth2 client identifier.
        ///   - usesOAuthForPasswords: Whether to use the OAuth2 password grant.
        ///   - allowsInsecureRealms: Whether credentials may go to a non-loopback plain-HTTP realm.
        ///   - maxResponseBytes: The largest response accepted.
        ///   - userAgent: The `User-Agent` header, if any.
        ///   - timeout: The longest one token request may take.
        ///   - insecureRegistries: Registries whose hosts may serve a plain-HTTP realm.
        public init(
            clientID: String = "dockyard",
            usesOAuthForPasswords: Bool = false,
            allowsInsecureRealms: Bool = false,
            maxResponseBytes: Int = 1 << 20,
            userAgent: String? = nil,
            timeout: Duration = .seconds(60),
            insecureRegistries: Set<String> = []
        ) {
            self.insecureRegistries = insecureRegistries
            self.timeout = timeout
            self.clientID = clientID
            self.usesOAuthForPasswords = usesOAuthForPasswords
            self.allowsInsecureRealms = allowsInsecureRealms
            self.maxResponseBytes = maxResponseBytes
            self.userAgent = userAgent
        }
    }

    /// The transport requests go through.
    public let transport: any HTTPTransport
    /// The configuration.
    public let configuration: Configuration

    /// The most bytes of a token service's error answer that are read (for its message): 64 KiB.
    static let maxErrorBodyBytes = 64 << 10

    /// The lifetime assumed when a response has no `expires_in` (token.md: "defaults to 60 seconds").
    public static let defaultLifetime: Duration = .seconds(60)

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - transport: The transport to send requests through.
    ///   - configuration: How to use the token service.
    public init(transport: any HTTPTransport, configuration: Configuration = .init()) {
        self.transport = transport
        self.configuration = configuration
    }

    /// Fetches a token.
    ///
    /// - Parameter request: What to ask for.
    /// - Returns: The token; a registry token in the request is returned as is.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/invalidCredentials`` when the service refuses the
    ///   credentials (401), ``AuthError/Code/insecureRealm`` for credentials and a non-loopback plain-HTTP realm,
    ///   ``AuthError/Code/tokenServiceFailed`` for any other failure answer; or the transport's error when no
    ///   answer came.
    public func fetchToken(_ request: TokenRequest) async throws -> Token {
        if case .registryToken(let token) = request.credentials {
            return Token(value: token, lifetime: .seconds(86_400 * 365), expiresAt: .now + .seconds(86_400 * 365))
        }
        try checkRealm(request)
        switch request.credentials {
        case .basic(let username, let password) where configuration.usesOAuthForPasswords:
            var form = [
                ("grant_type", "password"), ("username", username), ("password", password),
                ("client_id", configuration.clientID),
            ]
            if request.wantsRefreshToken { form.append(("access_type", "offline")) }
            if let token = try await post(form: form, request) { return token }
            return try await get(request)
        case .identityToken(let refreshToken):
            let form = [
                ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", configuration.clientID),
            ]
            if let token = try await post(form: form, request) { return token }
            throw AuthError(
                .tokenServiceFailed,
                message: "the token service at \(request.realm.loggableDescription) does not accept OAuth2 requests, "
                    + "so the identity token cannot be used; log in with a username and password")
        default:
            return try await get(request)
        }
    }

    private func checkRealm(_ request: TokenRequest) throws(AuthError) {
        let scheme = request.realm.scheme?.lowercased()
        guard scheme == "https" || scheme == "http", let host = request.realm.host, !host.isEmpty else {
            throw AuthError(
                .tokenServiceFailed,
                message: "the registry named an unusable token service realm '\(request.realm.loggableDescription)'")
        }
        // Link-local and metadata addresses answer with the machine's own secrets: never, whatever the scheme.
        if HostPolicy.isLinkLocalOrMetadata(host: host) {
            throw AuthError(
                .refusedURL,
                message: "the registry named the token service realm \(request.realm.loggableDescription), a link-local "
                    + "or cloud metadata address; Dockyard never contacts it at a server's word")
        }
        // An http realm only on loopback (or a registry the user listed as insecure), anonymous requests included:
        // whatever comes back over plain HTTP from elsewhere could be anyone's token.
        if scheme == "http", !configuration.allowsInsecureRealms, !Self.isLoopback(host: host),
            !HostPolicy.allowsPlainHTTP(
                forRegistry: request.realm.port.map { "\(host):\($0)" } ?? host,
                insecureRegistries: configuration.insecureRegistries)
        {
            throw AuthError(
                .insecureRealm,
                message: "refusing the plain-HTTP token service \(request.realm.loggableDescription): it is not "
                    + "loopback; use an https realm, or list its host as an insecure registry if the network is trusted")
        }
    }

    // MARK: - Requests

    private func get(_ request: TokenRequest) async throws -> Token {
        var query: [(String, String)] = []
        if let service = request.service { query.append(("service", service)) }
        for scope in Scope.merged(request.scopes) { query.append(("scope", scope.description)) }
        var headers = baseHeaders()
        if case .basic(let username, _) = request.credentials {
            query.append(("account", username))
            if request.wantsRefreshToken {
                query.append(("offline_token", "true"))
                query.append(("client_id", configuration.clientID))
            }
            if let basic = request.credentials?.basicAuthorization { headers.add(name: "Authorization", value: basic) }
        }
        let url = Self.appendingQuery(query, to: request.realm)
        let response = try await transport.send(
            TransportRequest(method: .GET, url: url, headers: headers).bounded(by: configuration.timeout))
        return try await decode(response, request: request, started: .now)
    }

    /// Sends an OAuth2 form; returns `nil` when the service does not take POSTs (404, 405).
    private func post(form: [(String, String)], _ request: TokenRequest) async throws -> Token? {
        var fields = form
        if let service = request.service { fields.append(("service", service)) }
        let scopes = Scope.merged(request.scopes).map(\.description)
        if !scopes.isEmpty { fields.append(("scope", scopes.joined(separator: " "))) }
        var headers = baseHeaders()
        headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = fields.map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let started = ContinuousClock.now
        let response = try await transport.send(
            TransportRequest(method: .POST, url: request.realm, headers: headers, body: .bytes(Array(body.utf8)))
                .bounded(by: configuration.timeout))
        if response.status == .notFound || response.status == .methodNotAllowed {
            await response.body.drain()
            return nil
        }
        return try await decode(response, request: request, started: started)
    }

    private func baseHeaders() -> HTTPHeaders {
        var headers = HTTPHeaders([("Accept", "application/json")])
        if let userAgent = configuration.userAgent { headers.add(name: "User-Agent", value: userAgent) }
        return headers
    }

    // MARK: - Responses

    struct TokenResponse: Decodable {
        var token: String?
        var access_token: String?
        var expires_in: Double?
        var issued_at: String?
        var refresh_token: String?
    }

    private func decode(_ response: TransportResponse, request: TokenRequest, started: ContinuousClock.Instant)
        async throws -> Token
    {
        guard response.status == .ok else {
            // Only shown to people: the start of an error answer is enough, the rest is never read.
            let prefix = try await response.body.collectPrefix(Self.maxErrorBodyBytes)
            throw failure(status: response.status, body: Data(prefix.readableBytesView), request: request)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch let error as TransportError where error.code == .bodyTooLarge {
            throw AuthError(
                .tokenServiceFailed,
                message: "the token service at \(request.realm.loggableDescription) answered more than "
                    + "\(configuration.maxResponseBytes) bytes; that is no token, so the answer was dropped",
                status: Int(response.status.code), underlying: error)
        }
        let body = Data(buffer.readableBytesView)
        do {
            return try Self.parseTokenResponse(body, started: started)
        } catch {
            throw AuthError(
                .tokenServiceFailed,
                message: "the token service at \(request.realm.loggableDescription) answered without a token",
                status: Int(response.status.code))
        }
    }

    /// The longest token lifetime believed, one year: a larger `expires_in` is read as this.
    static let maximumLifetime: Duration = .seconds(365 * 86_400)

    /// Reads a token service's `200` answer (token.md "Token Response Fields"): `token` or `access_token`,
    /// `expires_in` (seconds; 60 when absent or not positive, at most a year), `issued_at`, `refresh_token`.
    ///
    /// - Parameters:
    ///   - body: The answer's bytes.
    ///   - started: When the request was sent, from which the lifetime counts.
    /// - Returns: The token.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/tokenServiceFailed`` when the body is not JSON or holds no
    ///   token.
    static func parseTokenResponse(_ body: Data, started: ContinuousClock.Instant) throws(AuthError) -> Token {
        guard let decoded = try? JSONDecoder().decode(TokenResponse.self, from: body),
            let value = [decoded.token, decoded.access_token].compactMap({ $0 }).first(where: { !$0.isEmpty })
        else {
            throw AuthError(.tokenServiceFailed, message: "the token service answered without a token")
        }
        var lifetime = Self.defaultLifetime
        if let seconds = decoded.expires_in, seconds.isFinite, seconds >= 1 {
            // Checked before any arithmetic: a huge or fractional value must not overflow the conversion.
            lifetime = seconds >= 365 * 86_400 ? Self.maximumLifetime : .milliseconds(Int64(seconds * 1000))
        }
        return Token(
            value: value,
            lifetime: lifetime,
            issuedAt: decoded.issued_at.flatMap(Self.parseDate),
            expiresAt: started + lifetime,
            refreshToken: decoded.refresh_token.flatMap { $0.isEmpty ? nil : $0 })
    }

    private func failure(status: HTTPResponseStatus, body: Data, request: TokenRequest) -> AuthError {
        var detail = Self.errorMessage(in: body) ?? status.reasonPhrase
        for secret in Self.secrets(of: request.credentials) where !secret.isEmpty {
            detail = detail.replacingOccurrences(of: secret, with: "<redacted>")
        }
        let realm = request.realm.loggableDescription
        let code = Int(status.code)
        guard status == .unauthorized else {
            return AuthError(
                .tokenServiceFailed, message: "the token service at \(realm) answered \(code): \(detail)", status: code)
        }
        switch request.credentials {
        case .basic(let username, _):
            return AuthError(
                .invalidCredentials,
                message: "incorrect username or password for user '\(username)' at \(realm) (\(detail)); "
                    + "check the credentials and log in again",
                status: code)
        case .identityToken:
            return AuthError(
                .invalidCredentials,
                message: "the token service at \(realm) refused the identity token (\(detail)); log in again",
                status: code)
        default:
            return AuthError(
                .credentialsRequired,
                message: "the token service at \(realm) refused anonymous access (\(detail)); give the client credentials for this registry",
                status: code)
        }
    }

    /// The message of a token service error body: `{"details"}`, `{"errors":[{"message"}]}` or OAuth2's
    /// `{"error","error_description"}`.
    static func errorMessage(in body: Data) -> String? {
        guard let object = try? JSONDecoder().decode(JSONValue.self, from: body).object else {
            let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty || text.hasPrefix("<") ? nil : text
        }
        if let details = object["details"]?.string, !details.isEmpty { return details }
        if case .array(let errors)? = object["errors"] {
            let messages = errors.compactMap { error -> String? in
                guard let fields = error.object else { return nil }
                let code = fields["code"]?.string
                let message = fields["message"]?.string ?? fields["detail"]?.string
                return [code, message].compactMap { $0 }.joined(separator: ": ")
            }.filter { !$0.isEmpty }
            if !messages.isEmpty { return messages.joined(separator: "; ") }
        }
        if let error = object["error"]?.string {
            if let description = object["error_description"]?.string, !description.isEmpty {
                return "\(error): \(description)"
            }
            return error
        }
        if let message = object["message"]?.string { return message }
        return nil
    }

    /// Every form in which the request's secret could come back in an error body: as sent in the Basic header
    /// (base64 of `username:password`), in a form or query (percent-encoded), and as it is.
    private static func secrets(of credentials: Credentials?) -> [String] {
        let secret: String
        switch credentials {
        case .basic(_, let password)?: secret = password
        case .identityToken(let token)?, .registryToken(let token)?: secret = token
        case nil: return []
        }
        var forms = [secret, formEncode(secret)]
        if let basic = credentials?.basicAuthorization { forms.append(String(basic.dropFirst("Basic ".count))) }
        // Longest first, so that a form containing another is replaced whole.
        return forms.sorted { $0.count > $1.count }
    }

    // MARK: - Helpers

    static func isLoopback(host: String) -> Bool { HostPolicy.isLoopback(host: host) }

    private static let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)

    /// Percent-encodes everything but RFC 3986 unreserved characters (as Go's `url.QueryEscape`, with `%20`).
    static func formEncode(_ string: String) -> String {
        var result = ""
        for byte in string.utf8 {
            if unreserved.contains(byte) {
                result.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    static func appendingQuery(_ items: [(String, String)], to url: URL) -> URL {
        guard !items.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            return url
        }
        let added = items.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        if let existing = components.percentEncodedQuery, !existing.isEmpty {
            components.percentEncodedQuery = existing + "&" + added
        } else {
            components.percentEncodedQuery = added
        }
        return components.url ?? url
    }

    static func parseDate(_ string: String) -> Date? {
        // ASCII only, as RFC 3339 is: Foundation's formatters can trap on crafted non-ASCII input.
        guard !string.isEmpty, string.utf8.count <= 64, string.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            return nil
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: string) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: string)
    }
}
