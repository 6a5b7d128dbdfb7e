import DockyardAuth
import Foundation

/// The shared, mutable state of a ``HubClient``: the login, its token and the renewal in flight.
actor HubSession {
    private let credentials: (any CredentialProvider)?
    private let credentialKey: String
    private var login: HubLogin?
    private var twoFactorCode: HubTwoFactorCodeProvider?
    private var current: HubToken?
    private var renewal: Task<HubToken, any Error>?
    private var lookedUpStore = false
    private(set) var rateLimit: HubRateLimit?

    init(credentials: (any CredentialProvider)?, credentialKey: String) {
        self.credentials = credentials
        self.credentialKey = credentialKey
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
            if let stored = try await credentials?.credentials(forRegistry: credentialKey) {
                login = HubSession.login(from: stored)
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
        case .basic(let username, let password):
            if password.hasPrefix("dckr_oat_") { return .organizationAccessToken(organization: username, token: password) }
            if password.hasPrefix("dckr_pat_") { return .personalAccessToken(username: username, token: password) }
            return .password(username: username, password: password)
        default:
            return nil
        }
    }
}
