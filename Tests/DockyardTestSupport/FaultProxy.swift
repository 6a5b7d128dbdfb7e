import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// localhub's fault-injecting reverse proxy (`faultproxy.py`) in front of one registry.
///
/// A scenario applies to every request through the proxy, so tests that set one must not overlap:
/// use ``withScenario(_:params:_:)``, which holds a process-wide lock for this proxy, sets the scenario,
/// runs the test's body and puts the proxy back to `none`. A test that only needs a clean pass-through
/// should hold the same lock with `withScenario(.none) { … }`.
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
        /// Of those, the ones that carried an `Authorization` header (a leaked credential).
        public var cdnRequestsWithAuthorization: Int
        /// Requests the CDN refused because they carried `Authorization` (`reject_auth`).
        public var cdnRejected: Int
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
            cdnRequestsWithAuthorization = json["cdn"]?["with_authorization"]?.int ?? 0
            cdnRejected = json["cdn"]?["rejected"]?.int ?? 0
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

        enum CodingKeys: String, CodingKey {
            case ts, listener, event, method, path, status, bytes, scenario, fault, range, authorization, location
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

    /// Sets `scenario`, runs `body`, and sets `none` again, holding this proxy's process-wide lock throughout.
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

    /// The current end of the request log, to read only later lines with ``requests(since:)``.
    public func logMark() -> JSONLines.Mark { JSONLines.mark(log) }

    /// The request log's lines written after `mark` (control events included; filter on ``LogEntry/event``).
    ///
    /// The proxy writes a request's line only after it has sent the response, so a client can see the response
    /// before the line exists. This call therefore first waits until the log has not grown for 250 ms (at most
    /// 3 s). To wait for a specific entry instead, use ``waitForRequests(since:timeout:until:)``.
    ///
    /// - Parameter mark: Where to start; the beginning by default.
    /// - Returns: The entries, oldest first.
    /// - Throws: An error when the log cannot be read.
    public func requests(since mark: JSONLines.Mark = .start) throws -> [LogEntry] {
        waitForQuietLog()
        return try JSONLines.read(log, as: LogEntry.self, since: mark)
    }

    /// Waits until the entries logged after `mark` satisfy `condition` (or `timeout` passes) and returns them.
    ///
    /// - Parameters:
    ///   - mark: Where to start.
    ///   - timeout: How long to wait at most; the entries found by then are returned.
    ///   - condition: What the entries must show, e.g. `{ $0.contains { $0.method == "PUT" } }`.
    /// - Returns: The entries, oldest first.
    /// - Throws: An error when the log cannot be read.
    public func waitForRequests(
        since mark: JSONLines.Mark = .start, timeout: Duration = .seconds(5),
        until condition: ([LogEntry]) -> Bool
    ) async throws -> [LogEntry] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let entries = try JSONLines.read(log, as: LogEntry.self, since: mark)
            if condition(entries) || ContinuousClock.now >= deadline { return entries }
            try await Task.sleep(for: .milliseconds(25))
        }
    }

    /// Blocks until the log file has kept its size for 250 ms, or 3 s have passed.
    private func waitForQuietLog() {
        let start = ContinuousClock.now
        var size = JSONLines.mark(log).offset
        var quietSince = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(3) {
            usleep(25_000)
            let now = JSONLines.mark(log).offset
            if now != size {
                size = now
                quietSince = ContinuousClock.now
            } else if ContinuousClock.now - quietSince >= .milliseconds(250) {
                return
            }
        }
    }
}
