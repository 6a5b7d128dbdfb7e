import Foundation

/// The localhub servers: real `docker-registry` instances (open, Basic auth, token auth, TLS), the Docker Hub
/// token service emulation, and two fault-injecting proxies, as described by the `LOCALHUB_*` environment.
///
/// `scripts/test` starts them and exports the environment; a test reads it with ``current`` or ``required()``:
///
/// ```swift
/// @Test(.requiresLocalHub) func pingOpenRegistry() async throws {
///     let hub = try LocalHub.required()
///     let response = try await ControlHTTP.get(hub.open.url.appendingPathComponent("v2/"))
///     #expect(response.status == 200)
/// }
/// ```
///
/// Every instance shares one users file with hubsim: hubsim's seeded accounts (alice, bob, …) plus `admin`.
public struct LocalHub: Sendable {
    /// A username with its password and, when it has one, its personal access token.
    public struct Account: Sendable, Hashable {
        /// The username.
        public var username: String
        /// The password.
        public var password: String
        /// The personal access token (accepted by the token service in place of the password).
        public var personalAccessToken: String?

        /// Creates an account value.
        ///
        /// - Parameters:
        ///   - username: The username.
        ///   - password: The password.
        ///   - personalAccessToken: The personal access token, if any.
        public init(username: String, password: String, personalAccessToken: String? = nil) {
            self.username = username
            self.password = password
            self.personalAccessToken = personalAccessToken
        }
    }

    /// One registry endpoint.
    public struct Registry: Sendable, Hashable {
        /// The base URL, e.g. `http://127.0.0.1:5000` (no trailing slash, no `/v2/`).
        public var url: URL
        /// `host:port`, the registry part of image references, e.g. `127.0.0.1:5000`.
        public var host: String

        /// Creates an endpoint.
        ///
        /// - Parameters:
        ///   - url: The base URL.
        ///   - host: `host:port`.
        public init(url: URL, host: String) {
            self.url = url
            self.host = host
        }

        /// `<host>/<path>[:tag]`, a reference to an image in this registry.
        ///
        /// - Parameters:
        ///   - path: The repository path, e.g. `alice/app`.
        ///   - tag: A tag, if any.
        /// - Returns: The reference string.
        public func reference(_ path: String, tag: String? = nil) -> String {
            tag.map { "\(host)/\(path):\($0)" } ?? "\(host)/\(path)"
        }

        /// The URL of `path` under `/v2/`, e.g. `v2("alice/app/tags/list")`.
        ///
        /// - Parameter path: The path after `/v2/`; empty for the ping endpoint.
        /// - Returns: The URL.
        public func v2(_ path: String = "") -> URL {
            url.appendingPathComponent("v2/" + path)
        }
    }

    /// The state directory (storage, keys, logs, pids).
    public var state: URL
    /// The directory of the localhub scripts that started these servers.
    public var home: URL?
    /// The `docker-registry` version, e.g. `2.8.2+ds1`.
    public var registryVersion: String?
    /// The users file (`username:password[:personal_access_token]` lines).
    public var usersFile: URL
    /// The first non-admin user (`alice` under scripts/test). It may push to `alice/*`.
    public var user: Account
    /// The second non-admin user (`bob` under scripts/test).
    public var user2: Account
    /// The admin: every action on every repository, and the catalog.
    public var admin: Account

    /// The anonymous, plain-HTTP registry.
    public var open: Registry
    /// The registry behind HTTP Basic auth (htpasswd).
    public var basic: Registry
    /// The account for ``basic`` (the first user).
    public var basicAccount: Account
    /// The Basic realm, `localhub-basic`.
    public var basicRealm: String
    /// The htpasswd file made from the users file.
    public var htpasswd: URL
    /// The registry behind Bearer token auth, like `registry-1.docker.io`.
    public var token: Registry
    /// The token service in front of ``token``, like `auth.docker.io`.
    public var tokenServer: TokenServer
    /// The HTTPS registry whose certificate comes from a private CA.
    public var tls: Registry
    /// The CA certificate (PEM) that signed ``tls``'s certificate.
    public var tlsCA: URL
    /// A directory holding `ca.crt`, for `skopeo --dest-cert-dir` (docker's `certs.d` layout).
    public var tlsCertDirectory: URL
    /// The fault-injecting proxy in front of ``open``.
    public var fault: FaultProxy
    /// The fault-injecting proxy in front of ``token`` (the realm still points at the token service).
    public var faultToken: FaultProxy
    /// The `LOCALHUB_*` variables this value was read from.
    public var environment: [String: String]

    /// The servers described by this process's environment, or `nil` when they are not running.
    ///
    /// Inside a test or suite that has servers of its own (``Testing/Trait/privateFaultProxies``,
    /// ``Testing/Trait/privateLocalHub(_:)``), those are returned instead.
    public static var current: LocalHub? {
        if let scoped { return scoped }
        return try? LocalHub(environment: ProcessInfo.processInfo.environment)
    }

    /// The servers of the running test's own, set by the private-server traits.
    @TaskLocal public static var scoped: LocalHub?

