import DockyardAuth
import Foundation

/// Keeps a Docker Hub login between program runs in the docker credential store (`config.json` or its credential
/// helper), as hub-tool does, so that an account with two-factor authentication types its code once per login.
///
/// The entry's key is the Hub's host (`hub.docker.com`, or `host:port` of another base URL). It holds either the
/// secret itself (a password or access token, as `docker login` keeps it) or, after a two-factor login, the
/// session: the JWT and its refresh token, as a small JSON document in the password field with the username
/// beside it. When no entry exists and the Hub is the real one, the docker.io credentials
/// (`https://index.docker.io/v1/`) are used; they are never offered to another server.
///
/// - Important: The entry is a secret, like every credential in the store.
public struct HubSessionStore: Sendable {
    /// The credential store.
    public let store: DockerCredentialStore
    /// The key of the Hub's entry.
    public let key: String
    /// Whether the docker.io credentials may stand in: only for the real Hub over HTTPS.
    private let isDockerHub: Bool

    /// Creates a session store for a Hub.
    ///
    /// - Parameters:
    ///   - store: The docker credential store.
    ///   - hubURL: The Hub's base URL; the key is its host (with a non-default port).
    public init(store: DockerCredentialStore, hubURL: URL = HubClient.Configuration.dockerHubURL) {
        self.store = store
        let host = hubURL.host ?? "hub.docker.com"
        self.key = hubURL.port.map { "\(host):\($0)" } ?? host
        self.isDockerHub = key == "hub.docker.com" && hubURL.scheme?.lowercased() == "https"
    }

    private struct SessionDocument: Codable {
        var kind = "dockyard-hub-session"
        var jwt: String
        var refreshToken: String?
        enum CodingKeys: String, CodingKey { case kind, jwt, refreshToken = "refresh_token" }
    }

    /// The kept login: the Hub's own entry, else (for the real Hub at `https://hub.docker.com` only) the docker.io
    /// credentials.
    ///
    /// - Returns: The login, or `nil` when nothing is kept.
    /// - Throws: `AuthError` when the store cannot be read.
    public func load() async throws -> HubLogin? {
        if let entry = try await store.storedCredentials(forRegistry: key), let login = Self.login(from: entry) {
            return login
        }
        if isDockerHub, let entry = try await store.storedCredentials(forRegistry: DockerConfig.dockerHubKey) {
            return HubSession.login(from: entry)
        }
        return nil
    }

    /// Keeps a login: the session token for two-factor sessions, the secret otherwise.
    ///
    /// - Parameters:
    ///   - login: The login that succeeded.
    ///   - token: Its token; kept (instead of the secret) when `keepSession` is `true`.
    ///   - keepSession: Keep the session rather than the secret (after a two-factor login, whose secret alone
    ///     cannot log in again).
    /// - Throws: `AuthError` when the store cannot be written.
    public func save(_ login: HubLogin, token: HubToken, keepSession: Bool) async throws {
        let credentials: Credentials
        switch login {
        case .session:
            credentials = try sessionCredentials(token, username: login.identifier ?? token.username ?? "")
        case .password(let username, let secret), .personalAccessToken(let username, let secret),
             .organizationAccessToken(let username, let secret):
            credentials = keepSession ? try sessionCredentials(token, username: username) : .basic(username: username, password: secret)
        }
        try await store.store(credentials, forRegistry: key)
    }

    /// Forgets the Hub's entry (the docker.io credentials stay).
    ///
    /// - Returns: Whether an entry was found.
    /// - Throws: `AuthError` when the store cannot be written.
    @discardableResult
    public func erase() async throws -> Bool {
        try await store.erase(forRegistry: key)
    }

    private func sessionCredentials(_ token: HubToken, username: String) throws -> Credentials {
        let document = SessionDocument(jwt: token.accessToken, refreshToken: token.refreshToken)
        let text = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        return .basic(username: username, password: text)
    }

    static func login(from credentials: Credentials) -> HubLogin? {
        guard case .basic(_, let password) = credentials else { return nil }
        if password.hasPrefix("{"), let document = try? JSONDecoder().decode(SessionDocument.self, from: Data(password.utf8)),
           document.kind == "dockyard-hub-session" {
            return .session(HubToken(accessToken: document.jwt, refreshToken: document.refreshToken))
        }
        return HubSession.login(from: credentials)
    }
}
