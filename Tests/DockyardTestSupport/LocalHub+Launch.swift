import Foundation

extension LocalHub {
    /// Settings for a private set of localhub servers (see ``launch(_:_:)``).
    public struct LaunchOptions: Sendable {
        /// Token lifetime in seconds (`--token-lifetime`); localhub's default is 300.
        public var tokenLifetime: Int?
        /// Make the registry reject tokens exactly `tokenLifetime` seconds after issue (`--exact-expiry`).
        public var exactExpiry: Bool
        /// Globs of publicly pullable repositories (`--public`); empty keeps localhub's defaults.
        public var publicRepositories: [String]
        /// A users file; `nil` uses the shared one of the running servers (`$LOCALHUB_USERS`) when there is one.
        public var usersFile: URL?
        /// The initial scenario of both fault proxies.
        public var faultScenario: FaultProxy.Scenario?
        /// Its parameters.
        public var faultParams: [String: TestJSON]
        /// The components to start (`open`, `basic`, `token`, `tls`, `fault`, `fault-token`); empty starts all.
        ///
        /// With a subset, the servers not started are taken from `base` (the shared ones under `scripts/test`), so
        /// a test can own, say, the token service and its registry while using the shared open registry.
        public var components: [String]
        /// Registries already running to put the fault proxies in front of, instead of starting their own:
        /// `open` (behind `fault`) and `token` (behind `fault-token`).
        public var upstreams: [String: URL]
        /// The servers that fill in the components not started; the shared ones (``LocalHub/current``) by default.
        public var base: LocalHub?
        /// Whether the `fault` proxy also listens with TLS (``FaultProxy/tlsURL``, ``FaultProxy/tlsCA``).
        public var faultTLS: Bool = false
        /// Where every started registry posts its notification events (`--notify`): hubsim's
        /// `/__registry__/events` (`hub.endpoint("/__registry__/events")`) turns a push into a Docker Hub tag record and its
        /// webhooks, as on Docker Hub. `nil` sends none.
        public var notify: URL? = nil

        /// Creates options; every default matches `scripts/test`'s servers.
        ///
        /// - Parameters:
        ///   - tokenLifetime: Token lifetime in seconds.
        ///   - exactExpiry: Whether tokens expire exactly at `tokenLifetime`.
        ///   - publicRepositories: Globs of public repositories.
        ///   - usersFile: A users file.
        ///   - faultScenario: The proxies' initial scenario.
        ///   - faultParams: Its parameters.
        public init(
            tokenLifetime: Int? = nil, exactExpiry: Bool = false, publicRepositories: [String] = [],
            usersFile: URL? = nil, faultScenario: FaultProxy.Scenario? = nil, faultParams: [String: TestJSON] = [:],
            components: [String] = [], upstreams: [String: URL] = [:], base: LocalHub? = nil
        ) {
            self.components = components
            self.upstreams = upstreams
            self.base = base
            self.tokenLifetime = tokenLifetime
            self.exactExpiry = exactExpiry
            self.publicRepositories = publicRepositories
            self.usersFile = usersFile
            self.faultScenario = faultScenario
            self.faultParams = faultParams
        }
    }

    /// Starts a private set of localhub servers (every component, ~2–3 s), runs `body`, and stops them.
    ///
    /// Use it when a test needs settings that would disturb other tests on the shared servers, such as a token
    /// lifetime of a few seconds:
    ///
    /// ```swift
    /// try await LocalHub.launch(.init(tokenLifetime: 3, exactExpiry: true)) { hub in … }
    /// ```
    ///
    /// - Parameters:
    ///   - options: The servers' settings.
    ///   - body: The test's work; it receives the private servers.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``ProcessFailure`` when the servers do not start.
    public static func launch<T>(_ options: LaunchOptions = LaunchOptions(), _ body: (LocalHub) async throws -> T) async throws -> T {
        // At most two starts at a time: twenty tests starting servers at once on a 2-core machine slow every other
        // test (and its deadlines) to a crawl. The servers, once up, are not limited.
        let hub = try await launchGate.withPermit { try await start(options) }
        do {
            let value = try await body(hub.hub)
            try await ProcessRunner.check(hub.stop, arguments: ["--state", hub.state.path], timeout: .seconds(60))
            hub.scratch.remove()
            return value
        } catch {
            _ = try? await ProcessRunner.run(hub.stop, arguments: ["--state", hub.state.path], timeout: .seconds(60))
            hub.scratch.remove()
            throw error
        }
    }

