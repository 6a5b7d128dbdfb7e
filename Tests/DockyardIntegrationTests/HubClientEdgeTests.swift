import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The Hub client's behaviour at the edges of a session, a list and a build poll, against real hubsim servers. Every
/// test has a hubsim of its own (``PrivateHubSim``: restarted with a new signing key, with another public URL, or with
/// short builds and a fault proxy of its own in front), so the shared hubsim's settings and state are never touched.
@Suite("HubClient edge cases against hubsim", .requiresHubSim, .tags(.integration), .timeLimit(.minutes(3)))
struct HubClientEdgeTests {
    let alice = HubSim.alice
    let carol = HubSim.carol

    // MARK: Renewal on 401

    @Test("a session token the Hub refuses (401) is renewed once from the login, and the call succeeds")
    func renewsAfter401() async throws {
        let agent = "dockyard-tests/hub-renewal-\(UUID().uuidString)"
        try await PrivateHubSim.withRestart { first, restart in
            try await withTransport { transport in
                let client = try HubClient(configuration: .init(baseURL: first.url, userAgent: agent), transport: transport)
                let stale = try await client.login(.password(username: alice.username, password: alice.password))
                #expect(try await client.currentUser().username == "alice")

                // The same Hub, restarted with a new signing key: every session token issued before is refused,
                // while the login itself still works. The client believes its token is valid for ten minutes.
                let second = try await restart([])
                #expect(try await client.currentUser().username == "alice")
                let renewed = try #require(await client.sessionToken)
                #expect(renewed.accessToken != stale.accessToken)

                let seen = try await second.requestLog().filter { $0["user_agent"]?.string == agent }.map(Self.line)
                #expect(seen == ["GET /v2/user 401", "POST /v2/auth/token 200", "GET /v2/user 200"])
            }
        }
    }

    @Test("when the renewed token is refused too, the second 401 is a typed unauthorized error (one renewal only)")
    func secondRefusalIsTyped() async throws {
        let agent = "dockyard-tests/hub-renewal-\(UUID().uuidString)"
        try await PrivateHubSim.withRestart { first, restart in
            try await withTransport { transport in
                let client = try HubClient(configuration: .init(baseURL: first.url, userAgent: agent), transport: transport)
                try await client.login(.password(username: alice.username, password: alice.password))
                // The restarted Hub issues tokens that are expired when issued: the renewal succeeds, its token does not.
                let second = try await restart(["--token-ttl", "0"])

                let error = await #expect(throws: HubAPIError.self) { try await client.currentUser() }
                #expect(error?.code == .unauthorized)
                #expect(error?.status == 401)

                let seen = try await second.requestLog().filter { $0["user_agent"]?.string == agent }.map(Self.line)
                #expect(seen == ["GET /v2/user 401", "POST /v2/auth/token 200", "GET /v2/user 401"])
            }
        }
    }

    // MARK: A next link to another origin

    @Test("a next link to another origin is refused with a typed error, and nothing is sent to that origin")
    func foreignNextLink() async throws {
        let elsewhere = try LoopbackReceiver()
        defer { elsewhere.stop() }
        let other = "http://127.0.0.1:\(elsewhere.port)"
        // A Hub whose links name another origin (hubsim builds next links from its public URL).
        try await PrivateHubSim.with(arguments: ["--public-url", other]) { sim in
            // The control: the Hub really answers page 1 with a next link on the other origin.
            let raw = try await ControlHTTP.jsonCall("GET", sim.endpoint("/v2/namespaces/alice/repositories?page_size=1"))
            #expect(raw["next"]?.string?.hasPrefix(other + "/") == true, "\(raw)")

            let agent = "dockyard-tests/hub-next-\(UUID().uuidString)"
            try await withTransport { transport in
                let client = try HubClient(configuration: .init(baseURL: sim.url, userAgent: agent), transport: transport)
                try await client.login(.password(username: alice.username, password: alice.password))
                let error = await #expect(throws: HubAPIError.self) {
                    _ = try await client.repositories(in: "alice", pageSize: 1).collect()
                }
                #expect(error?.code == .invalidResponse)
                #expect(error?.description.contains("origin") == true, "\(String(describing: error))")
            }
            // Nothing went to the other origin: the first request it ever receives is this sentinel.
            _ = try? await ControlHTTP.jsonCall("GET", try #require(URL(string: other + "/sentinel")))
            let first = try await firstElement(of: elsewhere.requests, timeout: .seconds(30))
            #expect(first.path == "/sentinel")
            // And page 2 was not asked of the Hub either.
            let pages = try await sim.requestLog().filter { $0["user_agent"]?.string == agent && $0["path"]?.string?.contains("/repositories") == true }
            #expect(pages.count == 1)
        }
    }

