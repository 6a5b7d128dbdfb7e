import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hubsim of one test's own, started from the project's fixture (`Fixtures/hubsim/start`) in a temporary state
/// directory, for settings, restarts and public URLs that would disturb the shared one (``HubSim/required()``).
///
/// ```swift
/// try await PrivateHubSim.with(arguments: ["--build-seconds", "0.2"]) { hub in
///     try await hub.setConfig(["token_ttl": 5])   // only this test's hubsim
/// }
/// ```
///
/// Starting one takes about a second. It has hubsim's seeded accounts (``HubSim/alice`` and the others), its own
/// request log (``HubSim/requestLog(tail:)`` lists only this test's traffic) and its own signing key.
public struct PrivateHubSim: Sendable {
    /// The running server, as the shared one is described.
    public let hub: HubSim
    private let scratch: TemporaryDirectory

    /// Starts a hubsim.
    ///
    /// - Parameters:
    ///   - port: The port to listen on; a free one when `nil`.
    ///   - arguments: Extra `hubsim.py serve` options, e.g. `["--public-url", "http://127.0.0.1:9"]` or
    ///     `["--token-ttl", "0"]`.
    /// - Returns: The server; call ``stop()`` when done (or use ``with(arguments:_:)``).
    /// - Throws: ``PrivateHubSimFailure`` when it does not start, or ``ProcessRunnerError``.
    public static func start(port: Int? = nil, arguments: [String] = []) async throws -> PrivateHubSim {
        let scratch = try TemporaryDirectory(prefix: "hubsim")
        var all = ["--state-dir", scratch.url.path]
        if let port { all += ["--port", String(port)] }
        all += arguments
        let result = try await ProcessRunner.run(
            TestFixtures.hubsim.appendingPathComponent("start").path, arguments: all, timeout: .seconds(60),
            startsBackgroundProcesses: true)
        guard result.succeeded else {
            scratch.remove()
            throw PrivateHubSimFailure(description: "hubsim did not start: \(result.stderrText)")
        }
        var environment: [String: String] = [:]
        for line in result.stdoutLines where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count)
            guard let equals = pair.firstIndex(of: "=") else { continue }
            environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        do {
            return PrivateHubSim(hub: try HubSim(environment: environment), scratch: scratch)
        } catch {
            _ = try? await ProcessRunner.run(TestFixtures.hubsim.appendingPathComponent("stop").path, arguments: [scratch.url.path])
            scratch.remove()
            throw error
        }
    }

    /// Stops the server (`Fixtures/hubsim/stop`, by the pid in its state directory) and removes its state.
    public func stop() async {
        _ = try? await ProcessRunner.run(
            TestFixtures.hubsim.appendingPathComponent("stop").path, arguments: [scratch.url.path], timeout: .seconds(60))
        scratch.remove()
    }

    /// Runs `body` with a hubsim of its own, stopped on every path.
    ///
    /// - Parameters:
    ///   - arguments: Extra `hubsim.py serve` options.
    ///   - body: The test's work; it receives the server.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or why the server did not start.
    public static func with<T>(arguments: [String] = [], _ body: (HubSim) async throws -> T) async throws -> T {
        let sim = try await start(arguments: arguments)
        do {
            let value = try await body(sim.hub)
            await sim.stop()
            return value
        } catch {
            await sim.stop()
            throw error
        }
    }

    /// Runs `body` with a hubsim of its own and a `restart` that stops it and starts a new process on the same port
    /// with the given extra options.
    ///
    /// The new process has a new signing key: every session token issued before is refused with `401`, while
    /// logins still work, as when the Hub revokes a session. Its state and request log start afresh.
    ///
    /// - Parameters:
    ///   - arguments: Extra `hubsim.py serve` options of the first server.
    ///   - body: The test's work; it receives the first server and `restart`, which returns the new one.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or why a server did not start (the port may have been taken meanwhile).
    public static func withRestart<T>(
        arguments: [String] = [],
        _ body: (HubSim, _ restart: ([String]) async throws -> HubSim) async throws -> T
    ) async throws -> T {
        let running = Running(try await start(arguments: arguments))
        do {
            let first = await running.current.hub
            guard let port = first.url.port else {
                throw PrivateHubSimFailure(description: "hubsim's URL has no port: \(first.url)")
            }
            let value = try await body(first) { arguments in
                await running.current.stop()
                let next = try await start(port: port, arguments: arguments)
                await running.replace(next)
                return next.hub
            }
            await running.current.stop()
            return value
        } catch {
            await running.current.stop()
            throw error
        }
    }

    private actor Running {
        var current: PrivateHubSim
        init(_ sim: PrivateHubSim) { current = sim }
        func replace(_ sim: PrivateHubSim) { current = sim }
    }
}