    private static let launchGate = AsyncSemaphore(permits: 2)

    private struct Started {
        var hub: LocalHub
        var scratch: TemporaryDirectory
        var state: URL
        var stop: String
    }

    /// Starts the servers, up to three times: the start script picks free ports and then starts the servers on
    /// them, and in a parallel run another test's server can take a port in between (the server then exits during
    /// start-up). Each attempt has a state directory and ports of its own.
    private static func start(_ options: LaunchOptions) async throws -> Started {
        var attempt = 1
        while true {
            do {
                return try await startOnce(options)
            } catch let failure as ProcessFailure where attempt < 3 && failure.result.status == 1 {
                attempt += 1
            }
        }
    }

    private static func startOnce(_ options: LaunchOptions) async throws -> Started {
        let scratch = try TemporaryDirectory(prefix: "localhub")
        let state = scratch.appending("state")
        let start = TestFixtures.localhub.appendingPathComponent("start").path
        let stop = TestFixtures.localhub.appendingPathComponent("stop").path
        var arguments = ["--state", state.path]
        if let lifetime = options.tokenLifetime { arguments += ["--token-lifetime", String(lifetime)] }
        if options.exactExpiry { arguments.append("--exact-expiry") }
        for glob in options.publicRepositories { arguments += ["--public", glob] }
        let users = options.usersFile?.path ?? ProcessInfo.processInfo.environment["LOCALHUB_USERS"]
        if let users, FileManager.default.fileExists(atPath: users) { arguments += ["--users", users] }
        if !options.components.isEmpty { arguments += ["--only", options.components.joined(separator: ",")] }
        for (name, url) in options.upstreams.sorted(by: { $0.key < $1.key }) {
            arguments += ["--upstream", "\(name)=\(url.absoluteString)"]
        }
        if options.faultTLS { arguments.append("--fault-tls") }
        if let notify = options.notify { arguments += ["--notify", notify.absoluteString] }
        if let scenario = options.faultScenario {
            arguments += ["--fault-scenario", scenario.rawValue]
            if !options.faultParams.isEmpty {
                arguments += ["--fault-params", TestJSON.object(options.faultParams).description]
            }
        }
        // Ports and paths come from the env file start writes; its values are shell-quoted, so let bash read it.
        // docker-registry reads REGISTRY_* variables as configuration (REGISTRY_AUTH_FILE, set for skopeo, would
        // break it), so the servers start without them.
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REGISTRY_") }
        let started = try await ProcessRunner.run(
            start, arguments: arguments, environment: environment, inheritEnvironment: false, timeout: .seconds(120),
            startsBackgroundProcesses: true)
        guard started.succeeded else {
            // Whatever did start is stopped, and the state goes with the scratch directory.
            _ = try? await ProcessRunner.run(stop, arguments: ["--state", state.path], timeout: .seconds(60))
            scratch.remove()
            throw ProcessFailure(command: ([start] + arguments).joined(separator: " "), result: started)
        }
        do {
            let dump = try await ProcessRunner.check(
                "bash", arguments: ["-c", "set -a; . \"$1\"; env -0", "read-env", state.appendingPathComponent("env").path])
            // A subset of components is completed by the base servers' variables; ours take precedence.
            let base = options.components.isEmpty ? nil : (options.base ?? LocalHub.current)
            var environment: [String: String] = base?.environment ?? [:]
            for entry in dump.stdout.split(separator: 0) {
                let text = String(decoding: entry, as: UTF8.self)
                guard text.hasPrefix("LOCALHUB_"), let equals = text.firstIndex(of: "=") else { continue }
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            return Started(hub: try LocalHub(environment: environment), scratch: scratch, state: state, stop: stop)
        } catch {
            _ = try? await ProcessRunner.run(stop, arguments: ["--state", state.path], timeout: .seconds(60))
            throw error
        }
    }
}