    // MARK: 5xx while polling a build

    @Test("server errors while a build is polled are asked again, and wait ends with the build's final status")
    func pollingSurvivesServerErrors() async throws {
        let builder = HubRepositoryPath(namespace: "acme", name: "builder")
        try await withBuildingHub { proxy in
            // The transport's own retries are off, so every 503 reaches the poll loop.
            try await withTransport { transport in
                let client = try HubClient(configuration: .init(baseURL: proxy.url, retry: .none, userAgent: "dockyard-tests/hub-poll"), transport: transport)
                try await client.login(.password(username: carol.username, password: carol.password))
                // Armed before the build starts (any build of the repository), and on the first two polls: however
                // slowly a loaded machine runs, the build cannot be seen finished before both 503s were answered.
                try await proxy.set([
                    "scenario": "status", "status": 503, "method": "GET",
                    "path": .string("^/v2/repositories/acme/builder/buildhistory/[^/]+/?$"), "times": 2,
                ])
                let started = try await client.triggerBuild(in: builder, sourceType: .branch, sourceName: "main")
                let code = try #require(started.first?.buildCode)
                let final = try await client.waitForBuild(code, in: builder, pollInterval: .milliseconds(100))
                let injected = try await proxy.injected()
                #expect(final.status == .success)
                #expect(injected == 2)
            }
        }
    }

    @Test("polling gives up after a bounded number of server errors in a row, with the server's error")
    func pollingRetriesAreBounded() async throws {
        let builder = HubRepositoryPath(namespace: "acme", name: "builder")
        try await withBuildingHub { proxy in
            try await withTransport { transport in
                let client = try HubClient(configuration: .init(baseURL: proxy.url, retry: .none, userAgent: "dockyard-tests/hub-poll"), transport: transport)
                try await client.login(.password(username: carol.username, password: carol.password))
                let started = try await client.triggerBuild(in: builder, sourceType: .branch, sourceName: "main")
                let code = try #require(started.first?.buildCode)
                try await proxy.set([
                    "scenario": "status", "status": 503, "method": "GET",
                    "path": .string("^/v2/repositories/acme/builder/buildhistory/\(code)/?$"), "times": .null,
                ])
                // The timeout only ends a wait that would otherwise never give up.
                let error = await #expect(throws: HubAPIError.self) {
                    _ = try await client.waitForBuild(code, in: builder, pollInterval: .milliseconds(20), timeout: .seconds(20))
                }
                let injected = try await proxy.injected()
                #expect(error?.code == .serverError)
                #expect(error?.status == 503)
                #expect(injected == HubClient.buildPollServerErrorLimit)
            }
        }
    }

    // MARK: Helpers

    static func line(_ entry: TestJSON) -> String {
        let path = entry["path"]?.string ?? "?"
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        return "\(entry["method"]?.string ?? "?") \(trimmed) \(entry["status"]?.int ?? 0)"
    }

    /// Runs `body` with a hubsim of its own (builds end after about a second) and a fault proxy of its own in front.
    func withBuildingHub<T>(_ body: (HubFaultProxy) async throws -> T) async throws -> T {
        try await PrivateHubSim.with(arguments: ["--build-queue-seconds", "0.5", "--build-seconds", "0.5"]) { sim in
            try await HubFaultProxy.with(upstream: sim.url, body)
        }
    }
}