/// The project's fault proxy (`Fixtures/localhub/faultproxy.py`) run by a test in front of a hubsim.
///
/// localhub's `start` only puts the proxy in front of registries (it waits for `/v2/` to answer 200), so this starts
/// the script directly, as a daemon with default signal handling (a child of the test process would inherit its
/// blocked signals and ignore `SIGTERM`). Scenarios are set with ``set(_:)`` (`POST /__fault__`); the proxy's `path`
/// and `method` parameters select the Hub API requests to fail.
public struct HubFaultProxy: Sendable {
    /// The proxy's base URL: give it to a `HubClient` instead of the hubsim's.
    public let url: URL
    private let pid: Int32
    private let scratch: TemporaryDirectory

    /// Runs `body` with a proxy of its own in front of `upstream`, stopped on every path.
    ///
    /// - Parameters:
    ///   - upstream: The hubsim's base URL.
    ///   - body: The test's work; it receives the proxy.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or ``PrivateHubSimFailure`` when the proxy does not start.
    public static func with<T>(upstream: URL, _ body: (HubFaultProxy) async throws -> T) async throws -> T {
        let proxy = try await start(upstream: upstream)
        do {
            let value = try await body(proxy)
            await proxy.stop()
            return value
        } catch {
            await proxy.stop()
            throw error
        }
    }

    /// Starts a proxy in front of `upstream`; call ``stop()`` when done.
    ///
    /// - Parameter upstream: The hubsim's base URL.
    /// - Returns: The proxy.
    /// - Throws: ``PrivateHubSimFailure`` when it does not start.
    public static func start(upstream: URL) async throws -> HubFaultProxy {
        let scratch = try TemporaryDirectory(prefix: "hub-fault")
        let portFile = scratch.appending("port")
        let script = TestFixtures.localhub.appendingPathComponent("faultproxy.py").path
        // `sh` starts the proxy in the background and prints its pid; the proxy outlives it.
        let result = try await ProcessRunner.run(
            "/bin/sh",
            arguments: [
                "-c", #"python3 -S "$@" </dev/null >"$0" 2>&1 & echo $!"#, scratch.appending("proxy.out").path,
                script, "--listen", "127.0.0.1:0", "--cdn-listen", "127.0.0.2:0", "--upstream", upstream.absoluteString,
                "--port-file", portFile.path, "--log", scratch.appending("requests.jsonl").path,
            ],
            timeout: .seconds(30), startsBackgroundProcesses: true)
        guard result.succeeded, let pid = result.stdoutLines.first.flatMap({ Int32($0.trimmingCharacters(in: .whitespaces)) }) else {
            scratch.remove()
            throw PrivateHubSimFailure(description: "the fault proxy in front of \(upstream) did not start: \(result.stderrText)")
        }
        var port: Int?
        do {
            try await Waiting.until("the fault proxy's port file") {
                port = (try? String(contentsOf: portFile, encoding: .utf8))?.split(separator: " ").first.flatMap { Int($0) }
                return port != nil || !isRunning(pid)
            }
        } catch {
            await stop(pid)
            scratch.remove()
            throw error
        }
        guard let port, let url = URL(string: "http://127.0.0.1:\(port)") else {
            let output = (try? String(contentsOf: scratch.appending("proxy.out"), encoding: .utf8)) ?? ""
            await stop(pid)
            scratch.remove()
            throw PrivateHubSimFailure(description: "the fault proxy in front of \(upstream) did not start: \(output)")
        }
        return HubFaultProxy(url: url, pid: pid, scratch: scratch)
    }

    /// Sets the scenario (`POST /__fault__`), which restarts the counters, e.g.
    /// `["scenario": "status", "status": 503, "path": "^/v2/user/?$", "times": 2]`.
    ///
    /// - Parameter scenario: The scenario's name and parameters.
    /// - Throws: ``ControlError`` when the proxy refuses it.
    public func set(_ scenario: [String: TestJSON]) async throws {
        _ = try await ControlHTTP.jsonCall("POST", url.appendingPathComponent("__fault__"), json: .object(scenario))
    }

    /// How many faults the scenario injected so far (`GET /__fault__`).
    ///
    /// - Returns: The count.
    /// - Throws: ``ControlError`` (no answer).
    public func injected() async throws -> Int? {
        try await ControlHTTP.jsonCall("GET", url.appendingPathComponent("__fault__"))["injected"]?.int
    }

    /// Stops the proxy (its own pid only: `SIGTERM`, then `SIGKILL` after 5 s) and removes its files.
    public func stop() async {
        await Self.stop(pid)
        scratch.remove()
    }

    /// Whether `pid` is still this proxy (pids are reused, so the command line is checked).
    private static func isRunning(_ pid: Int32) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data, as: UTF8.self).contains("faultproxy.py")
    }

    private static func stop(_ pid: Int32) async {
        guard isRunning(pid) else { return }
        kill(pid, SIGTERM)
        if (try? await Waiting.until("the fault proxy (pid \(pid)) to exit", timeout: .seconds(5), { !isRunning(pid) })) == nil,
            isRunning(pid)
        {
            kill(pid, SIGKILL)
        }
    }
}

/// A private hubsim or its fault proxy did not start.
public struct PrivateHubSimFailure: Error, CustomStringConvertible {
    /// What went wrong, with the server's output when there is some.
    public var description: String
}
