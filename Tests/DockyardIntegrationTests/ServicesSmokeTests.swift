import DockyardTestSupport
import Foundation
import Testing

/// Proves that every server `scripts/test` starts is up and behaves as the other tests assume, using only curl
/// and a plain HTTP client (never Dockyard's own code).
@Suite("Test servers answer", .tags(.integration))
struct ServicesSmokeTests {
    @Test("the open registry answers /v2/ with 200 and the distribution API header", .requiresLocalHub)
    func openRegistry() async throws {
        let hub = try LocalHub.required()
        let response = try await ControlHTTP.get(hub.open.v2())
        #expect(response.status == 200)
        #expect(response.headers["docker-distribution-api-version"] == "registry/2.0")
    }

    @Test("the Basic registry refuses anonymous and wrong-password requests and accepts the user", .requiresLocalHub)
    func basicRegistry() async throws {
        let hub = try LocalHub.required()
        let anonymous = try await ControlHTTP.get(hub.basic.v2())
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"] == "Basic realm=\"\(hub.basicRealm)\"")

        let account = hub.basicAccount
        let good = try await ControlHTTP.get(hub.basic.v2(), headers: ["Authorization": basic(account.username, account.password)])
        #expect(good.status == 200)
        let bad = try await ControlHTTP.get(hub.basic.v2(), headers: ["Authorization": basic(account.username, "wrong-password")])
        #expect(bad.status == 401)
    }

    @Test("the token registry challenges with the realm, and the realm issues an anonymous pull token", .requiresLocalHub)
    func tokenRegistry() async throws {
        let hub = try LocalHub.required()
        let challenge = try await ControlHTTP.get(hub.token.v2())
        #expect(challenge.status == 401)
        let header = try #require(challenge.headers["www-authenticate"])
        #expect(header.hasPrefix("Bearer "))
        #expect(header.contains("realm=\"\(hub.tokenServer.realm.absoluteString)\""))
        #expect(header.contains("service=\"\(hub.tokenServer.service)\""))

        let mark = hub.tokenServer.logMark()
        let repository = "library/smoke-\(UInt32.random(in: 0...UInt32.max))"
        var components = try #require(URLComponents(url: hub.tokenServer.realm, resolvingAgainstBaseURL: false))
        components.queryItems = [
            URLQueryItem(name: "service", value: hub.tokenServer.service),
            URLQueryItem(name: "scope", value: "repository:\(repository):pull,push"),
        ]
        let answer = try await ControlHTTP.get(try #require(components.url))
        #expect(answer.status == 200)
        let token = try #require(try answer.json()["token"]?.string)

        // The token opens the registry's ping endpoint.
        let ping = try await ControlHTTP.get(hub.token.v2(), headers: ["Authorization": "Bearer \(token)"])
        #expect(ping.status == 200)

        // The log recorded an anonymous request, granted pull only (the intersection rule).
        let logged = try hub.tokenServer.requests(forRepository: repository, since: mark)
        #expect(logged.count == 1)
        #expect(logged.first?.grant == "anonymous")
        #expect(logged.first?.access == [.init(type: "repository", name: repository, actions: ["pull"])])
    }

    @Test("the token service refuses a wrong password and accepts the user's personal access token", .requiresLocalHub)
    func tokenCredentials() async throws {
        let hub = try LocalHub.required()
        let wrong = try await ControlHTTP.get(hub.tokenServer.realm, headers: ["Authorization": basic(hub.user.username, "nope-nope-nope")])
        #expect(wrong.status == 401)
        let pat = try #require(hub.user.personalAccessToken)
        let good = try await ControlHTTP.get(hub.tokenServer.realm, headers: ["Authorization": basic(hub.user.username, pat)])
        #expect(good.status == 200)
    }

    @Test("the TLS registry is refused without its CA and answers 200 with it", .requiresLocalHub)
    func tlsRegistry() async throws {
        let hub = try LocalHub.required()
        let url = hub.tls.v2().absoluteString
        let untrusted = try await ProcessRunner.run("curl", arguments: ["-sS", "-o", "/dev/null", "--max-time", "10", url])
        #expect(untrusted.status == 60, "curl should fail certificate verification: \(untrusted.stderrText)")
        let trusted = try await ProcessRunner.run(
            "curl", arguments: ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--cacert", hub.tlsCA.path, url])
        #expect(trusted.status == 0)
        #expect(trusted.stdoutText == "200")
        #expect(FileManager.default.fileExists(atPath: hub.tlsCertDirectory.appendingPathComponent("ca.crt").path))
    }

    @Test("the fault proxy injects a scenario, counts it, and passes through otherwise", .requiresLocalHub)
    func faultProxy() async throws {
        let hub = try LocalHub.required()
        try await hub.fault.withScenario(.status, params: ["status": 503, "times": 1, "path": "^/v2/$"]) { proxy in
            let first = try await ControlHTTP.get(proxy.registry.v2())
            let second = try await ControlHTTP.get(proxy.registry.v2())
            #expect(first.status == 503)
            #expect(second.status == 200)
            let state = try await proxy.state()
            #expect(state.scenario == "status")
            #expect(state.injected == 1)
        }
        let after = try await hub.fault.state()
        #expect(after.scenario == "none")
    }

    @Test("the token fault proxy forwards the registry's challenge", .requiresLocalHub)
    func faultTokenProxy() async throws {
        let hub = try LocalHub.required()
        try await hub.faultToken.withScenario(.none) { proxy in
            let response = try await ControlHTTP.get(proxy.registry.v2())
            #expect(response.status == 401)
            #expect(response.headers["www-authenticate"]?.contains(hub.tokenServer.realm.absoluteString) == true)
        }
    }

    @Test("hubsim is healthy and serves the seeded catalogue", .requiresHubSim)
    func hubsimHealth() async throws {
        let sim = try HubSim.required()
        let health = try await sim.health()
        #expect(health["status"]?.string == "ok")
        #expect((health["repositories"]?.int ?? 0) >= 329)
        let nginx = try await ControlHTTP.get(sim.endpoint("/v2/repositories/library/nginx/"))
        #expect(nginx.status == 200)
        #expect(try nginx.json()["name"]?.string == "nginx")
    }

    @Test("hubsim logs in the seeded users, and refuses bob's password without 2FA", .requiresHubSim)
    func hubsimAccounts() async throws {
        let sim = try HubSim.required()
        let token = try await sim.accessToken(identifier: HubSim.alice.username, secret: HubSim.alice.password)
        #expect(token.split(separator: ".").count == 3)
        let me = try await ControlHTTP.get(sim.endpoint("/v2/user/"), headers: ["Authorization": "Bearer \(token)"])
        #expect(me.status == 200)
        #expect(try me.json()["username"]?.string == "alice")
        await #expect(throws: ControlError.self) {
            _ = try await sim.accessToken(identifier: HubSim.bob.username, secret: HubSim.bob.password)
        }
    }

    @Test("localhub and hubsim share their accounts", .requiresLocalHub, .requiresHubSim)
    func sharedAccounts() async throws {
        let hub = try LocalHub.required()
        let sim = try HubSim.required()
        // The registries' first user is hubsim's seeded alice, with the same password and token.
        #expect(hub.user.username == HubSim.alice.username)
        #expect(hub.user.password == HubSim.alice.password)
        #expect(hub.user.personalAccessToken == HubSim.alice.personalAccessTokens["ci-admin"])
        _ = try await sim.accessToken(identifier: hub.user.username, secret: hub.user.password)
        let users = try String(contentsOf: hub.usersFile, encoding: .utf8)
        #expect(users.contains("\n\(hub.admin.username):\(hub.admin.password)\n"))
    }

    @Test("the fixtures are found and the server kits are executable")
    func fixtures() {
        for script in ["localhub/start", "localhub/stop", "hubsim/start", "hubsim/stop", "hubsim/hubsim.py"] {
            #expect(FileManager.default.isExecutableFile(atPath: TestFixtures.url(script).path), "\(script)")
        }
        #expect(FileManager.default.fileExists(atPath: TestFixtures.url("hubsim/spec/hub-api-openapi.yaml").path))
    }

    private func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
