import Foundation

/// localhub's fault-injecting reverse proxy (`faultproxy.py`) in front of one registry.
///
/// A scenario applies to every request through the proxy and its log and counters are global, so a test that
/// sets a scenario or reads the log uses proxies of its own: mark the test or suite
/// ``Testing/Trait/privateFaultProxies`` (or call ``LocalHub/withPrivateFaultProxies(_:)``), and `hub.fault` and
/// `hub.faultToken` are the test's own. ``withScenario(_:params:_:)`` sets a scenario for a part of the test and
/// puts `none` back afterwards.
public struct FaultProxy: Sendable {
    /// A fault scenario name, as `faultproxy.py` knows them.
    public struct Scenario: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        /// The name sent to the control endpoint.
        public var rawValue: String
        /// Creates a scenario from its name.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// Creates a scenario from its name.
        public init(stringLiteral value: String) { self.rawValue = value }
        /// The name.
        public var description: String { rawValue }

        /// Plain pass-through.
        public static let none: Scenario = "none"
        /// Sends `after_bytes` bytes of a blob, then resets the connection (`how`: `rst` or `close`).
        public static let resetMidBlob: Scenario = "reset-mid-blob"
        /// Answers matching requests itself with `status` (429 adds `Retry-After` and rate-limit headers).
        public static let status: Scenario = "status"
        /// Flips one byte of a blob at `offset`.
        public static let corruptBlob: Scenario = "corrupt-blob"
        /// Sends `bytes` bytes, fewer than `Content-Length`, then closes.
        public static let truncate: Scenario = "truncate"
        /// Throttles bodies to `rate` bytes per second.
        public static let slow: Scenario = "slow"
        /// Redirects blob GETs to the "CDN" listener on another host, which records `Authorization` headers.
        public static let redirectBlobs: Scenario = "redirect-blobs"
        /// Forwards `after_bytes` of a request body (by default a blob upload's `PATCH` or `PUT`) to the registry,
        /// then ends both connections: the registry sees the body end early, the client a reset (`how`: `rst` or
        /// `close`).
        public static let cutRequestBody: Scenario = "cut-request-body"
        /// Rewrites the origin of the registry's `Location` header (by default on upload answers) to `origin`.
        public static let moveLocation: Scenario = "move-location"
        /// Drops `Range` from blob `GET`s so that the registry answers `200` with the whole blob; `cut_first_after`
        /// also cuts the first body after that many bytes.
        public static let ignoreRange: Scenario = "ignore-range"
        /// Appends `extra` bytes to blob bodies answered `200` (and raises `Content-Length` to match).
        public static let growBlob: Scenario = "grow-blob"
        /// Answers matching requests (`GET` by default) with a redirect to this proxy: a chain of `hops` redirects
        /// that add `?hop=N` (then the registry's answer), a `loop` between two URLs, a `relative` Location, or a
        /// `location` template (`{path}`, `{hop}`).
        public static let redirect: Scenario = "redirect"
        /// Reads a matching request, then ends the connection without an answer (`how`: `rst` or `close`).
        public static let dropConnection: Scenario = "drop-connection"
        /// Rewrites the `Range` of a matching upload answer (`PATCH` 202) to end `by` bytes earlier than the
        /// registry said, so that the client's next chunk starts at an offset the registry is already past.
        public static let understateRange: Scenario = "understate-range"
        /// Removes the query parameter `name` (`artifactType` by default) from matching requests (referrers `GET`s)
        /// before they reach the registry, as a registry that ignores the parameter would.
        public static let dropQuery: Scenario = "drop-query"
    }

    /// The proxy's counters, from `GET` on its control endpoint.
    public struct State: Sendable {
        /// The scenario in force.
        public var scenario: String
        /// Its parameters.
        public var params: TestJSON
        /// Requests seen since the proxy started.
        public var requests: Int
        /// Events that matched the scenario since it was set.
        public var matched: Int
        /// Faults injected since the scenario was set.
        public var injected: Int
        /// Requests that reached the "CDN" listener since the scenario was set.
        public var cdnRequests: Int
        /// Requests that reached the "CDN" listener since the proxy started.
        public var cdnTotal: Int
        /// Of those, the ones that carried an `Authorization` header (a leaked credential).
        public var cdnRequestsWithAuthorization: Int
        /// Requests the CDN refused because they carried `Authorization` (`reject_auth`).
        public var cdnRejected: Int
        /// Blob `GET`s being answered now.
        public var blobGetsInFlight: Int
        /// The most blob `GET`s answered at once since the scenario was set: the client's download concurrency.
        public var blobGetsInFlightMax: Int
        /// The whole answer.
        public var raw: TestJSON

        init(_ json: TestJSON) {
            raw = json
            scenario = json["scenario"]?.string ?? ""
            params = json["params"] ?? .null
            requests = json["requests"]?.int ?? 0
            matched = json["matched"]?.int ?? 0
            injected = json["injected"]?.int ?? 0
            cdnRequests = json["cdn"]?["requests"]?.int ?? 0
            cdnTotal = json["cdn_total"]?.int ?? 0
            cdnRequestsWithAuthorization = json["cdn"]?["with_authorization"]?.int ?? 0
            cdnRejected = json["cdn"]?["rejected"]?.int ?? 0
            blobGetsInFlight = json["blob_gets_in_flight"]?.int ?? 0
            blobGetsInFlightMax = json["blob_gets_in_flight_max"]?.int ?? 0
        }
    }

    /// One line of the proxy's request log.
    public struct LogEntry: Sendable, Decodable {
        /// Unix time.
        public var ts: Double?
        /// `proxy` or `cdn`; `nil` for control events.
        public var listener: String?
        /// `control` for a scenario change; `nil` for requests.
        public var event: String?
        /// The HTTP method.
        public var method: String?
        /// The path, with the query.
        public var path: String?
        /// The status sent.
        public var status: Int?
        /// Body bytes sent.
        public var bytes: Int?
        /// The scenario in force.
        public var scenario: String?
        /// The fault injected, if any.
        public var fault: String?
        /// The `Range` header of the request.
        public var range: String?
        /// The `Content-Range` header of the request (upload chunks).
        public var contentRange: String?
        /// Whether the request carried `Authorization`.
        public var authorization: Bool?
        /// Its scheme (`Bearer`, `Basic`).
        public var authScheme: String?
        /// The `jti` of the Bearer token sent.
        public var tokenJti: String?
        /// The `sub` of the Bearer token sent.
        public var tokenSub: String?
        /// The `Location` sent (redirects).
        public var location: String?
        /// Request body bytes read from the client (forwarded, or read and dropped by a fault); for
        /// `cut-request-body`, the bytes forwarded before the cut.
        public var requestBytes: Int?
        /// The SHA-256 (`sha256:…`) of the request body as the proxy read it.
        public var requestSHA256: String?
        /// The `Range` header of the registry's answer (upload offsets).
        public var responseRange: String?
        /// Details of the fault injected, e.g. `"Range 0-131071 sent as 0-65535"`.
        public var detail: String?
        /// Why the exchange ended early, when it did (e.g. the client went away).
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case ts, listener, event, method, path, status, bytes, scenario, fault, range, authorization, location, error
            case detail
            case requestBytes = "request_bytes"
            case requestSHA256 = "request_sha256"
            case responseRange = "response_range"
            case contentRange = "content_range"
            case authScheme = "auth_scheme"
            case tokenJti = "token_jti"
            case tokenSub = "token_sub"
        }
    }

    /// `fault` or `fault-token`.
    public var name: String
    /// The proxy's base URL; use it as a registry URL.
    public var url: URL
    /// `host:port` of the proxy.
    public var host: String
    /// The control endpoint (`.../__fault__`).
    public var control: URL
    /// The JSON-lines request log.
    public var log: URL
    /// The "CDN" listener that `redirect-blobs` sends clients to.
    public var cdnURL: URL
    /// The proxy's TLS listener (same scenario, counters and log), when it was started with one
    /// (``LocalHub/LaunchOptions/faultTLS``).
    public var tlsURL: URL? = nil
    /// The CA certificate (PEM) that signed the TLS listener's certificate.
    public var tlsCA: URL? = nil

    /// The proxy as a registry endpoint.
    public var registry: LocalHub.Registry { LocalHub.Registry(url: url, host: host) }

    /// Replaces the scenario (and resets `matched`, `injected` and the CDN counters).
    ///
    /// Prefer ``withScenario(_:params:_:)`` in tests, which keeps other tests off the proxy meanwhile.
    ///
    /// - Parameters:
    ///   - scenario: The scenario.
    ///   - params: Its parameters, e.g. `["after_bytes": 65536]`, plus the common `path`, `method`, `skip`, `times`.
    /// - Returns: The proxy's answer.
    /// - Throws: ``ControlError`` for an unknown scenario or parameter.
    @discardableResult
    public func set(scenario: Scenario, params: [String: TestJSON] = [:]) async throws -> TestJSON {
        var body = params
        body["scenario"] = .string(scenario.rawValue)
        return try await ControlHTTP.jsonCall("POST", control, json: .object(body))
    }

    /// The scenario in force and the counters.
    ///
    /// - Returns: The state.
    /// - Throws: ``ControlError`` when the proxy does not answer.
    public func state() async throws -> State {
        State(try await ControlHTTP.jsonCall("GET", control))
    }

    /// Sets `scenario`, runs `body`, and sets `none` again.
    ///
    /// Use it on a proxy of the test's own (``Testing/Trait/privateFaultProxies``): the scenario applies to every
    /// request through the proxy. Calls on one proxy take turns (a lock per proxy), so parts of a test that run
    /// concurrently cannot overlap their scenarios.
    ///
    /// - Parameters:
    ///   - scenario: The scenario.
    ///   - params: Its parameters.
    ///   - body: The test's work; it receives the proxy.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``ControlError`` when the scenario is refused.
    public func withScenario<T>(
        _ scenario: Scenario,
        params: [String: TestJSON] = [:],
        _ body: (FaultProxy) async throws -> T
    ) async throws -> T {
        try await AsyncLock.named(control.absoluteString).withLock {
            try await set(scenario: scenario, params: params)
            do {
                let value = try await body(self)
                try await set(scenario: .none)
                return value
            } catch {
                _ = try? await set(scenario: .none)
                throw error
            }
        }
    }

    /// The current end of the request log, to read only later lines with ``requests(since:timeout:)``.
    public func logMark() -> JSONLines.Mark { JSONLines.mark(log) }

    /// The request log's lines written after `mark`, once every request the proxy has received so far is logged.
    ///
    /// The proxy counts a request when it arrives and writes its one line when the exchange is over, so a client
    /// can see a response before its line exists. This call asks the proxy how many requests it has counted and
    /// waits until the log holds that many: call it after the client's requests are done, and it returns all of
    /// them.
    ///
    /// - Parameters:
    ///   - mark: Where to start; the beginning by default.
    ///   - timeout: How long to wait for the log to catch up.
    /// - Returns: The entries (control events included; filter on ``LogEntry/event``), oldest first.
    /// - Throws: ``LogWaitTimeout`` when the lines do not appear in time, or an error reading the log.
    public func requests(since mark: JSONLines.Mark = .start, timeout: Duration = .seconds(20)) async throws -> [LogEntry] {
        let counted = try await state()
        let deadline = ContinuousClock.now + timeout
        while true {
            let all = try JSONLines.read(log, as: LogEntry.self, since: .start)
            let proxied = all.count { $0.listener == "proxy" }
            let cdn = all.count { $0.listener == "cdn" }
            if proxied >= counted.requests && cdn >= counted.cdnTotal {
                return try JSONLines.read(log, as: LogEntry.self, since: mark)
            }
            guard ContinuousClock.now < deadline else {
                throw LogWaitTimeout(
                    log: log,
                    expected: "\(counted.requests) proxy and \(counted.cdnTotal) CDN lines",
                    found: "\(proxied) proxy and \(cdn) CDN lines")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until the entries logged after `mark` satisfy `condition`, and returns them.
    ///
    /// - Parameters:
    ///   - mark: Where to start.
    ///   - timeout: How long to wait at most.
    ///   - expectation: What is awaited, for the error message, e.g. `"two GETs of the layer"`.
    ///   - condition: What the entries must show, e.g. `{ $0.count { $0.method == "PUT" } == 2 }`.
    /// - Returns: The entries, oldest first.
    /// - Throws: ``LogWaitTimeout`` (with the entries seen) when the deadline passes first.
    public func waitForRequests(
        since mark: JSONLines.Mark = .start, timeout: Duration = .seconds(20), expecting expectation: String = "a matching entry",
        until condition: ([LogEntry]) -> Bool
    ) async throws -> [LogEntry] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let entries = try JSONLines.read(log, as: LogEntry.self, since: mark)
            if condition(entries) { return entries }
            guard ContinuousClock.now < deadline else {
                throw LogWaitTimeout(
                    log: log, expected: expectation,
                    found: entries.map { "\($0.method ?? $0.event ?? "?") \($0.path ?? "") \($0.status.map(String.init) ?? "-")" }
                        .joined(separator: "; "))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A server log did not show what a test waited for before the deadline.
public struct LogWaitTimeout: Error, CustomStringConvertible {
    /// The log file.
    public var log: URL
    /// What was awaited.
    public var expected: String
    /// What the log held at the deadline.
    public var found: String

    /// What was awaited and what was found.
    public var description: String {
        "\(log.path) did not show \(expected) in time; it holds: \(found.prefix(2000))"
    }
}
