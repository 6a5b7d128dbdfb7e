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

    @Test("the fault proxy injects a scenario, counts it, and passes through otherwise", .requiresLocalHub, .privateFaultProxies)
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

    @Test("the token fault proxy forwards the registry's challenge", .requiresLocalHub, .privateFaultProxies)
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

/// The helpers that set up servers and images for other tests.
@Suite("Test server helpers", .tags(.integration))
struct ServiceHelperTests {
    @Test("a private localhub starts with its own token lifetime, answers, and stops", .requiresLocalHub)
    func privateLocalHub() async throws {
        _ = try LocalHub.required()
        let state = try await LocalHub.launch(.init(tokenLifetime: 7, exactExpiry: true)) { hub in
            #expect(hub.tokenServer.lifetime == 7)
            #expect(hub.tokenServer.exactExpiry)
            let ping = try await ControlHTTP.get(hub.open.v2())
            #expect(ping.status == 200)
            let settings = try await hub.tokenServer.settings()
            #expect(settings["lifetime"]?.int == 7)
            return hub
        }
        // Stopped: the port no longer answers.
        await #expect(throws: ControlError.self) { _ = try await ControlHTTP.get(state.open.v2()) }
    }

    @Test("ImageBuilder writes a multi-platform layout that skopeo copies, with matching digests",
          .requiresLocalHub, .requiresSkopeo)
    func imageBuilderWithSkopeo() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory()
        let layout = try await ImageBuilder.makeLayout(
            at: scratch.appending("layout"), platforms: ["linux/amd64", "linux/arm64/v8"], layerSizes: [2048, 0],
            seed: ImageBuilder.uniqueSuffix())
        #expect(layout.images.count == 2)
        #expect(layout.descriptor.mediaType == "application/vnd.oci.image.index.v1+json")
        // The layer's diff ID is the digest of its uncompressed tar.
        let layer = try #require(layout.images.first?.layers.first)
        let unzipped = try await ProcessRunner.check("sh", arguments: ["-c", "gzip -dc < \"$1\" | sha256sum", "sh", layout.blobPath(layer.digest).path])
        #expect("sha256:" + (unzipped.stdoutText.split(separator: " ").first.map(String.init) ?? "") == layer.diffID)

        for registry in [hub.open, hub.tls] {
            let skopeo = Skopeo.for(hub, registry: registry)
            let destination = "docker://" + registry.reference("smoke/multi-\(ImageBuilder.uniqueSuffix())", tag: "v1")
            try await skopeo.copy(layout.skopeoReference, destination, allPlatforms: true)
            let raw = try await skopeo.inspectRaw(destination)
            let digest = try await ProcessRunner.run("sha256sum", arguments: [], stdin: raw)
            #expect("sha256:" + (digest.stdoutText.split(separator: " ").first.map(String.init) ?? "") == layout.descriptor.digest)
        }
    }

    @Test("skopeo pushes to the token registry as the user and is refused in another user's namespace",
          .requiresLocalHub, .requiresSkopeo)
    func skopeoToken() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory()
        let layout = try await ImageBuilder.makeLayout(at: scratch.appending("layout"), seed: ImageBuilder.uniqueSuffix())
        let skopeo = Skopeo()
        let own = "docker://" + hub.token.reference("\(hub.user.username)/smoke-\(ImageBuilder.uniqueSuffix())", tag: "v1")
        try await skopeo.copy(layout.skopeoReference, own, destinationCredentials: hub.user)
        let other = "docker://" + hub.token.reference("\(hub.user2.username)/smoke-\(ImageBuilder.uniqueSuffix())", tag: "v1")
        await #expect(throws: ProcessFailure.self) {
            try await skopeo.copy(layout.skopeoReference, other, destinationCredentials: hub.user)
        }
    }
}