    /// The servers described by this process's environment.
    ///
    /// Call it first in a test marked ``Testing/Trait/requiresLocalHub``: when `scripts/test` runs the tests
    /// (`DOCKYARD_REQUIRE_SERVICES=1`) and the servers are missing, the test fails here instead of skipping.
    ///
    /// - Returns: The servers.
    /// - Throws: ``ServiceUnavailable`` naming the missing variables.
    public static func required() throws -> LocalHub {
        if let scoped { return scoped }
        return try LocalHub(environment: ProcessInfo.processInfo.environment)
    }

    /// Reads the servers from `LOCALHUB_*` variables, as printed by localhub's `start`.
    ///
    /// - Parameter environment: The variables.
    /// - Throws: ``ServiceUnavailable`` when a variable is missing or malformed.
    public init(environment: [String: String]) throws {
        var env = EnvironmentReader(environment)
        state = env.file("LOCALHUB_STATE")
        home = env.optionalString("LOCALHUB_HOME").map { URL(fileURLWithPath: $0) }
        registryVersion = env.optionalString("LOCALHUB_REGISTRY_VERSION")
        usersFile = env.file("LOCALHUB_USERS")
        user = Account(
            username: env.string("LOCALHUB_USER"), password: env.string("LOCALHUB_PASS"),
            personalAccessToken: env.optionalString("LOCALHUB_PAT"))
        user2 = Account(username: env.string("LOCALHUB_USER2"), password: env.string("LOCALHUB_PASS2"))
        admin = Account(username: env.string("LOCALHUB_ADMIN_USER"), password: env.string("LOCALHUB_ADMIN_PASS"))
        open = Registry(url: env.url("LOCALHUB_OPEN_URL"), host: env.string("LOCALHUB_OPEN_HOST"))
        basic = Registry(url: env.url("LOCALHUB_BASIC_URL"), host: env.string("LOCALHUB_BASIC_HOST"))
        basicAccount = Account(username: env.string("LOCALHUB_BASIC_USER"), password: env.string("LOCALHUB_BASIC_PASS"))
        basicRealm = env.string("LOCALHUB_BASIC_REALM")
        htpasswd = env.file("LOCALHUB_HTPASSWD")
        token = Registry(url: env.url("LOCALHUB_TOKEN_URL"), host: env.string("LOCALHUB_TOKEN_HOST"))
        tokenServer = TokenServer(
            realm: env.url("LOCALHUB_TOKEN_REALM"),
            service: env.string("LOCALHUB_TOKEN_SERVICE"),
            issuer: env.string("LOCALHUB_TOKEN_ISSUER"),
            lifetime: env.int("LOCALHUB_TOKEN_LIFETIME"),
            exactExpiry: env.optionalString("LOCALHUB_TOKEN_EXACT_EXPIRY") == "1",
            log: env.file("LOCALHUB_TOKEN_LOG"),
            control: env.url("LOCALHUB_TOKEN_CONTROL"),
            rootCertificate: env.file("LOCALHUB_TOKEN_CA"),
            publicRepositories: (env.optionalString("LOCALHUB_PUBLIC_REPOS") ?? "library/* */public-*")
                .split(separator: " ").map(String.init))
        tls = Registry(url: env.url("LOCALHUB_TLS_URL"), host: env.string("LOCALHUB_TLS_HOST"))
        tlsCA = env.file("LOCALHUB_TLS_CA")
        tlsCertDirectory = env.file("LOCALHUB_TLS_CERT_DIR")
        var fault = FaultProxy(
            name: "fault",
            url: env.url("LOCALHUB_FAULT_URL"), host: env.string("LOCALHUB_FAULT_HOST"),
            control: env.url("LOCALHUB_FAULT_CONTROL"), log: env.file("LOCALHUB_FAULT_LOG"),
            cdnURL: env.url("LOCALHUB_FAULT_CDN_URL"))
        fault.tlsURL = env.optionalString("LOCALHUB_FAULT_TLS_URL").flatMap { URL(string: $0) }
        fault.tlsCA = env.optionalString("LOCALHUB_FAULT_TLS_CA").map { URL(fileURLWithPath: $0) }
        self.fault = fault
        faultToken = FaultProxy(
            name: "fault-token",
            url: env.url("LOCALHUB_FAULT_TOKEN_URL"), host: env.string("LOCALHUB_FAULT_TOKEN_HOST"),
            control: env.url("LOCALHUB_FAULT_TOKEN_CONTROL"), log: env.file("LOCALHUB_FAULT_TOKEN_LOG"),
            cdnURL: env.url("LOCALHUB_FAULT_TOKEN_CDN_URL"))
        self.environment = environment.filter { $0.key.hasPrefix("LOCALHUB_") }
        if !env.missing.isEmpty {
            throw ServiceUnavailable(service: "localhub", missing: env.missing)
        }
    }

    /// Every registry with a short name: `open`, `basic`, `token`, `tls`, `fault`, `fault-token`.
    public var registries: [(name: String, registry: Registry)] {
        [("open", open), ("basic", basic), ("token", token), ("tls", tls),
         ("fault", fault.registry), ("fault-token", faultToken.registry)]
    }
}
