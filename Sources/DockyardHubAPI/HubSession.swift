import DockyardAuth
import Foundation

/// Where a ``HubClient``'s session comes from: the `session:` of its initializer.
public enum HubSessionSource: Sendable {
    /// No login: only public calls work; calls that need an account fail with ``HubAPIError/Code/notLoggedIn``.
    case anonymous
    /// This login, made on the first call that needs an account (and renewed before it expires).
    case login(HubLogin)
    /// The docker.io credentials of a credential provider (the docker CLI's store, say), looked up on the first
    /// call that could use them, under ``HubClient/Configuration/effectiveCredentialKey``: Docker Hub's own key for
    /// the real Hub only, so they never go to another server.
    case credentials(any CredentialProvider)
    /// The login a ``HubSessionStore`` kept (see ``HubClient/login(_:twoFactorCode:savingTo:)``), restored on the
    /// first call that could use it; anonymous when the store holds none.
    case stored(HubSessionStore)
}

/// The shared, mutable state of a ``HubClient``: the login, its token and the renewal in flight.
actor HubSession {
    private let source: HubSessionSource
    private let credentialKey: String
    private var login: HubLogin?
    private var twoFactorCode: HubTwoFactorCodeProvider?
    private var current: HubToken?
    private var renewal: Task<HubToken, any Error>?
    private var lookedUpStore = false
    private(set) var rateLimit: HubRateLimit?

    init(source: HubSessionSource, credentialKey: String) {
        self.source = source
        self.credentialKey = credentialKey
        if case .login(let login) = source {
            self.login = login
            self.lookedUpStore = true
            if case .session(let token) = login { current = token }
        }
    }

    func record(_ rateLimit: HubRateLimit) { self.rateLimit = rateLimit }

    var token: HubToken? { current }

    var canRenew: Bool { login?.isRenewable ?? false }

    func invalidateToken() {
        if login?.isRenewable == true { current = nil }
    }

    func forget() {
        renewal?.cancel()
        renewal = nil
        login = nil
        twoFactorCode = nil
        current = nil
        lookedUpStore = true
    }

    /// Sets an explicit login and makes its first token now.
    func start(_ login: HubLogin, twoFactorCode: HubTwoFactorCodeProvider?, using client: HubClient) async throws -> HubToken {
        renewal?.cancel()
        renewal = nil
        current = nil
        lookedUpStore = true
        if case .session(let token) = login {
            self.login = login
            self.twoFactorCode = nil
            current = token
            return token
        }
        let token = try await client.obtainToken(for: login, twoFactorCode: twoFactorCode)
        self.login = login
        self.twoFactorCode = twoFactorCode
        current = token
        return token
    }

    /// The token to send now: the current one, a renewed one (single flight), one made from stored credentials, or
    /// `nil` when there is no login at all.
    func token(using client: HubClient) async throws -> HubToken? {
        if let current, !current.expires(within: client.configuration.renewalMargin) { return current }
        if let renewal { return try await renewal.value }
        if login == nil, !lookedUpStore {
            lookedUpStore = true
            switch source {
            case .credentials(let provider):
                if let stored = try await provider.credentials(forRegistry: credentialKey) {
                    login = HubSession.login(from: stored)
                }
            case .stored(let store):
                login = try await store.load()
                if case .session(let token)? = login { current = token }
            case .anonymous, .login:
                break
            }
        }
        guard let login else { return nil }
        guard login.isRenewable else {
            // A kept session that is about to expire is still sent; the Hub decides.
            return current
        }
        let code = twoFactorCode
        let task = Task { try await client.obtainToken(for: login, twoFactorCode: code) }
        renewal = task
        defer { renewal = nil }
        let token = try await task.value
        current = token
        return token
    }

    static func login(from credentials: Credentials) -> HubLogin? {
        switch credentials {
        case .basic(let username, let password): return HubLogin(username: username, secret: password)
        default: return nil
        }
    }
}
