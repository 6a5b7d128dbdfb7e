import Foundation

/// localhub's emulation of Docker Hub's token service (`tokenserver.py`, like `auth.docker.io`).
///
/// Its settings are global: a test that needs other settings (short-lived tokens, other public repositories) runs
/// in a suite with a token service of its own, `.privateLocalHub(.init(tokenLifetime: 3, exactExpiry: true,
/// components: ["token"]))`, and never changes the shared one.
///
/// The service writes a request's log line before it answers, so once a client holds a token, its request is in
/// the log: ``requests(since:)`` needs no waiting.
public struct TokenServer: Sendable {
    /// One line of the token log: one token request and what was granted.
    public struct Request: Sendable, Decodable {
        /// One granted resource.
        public struct Access: Sendable, Decodable, Hashable {
            /// `repository`, `registry`, …
            public var type: String
            /// The repository path, or `catalog`.
            public var name: String
            /// The actions granted (empty when none was).
            public var actions: [String]

            /// Creates a resource value, to compare with logged ones.
            ///
            /// - Parameters:
            ///   - type: `repository`, `registry`, …
            ///   - name: The repository path, or `catalog`.
            ///   - actions: The actions.
            public init(type: String, name: String, actions: [String]) {
                self.type = type
                self.name = name
                self.actions = actions
            }
        }

        /// Unix time of the request.
        public var ts: Double?
        /// `GET` or `POST`.
        public var method: String?
        /// The path with the query.
        public var path: String?
        /// `anonymous`, `basic`, `password` or `refresh_token`.
        public var grant: String?
        /// The authenticated user, `nil` when anonymous.
        public var user: String?
        /// The status answered.
        public var status: Int?
        /// The error answered, if any.
        public var error: String?
        /// The `service` asked for.
        public var service: String?
        /// The scopes asked for, e.g. `repository:alice/app:pull,push`.
        public var scopes: [String]?
        /// What was granted.
        public var access: [Access]?
        /// The `account` parameter.
        public var account: String?
        /// The `client_id` parameter.
        public var clientID: String?
        /// Whether an offline token (refresh token) was asked for.
        public var offline: Bool?
        /// The token's `jti`.
        public var jti: String?
        /// The token's lifetime as answered.
        public var expiresIn: Int?
        /// Whether a refresh token was issued.
        public var refreshTokenIssued: Bool?
        /// The client's `User-Agent`.
        public var userAgent: String?

        enum CodingKeys: String, CodingKey {
            case ts, method, path, grant, user, status, error, service, scopes, access, account, offline, jti
            case clientID = "client_id"
            case expiresIn = "expires_in"
            case refreshTokenIssued = "refresh_token_issued"
            case userAgent = "user_agent"
        }
    }

    /// The realm, e.g. `http://127.0.0.1:P/token`.
    public var realm: URL
    /// The service, `registry.docker.io` unless changed.
    public var service: String
    /// The issuer, `auth.docker.io` unless changed.
    public var issuer: String
    /// The token lifetime in seconds the servers were started with.
    public var lifetime: Int
    /// Whether the registry rejects tokens exactly `lifetime` seconds after issue.
    public var exactExpiry: Bool
    /// The JSON-lines log of token requests.
    public var log: URL
    /// The control endpoint (`.../__control__`).
    public var control: URL
    /// The CA bundle the registry verifies tokens with.
    public var rootCertificate: URL
    /// Globs of repositories anyone may pull, e.g. `library/*`.
    public var publicRepositories: [String]

    /// The settings and counters (`GET /__control__`).
    ///
    /// - Returns: The answer.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func settings() async throws -> TestJSON {
        try await ControlHTTP.jsonCall("GET", control)
    }

    /// Changes settings (`POST /__control__`); `nil` leaves a setting as it is.
    ///
    /// - Parameters:
    ///   - lifetime: Token lifetime in seconds.
    ///   - exactExpiry: Whether tokens expire exactly at `lifetime` for the registry.
    ///   - publicRepositories: Globs of public repositories.
    ///   - resetLog: Whether to empty the token log.
    /// - Returns: The answer.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    @discardableResult
    public func configure(
        lifetime: Int? = nil, exactExpiry: Bool? = nil, publicRepositories: [String]? = nil, resetLog: Bool = false
    ) async throws -> TestJSON {
        var body: [String: TestJSON] = [:]
        if let lifetime { body["lifetime"] = .number(Double(lifetime)) }
        if let exactExpiry { body["exact_expiry"] = .bool(exactExpiry) }
        if let publicRepositories { body["public"] = .array(publicRepositories.map(TestJSON.string)) }
        if resetLog { body["reset_log"] = true }
        return try await ControlHTTP.jsonCall("POST", control, json: .object(body))
    }

    /// The current end of the token log, to read only later lines with ``requests(since:)``.
    public func logMark() -> JSONLines.Mark { JSONLines.mark(log) }

    /// The token requests logged after `mark`.
    ///
    /// Tests run in parallel against one token service: filter on your own repository names.
    ///
    /// - Parameter mark: Where to start; the beginning by default.
    /// - Returns: The requests, oldest first.
    /// - Throws: An error when the log cannot be read.
    public func requests(since mark: JSONLines.Mark = .start) throws -> [Request] {
        try JSONLines.read(log, as: Request.self, since: mark)
    }

    /// The token requests logged after `mark` that asked for a scope on `repository`.
    ///
    /// - Parameters:
    ///   - repository: A repository path, e.g. `alice/app`.
    ///   - mark: Where to start.
    /// - Returns: The matching requests.
    /// - Throws: An error when the log cannot be read.
    public func requests(forRepository repository: String, since mark: JSONLines.Mark = .start) throws -> [Request] {
        try requests(since: mark).filter { request in
            (request.scopes ?? []).contains { $0.hasPrefix("repository:\(repository):") }
        }
    }
}
