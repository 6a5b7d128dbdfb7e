import Foundation
import NIOHTTP1

extension HubClient {
    /// Logs in and keeps the session for every later call of this client (and its copies).
    ///
    /// Passwords, personal access tokens and organization access tokens are exchanged at `POST /v2/auth/token`.
    /// A password that route refuses is tried at `POST /v2/users/login`, which is where an account with two-factor
    /// authentication answers `401` with a `login_2fa_token`; `twoFactorCode` is then asked for the code, which is
    /// sent to `POST /v2/users/2fa-login`. Tokens are renewed before they expire by logging in again with the same
    /// secret (and asking for a new code only when a two-factor session itself expires).
    ///
    /// - Parameters:
    ///   - login: The credentials.
    ///   - twoFactorCode: Asked for a two-factor code when the account needs one.
    /// - Returns: The session token (a secret: keep it only in a credential store).
    /// - Throws: ``HubAPIError`` — ``HubAPIError/Code/unauthorized`` for refused credentials,
    ///   ``HubAPIError/Code/twoFactorRequired`` when a code is needed and no closure was given.
    @discardableResult
    public func login(_ login: HubLogin, twoFactorCode: HubTwoFactorCodeProvider? = nil) async throws -> HubToken {
        try await session.start(login, twoFactorCode: twoFactorCode, using: self)
    }

    /// Logs in, keeps the session for every later call of this client, and saves it in a session store so that a
    /// later client created with `session: .stored(store)` starts logged in.
    ///
    /// After a login that needed a two-factor code the session token is saved (its secret alone could not log in
    /// again without a code); otherwise the secret is, as `docker login` does.
    ///
    /// - Parameters:
    ///   - login: The credentials.
    ///   - twoFactorCode: Asked for a two-factor code when the account needs one.
    ///   - store: Where the session is kept.
    /// - Returns: The session token (a secret: keep it only in a credential store).
    /// - Throws: ``HubAPIError`` as ``login(_:twoFactorCode:)`` does; `AuthError` when the store cannot be written.
    @discardableResult
    public func login(
        _ login: HubLogin,
        twoFactorCode: HubTwoFactorCodeProvider? = nil,
        savingTo store: HubSessionStore
    ) async throws -> HubToken {
        let asked = HubFlag()
        var code: HubTwoFactorCodeProvider?
        if let twoFactorCode {
            code = { @Sendable () async throws -> String in
                asked.set()
                return try await twoFactorCode()
            }
        }
        let token = try await session.start(login, twoFactorCode: code, using: self)
        try await store.save(login, token: token, keepSession: asked.value)
        return token
    }

    /// Forgets the session: later calls are anonymous (stored credentials are not looked up again).
    public func logout() async {
        await session.forget()
    }

    /// The session token in use, if any (it may have expired; the next call renews it).
    public var sessionToken: HubToken? {
        get async { await session.token }
    }

    /// Makes a token for a login (no state is changed).
    func obtainToken(for login: HubLogin, twoFactorCode: HubTwoFactorCodeProvider?) async throws -> HubToken {
        switch login {
        case .session(let token):
            return token
        case .personalAccessToken(let username, let token):
            return try await authToken(identifier: username, secret: token)
        case .organizationAccessToken(let organization, let token):
            return try await authToken(identifier: organization, secret: token)
        case .password(let username, let password):
            if password.hasPrefix("dckr_pat_") || password.hasPrefix("dckr_oat_") {
                return try await authToken(identifier: username, secret: password)
            }
            do {
                return try await authToken(identifier: username, secret: password)
            } catch let error as HubAPIError where error.code == .unauthorized || error.code == .invalidRequest {
                // A two-factor account's password, or a short legacy password: the older route handles both.
                return try await usersLogin(username: username, password: password, twoFactorCode: twoFactorCode)
            }
        }
    }

    private struct AuthTokenRequest: Encodable { var identifier: String; var secret: String }
    private struct AuthTokenResponse: Decodable {
        var accessToken: String
        enum CodingKeys: String, CodingKey { case accessToken = "access_token" }
    }
    private struct UsersLoginRequest: Encodable { var username: String; var password: String }
    private struct UsersLoginResponse: Decodable {
        var token: String
        var refreshToken: String?
        enum CodingKeys: String, CodingKey { case token, refreshToken = "refresh_token" }
    }
    private struct TwoFactorRequest: Encodable {
        var login2faToken: String
        var code: String
        enum CodingKeys: String, CodingKey { case login2faToken = "login_2fa_token", code }
    }
    private struct TwoFactorChallenge: Decodable {
        var login2faToken: String
        enum CodingKeys: String, CodingKey { case login2faToken = "login_2fa_token" }
    }

    private func authToken(identifier: String, secret: String) async throws -> HubToken {
        let body = try HubClient.encode(AuthTokenRequest(identifier: identifier, secret: secret))
        let response = try await json(AuthTokenResponse.self, .POST, try url("/v2/auth/token"), body: body, auth: .none)
        return HubToken(accessToken: response.accessToken)
    }

    private func usersLogin(username: String, password: String, twoFactorCode: HubTwoFactorCodeProvider?) async throws -> HubToken {
        let body = try HubClient.encode(UsersLoginRequest(username: username, password: password))
        let loginURL = try url("/v2/users/login", query: [URLQueryItem(name: "refresh_token", value: "true")])
        let first = try await perform(.POST, loginURL, body: body, auth: .none)
        if (200..<300).contains(first.status) {
            let response = try HubClient.decode(UsersLoginResponse.self, from: first.body, method: .POST, url: loginURL)
            return HubToken(accessToken: response.token, refreshToken: response.refreshToken)
        }
        guard first.status == 401, let challenge = try? HubJSON.decoder.decode(TwoFactorChallenge.self, from: Data(first.body)) else {
            throw HubAPIError.decode(status: first.status, body: first.body, method: "POST", url: loginURL)
        }
        guard let twoFactorCode else {
            throw HubAPIError(.twoFactorRequired, status: 401,
                              message: "the account \(username) has two-factor authentication and no code was supplied")
        }
        let code = try await twoFactorCode().trimmingCharacters(in: .whitespacesAndNewlines)
        let codeBody = try HubClient.encode(TwoFactorRequest(login2faToken: challenge.login2faToken, code: code))
        let twoFactorURL = try url("/v2/users/2fa-login", query: [URLQueryItem(name: "refresh_token", value: "true")])
        do {
            let response = try await json(UsersLoginResponse.self, .POST, twoFactorURL, body: codeBody, auth: .none)
            return HubToken(accessToken: response.token, refreshToken: response.refreshToken)
        } catch let error as HubAPIError where error.code == .unauthorized {
            throw HubAPIError(.twoFactorRequired, status: error.status, message: "the two-factor code was refused",
                              method: error.method, url: error.url)
        }
    }
}

/// A flag set from a `@Sendable` closure.
final class HubFlag: @unchecked Sendable {
    // Guarded by `lock`.
    private var flag = false
    private let lock = NSLock()
    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
