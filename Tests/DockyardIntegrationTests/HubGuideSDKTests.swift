import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The article "Docker Hub from start to finish" (Documentation/Dockyard.docc/Articles/DockerHubGuide.md), walked
/// with the Swift API against hubsim and a token registry that reports its pushes to hubsim. Each `step` is the
/// article's section of the same number; names carry a unique suffix (`acme/app` is `acme/app-ID` here).
@Suite("The Docker Hub guide with the Swift API", .requiresHubSim, .requiresLocalHub, .tags(.integration))
struct HubGuideSDKTests {
    @Test("search, pull by tag and digest, log in, push, private, team grant, automated build with two rules, trigger URL, build watched to success, webhook received",
          .timeLimit(.minutes(5)))
    func guide() async throws {
        try await HubGuideWorld.with { world in
            do {
                try await walk(world)
            } catch {
                await world.cleanUp()
                throw error
            }
            await world.cleanUp()
        }
    }

    func walk(_ world: HubGuideWorld) async throws {
        let carol = world.carol
        let login = HubSessionSource.login(HubLogin(username: carol.username, secret: carol.password))
        let scratch = try TemporaryDirectory(prefix: "hub-guide-sdk")
        defer { scratch.remove() }
        let layout = try OCILayout(at: scratch.appending("alpine"))
        let config = scratch.appending("docker-config")

        try await step("1. Search") {
            let results = try await withHubClient(configuration: world.hubConfiguration) { hub in
                try await hub.search("alpine", limit: 5)
            }
            #expect((1...5).contains(results.count))
            #expect(results.contains { $0.name == "alpine" && $0.isOfficial })
        }

        let pulled = try await step("2. Pull by tag and by digest") {
            try await withRegistryClient(configuration: world.registryConfiguration, credentials: AnonymousCredentials()) { client in
                let byTag = try await client.pull(ImageReference(normalizing: "\(world.alpine):\(world.alpineTag)"), into: layout)
                #expect(byTag.resolvedDigest.description == world.alpineDigest, "the index digest, as docker prints it")
                #expect(byTag.totals.transferred > 0)
                let pinned = byTag.reference.withDigest(byTag.resolvedDigest)
                let byDigest = try await client.pull(pinned, into: layout)
                #expect(byDigest.resolvedDigest == byTag.resolvedDigest)
                #expect(byDigest.totals.transferred == 0, "nothing is downloaded again: \(byDigest.totals)")
                return byTag
            }
        }

        try await step("3. Log in") {
            try await withRegistryClient(configuration: world.registryConfiguration) { client in
                let refused = await #expect(throws: (any Error).self) {
                    try await client.login(registry: "docker.io", username: carol.username, password: "wrong-password-0", configDirectory: config)
                }
                #expect(refused != nil)
                try await client.login(registry: "docker.io", username: carol.username, password: carol.password, configDirectory: config)
            }
            let stored = try TestJSON(parsing: String(decoding: try Data(contentsOf: config.appendingPathComponent("config.json")), as: UTF8.self))
            #expect(stored["auths"]?["https://index.docker.io/v1/"]?["auth"]?.string != nil, "stored under docker's key for Docker Hub")
            let token = try await withHubClient(configuration: world.hubConfiguration) { hub in
                try await hub.login(HubLogin(username: carol.username, secret: carol.password))
            }
            #expect(token.username == carol.username)
        }

        try await step("4. Push") {
            let credentials = DockerCredentialStore(directory: config)
            let pushed = try await withRegistryClient(configuration: world.registryConfiguration, credentials: credentials) { client in
                try await client.push(from: layout, refName: pulled.refName, to: ImageReference(normalizing: "\(world.myapp):v1"))
            }
            #expect(pushed.digest == pulled.digest, "the pulled platform's manifest, unchanged")
            // The registry tells hubsim, which creates carol's repository as Docker Hub does on a first push.
            try await world.waitForHubRepository(world.myapp, tag: "v1")
            let repository = try await withHubClient(configuration: world.hubConfiguration, session: login) { hub in
                try await hub.repository(world.myapp)
            }
            #expect(!repository.isPrivate)
            #expect(try await world.isVisibleAnonymously(world.myapp))
        }

