import DockyardTransport
import Foundation
import NIOHTTP1

/// Computes `Authorization` headers for registries: remembers each registry's challenge, fetches and caches
/// bearer tokens, and builds Basic headers.
///
/// A registry client asks ``authorization(forRegistry:scopes:)`` before each request. Until the registry has
/// challenged once, the answer is `nil` and the request goes out without credentials. On a `401` the client
/// passes the response headers to ``authorization(afterChallenge:forRegistry:scopes:rejecting:)`` and retries
/// once with the header it returns. From then on, ``authorization(forRegistry:scopes:)`` answers at once from the
/// token cache, and fetches a new token ahead of time when the cached one is missing or about to expire.
///
/// Concurrent requests for the same registry, token service, scopes and account share one token fetch, and
/// concurrent credential lookups for one registry share one call to the ``CredentialProvider`` (which may run a
/// credential helper). Credentials are remembered for ``Configuration/credentialLifetime``.
///
/// Ask for minimal scopes: `[.pull]` to read, `[.pull, .push]` only when pushing, and several repositories in
/// one call for a cross-repository mount.
///
/// - Important: Credentials are sent to a plain-HTTP token realm only when its host is loopback (or
///   ``TokenService/Configuration/allowsInsecureRealms`` is set); otherwise the call throws ``AuthError`` with
///   code ``AuthError/Code/insecureRealm``.
public actor RegistryAuthenticator {
    /// How the authenticator works.
    public struct Configuration: Sendable {
        /// How the token service is used.
        public var tokenService: TokenService.Configuration
        /// Whether to ask token services for refresh tokens when authenticating with a password, and use them
        /// (`grant_type=refresh_token`) instead of the password afterwards. `false` by default.
        public var requestsRefreshTokens: Bool
        /// How long credentials from the provider are remembered before the provider is asked again.
        public var credentialLifetime: Duration

        /// Creates a configuration; the defaults suit Docker Hub.
        ///
        /// - Parameters:
        ///   - tokenService: How the token service is used.
        ///   - requestsRefreshTokens: Whether to ask for and use refresh tokens.
        ///   - credentialLifetime: How long provider answers are remembered; 5 minutes by default.
        public init(
            tokenService: TokenService.Configuration = .init(),
            requestsRefreshTokens: Bool = false,
            credentialLifetime: Duration = .seconds(300)
        ) {
            self.tokenService = tokenService
            self.requestsRefreshTokens = requestsRefreshTokens
            self.credentialLifetime = credentialLifetime
        }
    }

    /// The token service client.
    public nonisolated let tokenService: TokenService
    /// The token cache.
    public nonisolated let cache: TokenCache
    private let provider: any CredentialProvider
    private let configuration: Configuration

    private var challenges: [String: AuthChallenge] = [:]
    private var refreshTokens: [String: String] = [:]
    private var credentialLookups: [String: (task: Task<Credentials?, any Error>, started: ContinuousClock.Instant)] = [:]

    /// Creates an authenticator.
    ///
    /// - Parameters:
    ///   - transport: The transport token requests go through.
    ///   - credentials: Where credentials come from, for example ``DockerCredentialStore`` or ``StaticCredentials``.
    ///   - configuration: How the authenticator works.
    ///   - cache: The token cache; a new one by default.
    public init(
        transport: any HTTPTransport,
        credentials: any CredentialProvider,
        configuration: Configuration = .init(),
        cache: TokenCache = TokenCache()
    ) {
        self.tokenService = TokenService(transport: transport, configuration: configuration.tokenService)
        self.provider = credentials
        self.configuration = configuration
        self.cache = cache
    }

    // MARK: - Public API

    /// The `Authorization` header value for a request to a registry whose challenge is already known.
    ///
    /// For a Bearer registry this returns a cached token, fetching a new one first when none is cached for these
    /// scopes or the cached one is about to expire. For a Basic registry it returns the Basic header when
    /// credentials are known.
    ///
    /// - Parameters:
    ///   - registry: The registry, as the credential key: for example `docker.io` or `127.0.0.1:5000`.
    ///   - scopes: The scopes the request needs, for example `[.repository("library/ubuntu", actions: [.pull])]`.
    /// - Returns: The header value, or `nil` when the registry has not challenged yet (send the request without
    ///   credentials) or it takes Basic and no credentials are known.
    /// - Throws: ``AuthError`` when a token cannot be had; the transport's error when the token service could
    ///   not be reached.
    public func authorization(forRegistry registry: String, scopes: [Scope]) async throws -> String? {
        let name = Self.registryKey(registry)
        guard let challenge = challenges[name] else { return nil }
        let credentials = try await lookUpCredentials(name)
        if challenge.scheme == .basic { return credentials?.basicAuthorization }
        return try await bearer(challenge, registry: name, scopes: scopes, credentials: credentials, rejected: nil)
    }

    /// The `Authorization` header value to retry a request with after the registry answered `401`.
    ///
    /// It parses every `WWW-Authenticate` challenge (preferring Bearer over Basic), remembers it for the
    /// registry, and builds the header: for Bearer, a token for the given scopes plus any `scope` the challenge
    /// names, fetched with the registry's credentials (an identity token uses the refresh-token grant, a
    /// registry token is used as is); for Basic, the username and password.
    ///
    /// When the challenge says `error="invalid_token"` or `error="insufficient_scope"`, or `rejected` is the
    /// header the failed request carried and it is the cached one, the cached token is dropped and a new one
    /// fetched; concurrent callers still share one fetch.
    ///
    /// - Parameters:
    ///   - headers: The `401` response's headers.
    ///   - registry: The registry, as the credential key.
    ///   - scopes: The scopes the request needs.
    ///   - rejected: The `Authorization` value the failed request carried, if any. Passing it lets the
    ///     authenticator tell a rejected token from one another caller already renewed, and report refused
    ///     Basic credentials.
    /// - Returns: The header value for the retry.
    /// - Throws: ``AuthError``: ``AuthError/Code/unsupportedChallenge`` (no Basic or Bearer challenge, or a
    ///   Bearer challenge without a realm), ``AuthError/Code/credentialsRequired``,
    ///   ``AuthError/Code/invalidCredentials``, ``AuthError/Code/insufficientScope``,
    ///   ``AuthError/Code/insecureRealm``, ``AuthError/Code/tokenServiceFailed``,
    ///   ``AuthError/Code/credentialHelperFailed``; or the transport's error.
    public func authorization(
        afterChallenge headers: HTTPHeaders,
        forRegistry registry: String,
        scopes: [Scope],
        rejecting rejected: String? = nil
    ) async throws -> String {
        let name = Self.registryKey(registry)
        let parsed = AuthChallenge.parse(headers: headers)
        guard let chosen = parsed.first(where: { $0.scheme == .bearer }) ?? parsed.first(where: { $0.scheme == .basic })
        else {
            let schemes = parsed.map(\.scheme.rawValue)
            throw AuthError(
                .unsupportedChallenge,
                message: schemes.isEmpty
                    ? "registry \(registry) answered 401 without a WWW-Authenticate challenge"
                    : "registry \(registry) asks for authentication Dockyard does not support (\(schemes.joined(separator: ", ")))",
                registry: registry, status: 401)
        }
        var remembered = chosen
        remembered.parameters["scope"] = nil
        remembered.parameters["error"] = nil
        challenges[name] = remembered

        if chosen.scheme == .basic {
            return try await basic(registry: name, display: registry, rejected: rejected)
        }
        let credentials = try await lookUpCredentials(name)
        return try await bearer(
            chosen, registry: name, scopes: scopes + chosen.scopes, credentials: credentials,
            rejected: rejected, challengeError: chosen.error)
    }

    /// Drops the cached token for a registry and scopes, so that the next call fetches a new one.
    ///
    /// - Parameters:
    ///   - registry: The registry.
    ///   - scopes: The scopes whose token to drop.
    public func invalidateToken(forRegistry registry: String, scopes: [Scope]) async {
        let name = Self.registryKey(registry)
        guard let challenge = challenges[name], let key = try? await tokenKey(challenge, registry: name, scopes: scopes)
        else { return }
        await cache.invalidate(key)
    }

    /// Forgets what is known about a registry: its challenge and remembered credentials (not its cached tokens).
    ///
    /// - Parameter registry: The registry.
    public func forget(registry: String) {
        let name = Self.registryKey(registry)
        challenges[name] = nil
        credentialLookups[name] = nil
    }

    /// The challenge remembered for a registry, without its `scope` and `error` parameters.
    ///
    /// - Parameter registry: The registry.
    /// - Returns: The challenge, or `nil` when the registry has not challenged yet.
    public func challenge(forRegistry registry: String) -> AuthChallenge? {
        challenges[Self.registryKey(registry)]
    }

    /// The refresh token a token service issued for a registry's credentials, if any (requires
    /// ``Configuration/requestsRefreshTokens``). It can be stored as an identity token.
    ///
    /// - Parameter registry: The registry.
    /// - Returns: The refresh token, or `nil`.
    /// - Throws: ``AuthError`` (or the provider's own error) when the registry's credentials cannot be looked up.
    public func refreshToken(forRegistry registry: String) async throws -> String? {
        let name = Self.registryKey(registry)
        guard let challenge = challenges[name], let realm = challenge.realm,
            case .basic(let username, _)? = try await lookUpCredentials(name)
        else { return nil }
        return refreshTokens[Self.refreshKey(realm: realm, service: challenge.service, username: username)]
    }

    // MARK: - Basic

    private func basic(registry: String, display: String, rejected: String?) async throws -> String {
        let credentials = try await lookUpCredentials(registry)
        guard let credentials else {
            throw AuthError(
                .credentialsRequired,
                message: "registry \(display) requires a username and password, and the credential provider has none for it; "
                    + "give the client credentials for \(display) (for example StaticCredentials, or a stored login)",
                registry: display,
                status: 401)
        }
        guard let header = credentials.basicAuthorization else {
            throw AuthError(
                .credentialsRequired,
                message: "registry \(display) asks for a username and password (Basic) but only a token is stored; "
                    + "log in with a username and password", registry: display, status: 401)
        }
        if let rejected, rejected == header {
            credentialLookups[registry] = nil
            throw AuthError(
                .invalidCredentials,
                message: "incorrect username or password for user '\(credentials.username ?? "")' at registry "
                    + "\(display); check the credentials and log in again",
                registry: display, status: 401)
        }
        return header
    }

    // MARK: - Bearer

    private func tokenKey(_ challenge: AuthChallenge, registry: String, scopes: [Scope]) async throws -> TokenCache.Key? {
        guard let realm = challenge.realm.flatMap(URL.init(string:)) else { return nil }
        let credentials = try await lookUpCredentials(registry)
        return TokenCache.Key(realm: realm, service: challenge.service, scopes: scopes, account: Self.account(credentials))
    }

    private func bearer(
        _ challenge: AuthChallenge,
        registry: String,
        scopes: [Scope],
        credentials: Credentials?,
        rejected: String?,
        challengeError: String? = nil
    ) async throws -> String {
        if case .registryToken(let token)? = credentials { return "Bearer \(token)" }
        guard let realmString = challenge.realm, let realm = URL(string: realmString) else {
            throw AuthError(
                .unsupportedChallenge, message: "registry \(registry) sent a Bearer challenge without a usable realm",
                registry: registry, status: 401)
        }
        let merged = Scope.merged(scopes)
        let key = TokenCache.Key(realm: realm, service: challenge.service, scopes: merged, account: Self.account(credentials))

        if let cached = await cache.cachedToken(for: key) {
            // Judged by the cache's clock, so a test can move time instead of depending on how fast it runs.
            let age = cache.now() - (cached.expiresAt - cached.lifetime)
            if let rejected {
                if rejected == cached.authorization {
                    if challengeError == "insufficient_scope" && age < .seconds(5) {
                        throw AuthError(
                            .insufficientScope,
                            message: "registry \(registry) refused a fresh token for "
                                + "\(merged.map(\.description).joined(separator: " ")); the account lacks this access",
                            registry: registry, status: 401)
                    }
                    await cache.invalidate(key, ifValue: cached.value)
                }
            } else if challengeError == "invalid_token" || challengeError == "insufficient_scope", age > .seconds(1) {
                await cache.invalidate(key, ifValue: cached.value)
            }
        }

        let refreshKey = Self.refreshKey(realm: realmString, service: challenge.service, username: credentials?.username)
        let storedRefresh = credentials?.username == nil ? nil : refreshTokens[refreshKey]
        let request = TokenRequest(
            realm: realm, service: challenge.service, scopes: merged, credentials: credentials,
            wantsRefreshToken: configuration.requestsRefreshTokens && credentials?.username != nil)
        let service = tokenService
        let token = try await cache.token(for: key) {
            if let storedRefresh {
                var refreshing = request
                refreshing.credentials = .identityToken(storedRefresh)
                refreshing.wantsRefreshToken = false
                do {
                    return try await service.fetchToken(refreshing)
                } catch let error as AuthError where error.code == .invalidCredentials {
                    // The refresh token was revoked: fall back to the password.
                }
            }
            return try await service.fetchToken(request)
        }
        if let refresh = token.refreshToken, credentials?.username != nil { refreshTokens[refreshKey] = refresh }
        return token.authorization
    }

    // MARK: - Credentials

    private func lookUpCredentials(_ registry: String) async throws -> Credentials? {
        if let lookup = credentialLookups[registry], ContinuousClock.now - lookup.started < configuration.credentialLifetime {
            do {
                return try await lookup.task.value
            } catch {
                credentialLookups[registry] = nil
                throw error
            }
        }
        let provider = self.provider
        let task = Task { try await provider.credentials(forRegistry: registry) }
        credentialLookups[registry] = (task, .now)
        do {
            return try await task.value
        } catch {
            credentialLookups[registry] = nil
            throw error
        }
    }

    private static func account(_ credentials: Credentials?) -> String? {
        switch credentials {
        case .basic(let username, _)?: return username
        case .identityToken(let token)?: return "identity-token-\(String(token.hashValue, radix: 36))"
        case .registryToken(let token)?: return "registry-token-\(String(token.hashValue, radix: 36))"
        case nil: return nil
        }
    }

    private static func refreshKey(realm: String, service: String?, username: String?) -> String {
        "\(realm)\u{1F}\(service ?? "")\u{1F}\(username ?? "")"
    }

    /// The registry key: Docker Hub's aliases become `docker.io`; others keep their host, lowercased.
    static func registryKey(_ registry: String) -> String {
        let key = DockerConfig.key(forRegistry: registry)
        return key == DockerConfig.dockerHubKey ? "docker.io" : key.lowercased()
    }
}
