import Foundation

/// hubsim, the local Docker Hub REST API emulator, as described by the `HUBSIM_*` environment, with its seeded
/// accounts and small helpers for its control API (`/__sim__/...`).
///
/// The control API changes global state: ``reset(keepLog:)`` and ``setConfig(_:)`` affect every test running at
/// the same time. Use ``withConfig(_:_:)`` (which holds a process-wide lock and restores the settings) and avoid
/// `reset` in tests that run in parallel with others.
public struct HubSim: Sendable {
    /// A seeded hubsim user.
    public struct Account: Sendable, Hashable {
        /// The username.
        public var username: String
        /// The password (at least 9 characters, as `/v2/auth/token` requires).
        public var password: String
        /// Personal access tokens by label.
        public var personalAccessTokens: [String: String]
        /// The second-factor code when two-factor authentication is on.
        public var twoFactorCode: String?

        /// The account as a localhub account (the same users file serves both servers).
        public var localHubAccount: LocalHub.Account {
            LocalHub.Account(username: username, password: password, personalAccessToken: personalAccessTokens.values.sorted().first)
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:40123` (stands for hub.docker.com, index.docker.io and
    /// registry.hub.docker.com at once).
    public var url: URL
    /// The JSON-lines request log.
    public var log: URL
    /// The state directory.
    public var state: URL
    /// The server's pid.
    public var pid: Int32?

    /// The emulator described by this process's environment, or `nil` when it is not running.
    public static var current: HubSim? {
        try? HubSim(environment: ProcessInfo.processInfo.environment)
    }

    /// The emulator described by this process's environment.
    ///
    /// Call it first in a test marked ``Testing/Trait/requiresHubSim``.
    ///
    /// - Returns: The emulator.
    /// - Throws: ``ServiceUnavailable`` naming the missing variables.
    public static func required() throws -> HubSim {
        try HubSim(environment: ProcessInfo.processInfo.environment)
    }

    /// Reads the emulator from `HUBSIM_URL`, `HUBSIM_LOG`, `HUBSIM_STATE` and `HUBSIM_PID`.
    ///
    /// - Parameter environment: The variables.
    /// - Throws: ``ServiceUnavailable`` when one is missing or malformed.
    public init(environment: [String: String]) throws {
        var env = EnvironmentReader(environment)
        url = env.url("HUBSIM_URL")
        log = env.file("HUBSIM_LOG")
        state = env.file("HUBSIM_STATE")
        pid = env.optionalString("HUBSIM_PID").flatMap { Int32($0) }
        if !env.missing.isEmpty {
            throw ServiceUnavailable(service: "hubsim", missing: env.missing)
        }
    }

    /// `url` + `path`, e.g. `endpoint("/v2/repositories/library/nginx/")`.
    ///
    /// - Parameter path: An absolute path, with a query if needed.
    /// - Returns: The URL.
    public func endpoint(_ path: String) -> URL {
        URL(string: url.absoluteString + (path.hasPrefix("/") ? path : "/" + path)) ?? url
    }

    // MARK: Control API

    /// `GET /__sim__/health`.
    ///
    /// - Returns: `{"status":"ok", port, repositories, accounts, …}`.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func health() async throws -> TestJSON {
        try await ControlHTTP.jsonCall("GET", endpoint("/__sim__/health"))
    }

    /// Rebuilds the state from the seed (`POST /__sim__/reset`). This affects every test running now.
    ///
    /// - Parameter keepLog: Whether to keep the request log.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func reset(keepLog: Bool = true) async throws {
        _ = try await ControlHTTP.jsonCall("POST", endpoint("/__sim__/reset"), json: ["keep_log": .bool(keepLog)])
    }

    /// Records a push as the registry would, firing the repository's webhooks (`POST /__sim__/push`).
    ///
    /// - Parameters:
    ///   - repository: `namespace/name`.
    ///   - tag: The tag pushed.
    ///   - pusher: The pushing user.
    ///   - platforms: Platforms such as `linux/amd64`, `linux/arm64/v8`.
    ///   - digest: The manifest digest, if it matters.
    ///   - create: Whether to create an unknown repository.
    ///   - isPrivate: Privacy of a created repository.
    /// - Returns: hubsim's answer.
    /// - Throws: ``ControlError`` (404 for an unknown repository without `create`, 400 for an immutable tag).
    @discardableResult
    public func push(
        repository: String, tag: String, pusher: String? = nil, platforms: [String]? = nil,
        digest: String? = nil, create: Bool = false, isPrivate: Bool? = nil
    ) async throws -> TestJSON {
        var body: [String: TestJSON] = ["repository": .string(repository), "tag": .string(tag)]
        if let pusher { body["pusher"] = .string(pusher) }
        if let platforms { body["platforms"] = .array(platforms.map(TestJSON.string)) }
        if let digest { body["digest"] = .string(digest) }
        if create { body["create"] = true }
        if let isPrivate { body["is_private"] = .bool(isPrivate) }
        return try await ControlHTTP.jsonCall("POST", endpoint("/__sim__/push"), json: .object(body))
    }

    /// The request log (`GET /__sim__/log?format=json`), newest last.
    ///
    /// - Parameter tail: Only the last `tail` entries.
    /// - Returns: The entries.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func requestLog(tail: Int? = nil) async throws -> [TestJSON] {
        let query = tail.map { "?format=json&tail=\($0)" } ?? "?format=json"
        return try await ControlHTTP.jsonCall("GET", endpoint("/__sim__/log" + query)).array ?? []
    }

    /// Logged requests that violated the official spec: a request refused by validation, or a response that did
    /// not match its schema.
    ///
    /// - Returns: The offending log entries.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func specViolations() async throws -> [TestJSON] {
        try await requestLog().filter { entry in
            let validation = entry["validation"] ?? .null
            let problems = entry["response_problems"] ?? .null
            return !(validation.isNull || validation.array?.isEmpty == true || validation.object?.isEmpty == true)
                || !(problems.isNull || problems.array?.isEmpty == true)
        }
    }

    /// Webhook deliveries (`GET /__sim__/deliveries`).
    ///
    /// - Parameter repository: Only this repository's (`namespace/name`).
    /// - Returns: The deliveries.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    public func deliveries(repository: String? = nil) async throws -> [TestJSON] {
        let query = repository.map { "?repository=\($0)" } ?? ""
        return try await listCall("/__sim__/deliveries" + query)
    }

    /// Webhook callbacks received, accepted or not (`GET /__sim__/callbacks`).
    public func callbacks() async throws -> [TestJSON] { try await listCall("/__sim__/callbacks") }

    /// Webhook chain states (`GET /__sim__/chains`).
    public func chains() async throws -> TestJSON { try await ControlHTTP.jsonCall("GET", endpoint("/__sim__/chains")) }

    /// Every build of every repository (`GET /__sim__/builds`).
    public func builds() async throws -> [TestJSON] { try await listCall("/__sim__/builds") }

    /// docker-registry notifications received (`GET /__sim__/registry-events`).
    public func registryEvents() async throws -> [TestJSON] { try await listCall("/__sim__/registry-events") }

    /// The run-time settings (`GET /__sim__/config`).
    public func config() async throws -> TestJSON { try await ControlHTTP.jsonCall("GET", endpoint("/__sim__/config")) }

    /// Changes run-time settings (`POST /__sim__/config`), e.g. `["rate_limit": 5, "build_seconds": 0.5]`.
    ///
    /// - Parameter settings: The keys to change.
    /// - Returns: The settings now in force.
    /// - Throws: ``ControlError`` (a refusal, or no answer).
    @discardableResult
    public func setConfig(_ settings: [String: TestJSON]) async throws -> TestJSON {
        try await ControlHTTP.jsonCall("POST", endpoint("/__sim__/config"), json: .object(settings))
    }

    /// Runs `body` with changed settings, then restores the previous values; holds a process-wide lock.
    ///
    /// - Parameters:
    ///   - settings: The keys to change.
    ///   - body: The test's work.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``ControlError``.
    public func withConfig<T>(_ settings: [String: TestJSON], _ body: () async throws -> T) async throws -> T {
        try await AsyncLock.named(url.absoluteString + "/__sim__/config").withLock {
            let before = try await config()
            var restore: [String: TestJSON] = [:]
            for key in settings.keys { restore[key] = before[key] ?? .null }
            try await setConfig(settings)
            do {
                let value = try await body()
                try await setConfig(restore)
                return value
            } catch {
                _ = try? await setConfig(restore)
                throw error
            }
        }
    }

    /// Logs in through `POST /v2/auth/token` and returns the JWT, for setting up state without the SDK.
    ///
    /// - Parameters:
    ///   - identifier: A username, or an organization for an organization access token.
    ///   - secret: A password, personal access token or organization access token.
    /// - Returns: The access token.
    /// - Throws: ``ControlError`` when hubsim refuses.
    public func accessToken(identifier: String, secret: String) async throws -> String {
        let answer = try await ControlHTTP.jsonCall(
            "POST", endpoint("/v2/auth/token"), json: ["identifier": .string(identifier), "secret": .string(secret)])
        guard let token = answer["access_token"]?.string else {
            throw ControlError(method: "POST", url: endpoint("/v2/auth/token"), status: 200, body: answer.description)
        }
        return token
    }

    private func listCall(_ path: String) async throws -> [TestJSON] {
        let answer = try await ControlHTTP.jsonCall("GET", endpoint(path))
        if let items = answer.array { return items }
        // Some control lists are wrapped in an object; return its first array member.
        for value in answer.object?.values.sorted(by: { $0.description < $1.description }) ?? [] {
            if let items = value.array { return items }
        }
        return []
    }
}

// MARK: - Seeded data (hubsim's seed.json and README)

extension HubSim {
    /// `alice`: individual account; repositories `alice/webapp` (public, webhook `ci`), `alice/private-notes`
    /// (private), `alice/tools` (public, tags v1–v3); six personal access tokens.
    public static let alice = Account(
        username: "alice", password: "alice-password-1",
        personalAccessTokens: [
            "ci-admin": "dckr_pat_a10ab56ce6e3f610e4b1921ba76",
            "ci-write": "dckr_pat_f9a8c76b7afb724de16eda15faf",
            "read-only": "dckr_pat_da6da0ab0bd840449f978a321f2",
            "public-read": "dckr_pat_021de64e59ec7bded3d670959bb",
            "disabled": "dckr_pat_d91ce4b6c8de153e8dc93e0b435",
            "expired": "dckr_pat_8b61594fb15940019592c0ccdb3",
        ])
    /// `bob`: two-factor authentication on (code `424242`); his PAT `bob-cli` skips the second factor.
    public static let bob = Account(
        username: "bob", password: "bob-password-2",
        personalAccessTokens: ["bob-cli": "dckr_pat_3dd59b069e6beabc243c12a1771"], twoFactorCode: "424242")
    /// `carol`: owner of `acme` (team `owners`).
    public static let carol = Account(
        username: "carol", password: "carol-password-3",
        personalAccessTokens: ["carol-admin": "dckr_pat_2847b61e2c82661ba8fb829cd0d"])
    /// `dave`: editor of `acme`, team `developers`.
    public static let dave = Account(
        username: "dave", password: "dave-password-4",
        personalAccessTokens: ["dave-admin": "dckr_pat_7800a2ea57ded0698220d6eb43e"])
    /// `erin`: member of `acme`, team `developers`.
    public static let erin = Account(
        username: "erin", password: "erin-password-5",
        personalAccessTokens: ["erin-admin": "dckr_pat_15df503403fd1fee3a1abbb5386"])
    /// `frank`: member of `acme`, team `qa`.
    public static let frank = Account(username: "frank", password: "frank-password-6", personalAccessTokens: [:])
    /// `grace`: in no organization (for invites and team adds).
    public static let grace = Account(username: "grace", password: "grace-password-7", personalAccessTokens: [:])
    /// `heidi`: in no organization; the dockyard CLI tests add her to `acme` and remove her again.
    public static let heidi = Account(username: "heidi", password: "heidi-password-8", personalAccessTokens: [:])
    /// Every seeded user.
    public static let seededUsers: [Account] = [alice, bob, carol, dave, erin, frank, grace, heidi]

    /// The second-factor code of every 2FA account.
    public static let twoFactorCode = "424242"

    /// The seeded organization and its fixed identifiers.
    public enum Acme {
        /// The organization's name.
        public static let name = "acme"
        /// Its full name.
        public static let fullName = "Acme Corporation"
        /// Team ids (`group_id`): owners.
        public static let ownersTeamID = 100
        /// Team ids: developers (write on `acme/api`).
        public static let developersTeamID = 101
        /// Team ids: qa (read on `acme/api`).
        public static let qaTeamID = 102
        /// The organization access token `acme-ci` (repo-pull, repo-push on `acme/api`).
        public static let accessToken = "dckr_oat_acmeCiToken0000000000000"
        /// The pending invitee.
        public static let pendingInvitee = "henry@example.net"
        /// `acme/api` (private), `acme/website` (public), `acme/internal-tools` (private), `acme/builder` (public,
        /// automated build).
        public static let repositories = ["acme/api", "acme/website", "acme/internal-tools", "acme/builder"]
    }

    /// The automated build of `acme/builder`.
    public enum Builder {
        /// The repository.
        public static let repository = "acme/builder"
        /// Path of the legacy trigger URL (`POST`, no auth, answers `OK`).
        public static let legacyTriggerPath = "/u/acme/builder/trigger/6f1f2c8e-3b4a-4c5d-9e6f-7a8b9c0d1e2f/"
        /// Path of the current trigger URL (`POST`, no auth, answers 202 `{}`).
        public static let triggerPath =
            "/api/build/v1/source/0c4b7f4e-5d2a-4e1b-8f3c-9a7d6e5b4c3a/trigger/a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d/call/"
    }
}