        try await step("5. Make the repository private") {
            let repository = try await withHubClient(configuration: world.hubConfiguration, session: login) { hub in
                try await hub.setPrivacy(world.myapp, isPrivate: true)
            }
            #expect(repository.isPrivate)
            #expect(try await world.isVisibleAnonymously(world.myapp) == false, "hubsim hides it from anyone else")
        }

        try await step("6. An organization, a team, and a repository for the team") {
            let permissions = try await withHubClient(configuration: world.hubConfiguration, session: login) { hub in
                #expect(try await hub.organizations().collect().contains { $0.name == "acme" })
                try await hub.createRepository(world.app, isPrivate: true)
                try await hub.createTeam(world.team, in: "acme", description: "Ships acme/app")
                try await hub.grant(.write, toTeamNamed: world.team, in: world.app)
                return try await hub.teamPermissions(in: world.app).collect()
            }
            #expect(permissions.contains { $0.teamName == world.team && $0.permission == .write }, "\(permissions)")
        }

        try await step("7. An automated build with two rules") {
            let rules = [
                HubBuildRule(tag: "latest", sourceType: .branch, sourceName: "main"),
                HubBuildRule(tag: "{sourceref}", sourceType: .tag, sourceName: "/^v[0-9.]+$/"),
            ]
            try await withHubClient(configuration: world.hubConfiguration, session: login) { hub in
                let settings = try await hub.createBuildSettings(in: world.app, provider: .github, sourceRepository: world.source, rules: rules)
                #expect(settings.rules.map(\.tag) == ["latest", "{sourceref}"])
                #expect(settings.provider == .github)
                let listed = try await hub.buildRules(in: world.app).collect()
                #expect(listed.map(\.sourceName).sorted() == ["/^v[0-9.]+$/", "main"])
            }
        }

        try await step("8 and 9. Listen for the webhook; trigger by URL, watch the build finish, receive the delivery") {
            try await withHubClient(configuration: world.hubConfiguration, session: login) { hub in
                try await WebhookReceiver.withReceiver(.init(host: "127.0.0.1", port: 0)) { receiver in
                    let webhook = try await hub.createWebhook(named: "ci", url: receiver.url.appendingPathComponent("hook"), in: world.app)
                    #expect(webhook.slug == "ci")

                    let trigger = try await hub.buildTrigger(in: world.app)
                    let url = try #require(trigger.triggerURL.flatMap(URL.init(string:)))
                    let before = Set(try await hub.builds(in: world.app).collect().map(\.buildCode))
                    // The URL is the capability: calling it needs no login.
                    try await withHubClient(configuration: world.hubConfiguration) { anonymous in
                        try await anonymous.triggerBuild(url: url, selection: .source(.branch, name: "main"))
                    }
                    var started: HubBuild?
                    try await Waiting.until("the triggered build appears in the history") {
                        started = try await hub.builds(in: world.app).collect().first { !before.contains($0.buildCode) }
                        return started != nil
                    }
                    let build = try #require(started)
                    #expect(build.tag == "latest", "only the rule for branch main matches")
                    var seen: [HubBuildStatus] = []
                    for try await update in hub.buildStatusUpdates(for: build.buildCode, in: world.app, pollInterval: .milliseconds(200), timeout: .seconds(60)) {
                        seen.append(update.status)
                    }
                    #expect(seen.last == .success, "\(seen)")
                    #expect(seen.allSatisfy { [.queued, .building, .success].contains($0) }, "\(seen)")

                    let event = try await firstElement(of: receiver.events, timeout: .seconds(30))
                    guard case .delivery(let delivery) = event else {
                        Issue.record("the receiver got something that is not a delivery: \(event)")
                        return
                    }
                    #expect(delivery.repository.repoName == world.app.description)
                    #expect(delivery.pushData.tag == "latest")
                    #expect(delivery.pushData.pusher == "trustedbuilder")
                    let description = "guide \(world.id)"
                    try await hub.sendCallback(try WebhookCallback(state: .success, description: description), to: delivery.callbackURL)
                    let accepted = try await world.hub.callbacks().contains {
                        $0["description"]?.string == description && $0["accepted"]?.bool == true
                    }
                    #expect(accepted, "hubsim accepted the callback")
                }
            }
        }
    }

    /// Runs one step of the article; a failure names the step.
    @discardableResult
    func step<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            Issue.record("step \(name) failed: \(error)")
            throw error
        }
    }
}
