import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The Hub API client against hubsim. Serialized: several tests change shared state (the rate limit, the acme
/// organization), and the last one checks hubsim's log for requests that broke the official spec.
@Suite("HubClient against hubsim", .serialized, .requiresHubSim, .tags(.integration))
struct HubIntegrationTests {
    let alice = HubSim.alice
    let bob = HubSim.bob
    let carol = HubSim.carol

    // MARK: Sessions

    @Test("password login, current user, public profile")
    func passwordLogin() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            let token = try await client.login(.password(username: alice.username, password: alice.password))
            #expect(token.username == "alice")
            #expect(token.expiresAt != nil)
            let me = try await client.currentUser()
            #expect(me.username == "alice")
            let profile = try await client.user("carol")
            #expect(profile.username == "carol")
            #expect(await client.rateLimit?.limit ?? 0 > 0)
        }
    }

    @Test("bad password is a typed unauthorized error with the Hub's message")
    func badPassword() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            let error = await #expect(throws: HubAPIError.self) {
                try await client.login(.password(username: alice.username, password: "wrong-password-9"))
            }
            #expect(error?.code == .unauthorized)
            #expect(error?.status == 401)
            #expect(error?.description.contains("wrong-password-9") == false)
        }
    }

    @Test("2FA login asks for the code once and then works")
    func twoFactorLogin() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            let asked = Counter()
            let token = try await client.login(.password(username: bob.username, password: bob.password)) {
                await asked.increment()
                return HubSim.twoFactorCode
            }
            #expect(await asked.value == 1)
            #expect(token.refreshToken != nil)
            #expect(try await client.currentUser().username == "bob")
            #expect(try await client.repositories(in: "bob").collect().map(\.name).contains("dotfiles"))
            #expect(await asked.value == 1)
        }
        try await withHubClient(hub) { client in
            let missing = await #expect(throws: HubAPIError.self) {
                try await client.login(.password(username: bob.username, password: bob.password))
            }
            #expect(missing?.code == .twoFactorRequired)
            let wrong = await #expect(throws: HubAPIError.self) {
                try await client.login(.password(username: bob.username, password: bob.password)) { "000000" }
            }
            #expect(wrong?.code == .twoFactorRequired)
        }
    }

    @Test("a kept 2FA session is reused without a code")
    func restoredSession() async throws {
        let hub = try HubSim.required()
        let token = try await withHubClient(hub) { client in
            try await client.login(.password(username: bob.username, password: bob.password)) { HubSim.twoFactorCode }
        }
        try await withHubClient(hub) { client in
            try await client.login(.session(token))
            #expect(try await client.currentUser().username == "bob")
        }
    }

    @Test("a PAT logs in; once revoked it is refused, and so is its session")
    func personalAccessTokenLifecycle() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { admin in
            try await admin.login(.password(username: alice.username, password: alice.password))
            let created = try await admin.createAccessToken(label: uniqueHubName("tests"), scopes: ["repo:read"])
            let secret = try #require(created.token)
            #expect(secret.hasPrefix("dckr_pat_"))
            let listed = try await admin.accessTokens(pageSize: 2).collect()
            let mine = try #require(listed.first { $0.uuid == created.uuid })
            #expect(mine.token == nil, "the secret is shown only once")

            try await withHubClient(hub) { user in
                try await user.login(.personalAccessToken(username: alice.username, token: secret))
                #expect(try await user.currentUser().username == "alice")

                try await admin.updateAccessToken(created.uuid, label: "renamed")
                #expect(try await admin.accessToken(created.uuid).label == "renamed")
                try await admin.revokeAccessToken(created.uuid)

                let refusedSession = await #expect(throws: HubAPIError.self) { try await user.currentUser() }
                #expect(refusedSession?.code == .unauthorized)
            }
            try await withHubClient(hub) { user in
                let refused = await #expect(throws: HubAPIError.self) {
                    try await user.login(.personalAccessToken(username: alice.username, token: secret))
                }
                #expect(refused?.code == .unauthorized)
                let disabled = await #expect(throws: HubAPIError.self) {
                    try await user.login(.password(username: alice.username, password: alice.personalAccessTokens["disabled"] ?? ""))
                }
                #expect(disabled?.code == .unauthorized)
            }
        }
    }

    @Test("the session token is renewed before it expires, without the caller noticing")
    func renewal() async throws {
        let hub = try HubSim.required()
        let transport = try AsyncHTTPTransport()
        defer { Task { await transport.shutdown() } }
        // A margin longer than the token's 600 s life makes every call renew.
        let configuration = HubClient.Configuration(baseURL: hub.url, userAgent: "dockyard-tests/hub", renewalMargin: .seconds(3600))
        let client = try HubClient(configuration: configuration, transport: transport)
        let first = try await client.login(.personalAccessToken(username: alice.username, token: alice.personalAccessTokens["ci-admin"] ?? ""))
        _ = try await client.repository(HubRepositoryPath(namespace: "alice", name: "private-notes"))
        let second = try #require(await client.sessionToken)
        #expect(second.accessToken != first.accessToken)
    }

    @Test("organization access token logs in and reads its organization's repository")
    func organizationAccessToken() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            try await client.login(.organizationAccessToken(organization: "acme", token: HubSim.Acme.accessToken))
            let repository = try await client.repository(HubRepositoryPath(namespace: "acme", name: "api"))
            #expect(repository.isPrivate)
        }
    }

    @Test("implicit login reads the credential store under the Hub's key; docker.io credentials stay with Docker Hub")
    func credentialStoreLogin() async throws {
        let hub = try HubSim.required()
        let transport = try AsyncHTTPTransport()
        defer { Task { await transport.shutdown() } }
        let configuration = HubClient.Configuration(baseURL: hub.url, userAgent: "dockyard-tests/hub")
        let key = configuration.effectiveCredentialKey
        #expect(key == "\(hub.url.host ?? ""):\(hub.url.port ?? 0)")
        let store = StaticCredentials(.basic(username: carol.username, password: carol.password), forRegistry: key)
        let client = try HubClient(configuration: configuration, session: .credentials(store), transport: transport)
        #expect(try await client.currentUser().username == "carol")

        let dockerHubOnly = StaticCredentials(.basic(username: carol.username, password: carol.password), forRegistry: "https://index.docker.io/v1/")
        let other = try HubClient(configuration: configuration, session: .credentials(dockerHubOnly), transport: transport)
        let error = await #expect(throws: HubAPIError.self) { try await other.currentUser() }
        #expect(error?.code == .notLoggedIn)
    }

    // MARK: Lists and visibility

    @Test("paging follows next to the last page of a list longer than 250 items")
    func longListPaging() async throws {
        // A hubsim of this test's own: on the shared one, other suites create and delete repositories while it
        // pages, and offset pages can then skip or repeat an entry even when the total ends where it began.
        try await PrivateHubSim.with { hub in try await Self.longListPaging(on: hub) }
    }

    static func longListPaging(on hub: HubSim) async throws {
        try await withHubClient(hub) { client in
            // Other suites may create public repositories meanwhile: compare exactly only when the total held still.
            let before = try await client.searchRepositories("", pageSize: 1).pages.first { _ in true }?.totalCount
            var pages = 0
            var names: [String] = []
            var total: Int?
            var lastPageHadNext = true
            for try await page in client.searchRepositories("", pageSize: 100).pages {
                pages += 1
                total = page.totalCount
                names += page.items.map(\.repoName)
                lastPageHadNext = page.hasNext
            }
            let count = try #require(total)
            #expect(count > 250)
            #expect(names.count > 250)
            #expect(pages == (count + 99) / 100)
            #expect(!lastPageHadNext)
            if before == count {
                #expect(names.count == count)
                #expect(Set(names).count == count)
            }

            var catalogueTotal: Int?
            var catalogue: [String] = []
            for try await page in client.catalogSearch("", pageSize: 100).pages {
                catalogueTotal = catalogueTotal ?? page.totalCount
                catalogue += page.items.map(\.id)
            }
            #expect((catalogueTotal ?? 0) > 250)
            #expect(catalogue.count > 250)
            // Other suites create repositories on the shared hubsim while this one pages; the items are checked
            // one for one only when the total was the same before and after paging (nothing moved under the pages).
            let catalogueTotalAfter = try await client.catalogSearch("", pageSize: 100).pages.first { _ in true }?.totalCount
            if catalogueTotal == count, catalogueTotalAfter == catalogueTotal {
                #expect(Set(catalogue).count == catalogueTotal)
            }

            let tags = try await client.tags(in: HubRepositoryPath(namespace: "library", name: "nginx"), pageSize: 25).collect()
            #expect(tags.count == 150)
            #expect(tags.allSatisfy { !$0.images.isEmpty })
        }
    }

    @Test("a private repository is invisible to another user and to anonymous callers")
    func privateRepository() async throws {
        let hub = try HubSim.required()
        let path = HubRepositoryPath(namespace: "alice", name: "private-notes")
        try await withHubClient(hub) { owner in
            try await owner.login(.password(username: alice.username, password: alice.password))
            #expect(try await owner.repository(path).isPrivate)
            #expect(try await owner.repositories(in: "alice").collect().contains { $0.name == "private-notes" })
        }
        try await withHubClient(hub) { anonymous in
            let error = await #expect(throws: HubAPIError.self) { try await anonymous.repository(path) }
            #expect(error?.code == .notFound)
            #expect(try await anonymous.repositoryExists(path) == false)
            let listed = try await anonymous.repositories(in: "alice").collect()
            #expect(!listed.isEmpty)
            #expect(!listed.contains { $0.name == "private-notes" })
        }
        try await withHubClient(hub) { other in
            try await other.login(.password(username: HubSim.grace.username, password: HubSim.grace.password))
            #expect(try await other.repositoryExists(path) == false)
            #expect(!(try await other.repositories(in: "alice").collect().contains { $0.name == "private-notes" }))
        }
    }

    @Test("docker search parity: limit and filters")
    func dockerSearch() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            let all = try await client.search("nginx", limit: 10)
            #expect(!all.isEmpty && all.count <= 10)
            let official = try await client.search("nginx", limit: 10, filters: try HubSearchFilters(parsing: ["is-official=true"]))
            #expect(official.map(\.name).contains("nginx"))
            #expect(official.allSatisfy { $0.isOfficial })
            let starred = try await client.search("nginx", limit: 10, filters: HubSearchFilters(minimumStars: 1000))
            #expect(starred.allSatisfy { $0.starCount >= 1000 })
            let error = await #expect(throws: HubAPIError.self) { try await client.search("nginx", limit: 101) }
            #expect(error?.code == .invalidArgument)
            let v4 = try await client.catalogSearch("python", badges: ["official"], sort: .pullCount, pageSize: 5).collect(limit: 5)
            #expect(v4.first?.badge == "official")
        }
    }

    // MARK: Repositories and tags

    @Test("repository create, update, privacy, tags, immutable tags, delete")
    func repositoryLifecycle() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            try await client.login(.password(username: alice.username, password: alice.password))
            let path = HubRepositoryPath(namespace: "alice", name: uniqueHubName("repo"))
            let created = try await client.createRepository(path, isPrivate: true, description: "first")
            #expect(created.isPrivate)
            let duplicate = await #expect(throws: HubAPIError.self) { try await client.createRepository(path) }
            #expect(duplicate?.code == .invalidRequest)

            try await client.updateRepository(path, description: "second", fullDescription: "# Hello")
            let updated = try await client.repository(path)
            #expect(updated.description == "second")
            #expect(updated.fullDescription == "# Hello")
            #expect(try await client.setPrivacy(path, isPrivate: false).isPrivate == false)

            try await hub.push(repository: path.description, tag: "v1", pusher: "alice", platforms: ["linux/amd64", "linux/arm64/v8"])
            try await hub.push(repository: path.description, tag: "latest", pusher: "alice")
            let tags = try await client.tags(in: path).collect()
            #expect(Set(tags.map(\.name)) == ["v1", "latest"])
            let v1 = try await client.tag("v1", in: path)
            #expect(Set(v1.images.map(\.platform)) == ["linux/amd64", "linux/arm64/v8"])

            try await client.setImmutableTags(HubImmutableTagsSettings(enabled: true, rules: ["v.*"]), in: path)
            #expect(try await client.tagsMatchingImmutableRule("v.*", in: path) == ["v1"])
            let protected = await #expect(throws: HubAPIError.self) { try await client.deleteTag("v1", in: path) }
            #expect(protected?.code == .invalidRequest)
            try await client.setImmutableTags(HubImmutableTagsSettings(enabled: false, rules: []), in: path)

            try await client.deleteTag("latest", in: path)
            let gone = await #expect(throws: HubAPIError.self) { try await client.tag("latest", in: path) }
            #expect(gone?.code == .notFound)

            let filtered = try await client.repositories(in: "alice", name: path.name, ordering: .lastUpdatedDescending).collect()
            #expect(filtered.map(\.name) == [path.name])

            try await client.deleteRepository(path)
            #expect(try await client.repositoryExists(path) == false)
        }
    }

    // MARK: Organizations

    @Test("organizations, members, roles, CSV export, invites")
    func organizations() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            try await client.login(.password(username: carol.username, password: carol.password))
            let mine = try await client.organizations().collect()
            #expect(mine.map(\.name) == ["acme"])
            #expect(mine.first?.userRole == .owner)
            #expect(try await client.organization("acme").fullName == HubSim.Acme.fullName)

            let members = try await client.members(of: "acme", pageSize: 2).collect()
            #expect(Set(members.map(\.username)).isSuperset(of: ["carol", "dave", "erin", "frank"]))
            let plain = try await client.members(of: "acme", role: .member).collect()
            #expect(plain.allSatisfy { $0.role == .member })

            let settings = try await client.organizationSettings(of: "acme")
            #expect(try await client.updateOrganizationSettings(settings, of: "acme") == settings)
            let audit = try await client.auditLog(of: "acme", pageSize: 2).collect(limit: 5)
            #expect(audit.allSatisfy { $0.account == "acme" && !$0.action.isEmpty })

            let export = try await client.exportMembers(of: "acme")
            #expect(export.csv.contains("carol"))
            #expect(export.filename?.hasSuffix(".csv") == true)

            let dryRun = try await client.invite(["grace", "dave"], to: "acme", team: "qa", dryRun: true)
            #expect(dryRun.first { $0.invitee == "dave" }?.status == "existing_org_member")
            #expect(dryRun.allSatisfy { $0.invite == nil })

            let email = uniqueHubName("person") + "@example.com"
            let sent = try await client.invite([email], to: "acme", team: "qa")
            let invite = try #require(sent.first?.invite)
            #expect(try await client.invites(of: "acme").collect().contains { $0.id == invite.id })
            try await client.resendInvite(invite.id)
            try await client.cancelInvite(invite.id)
            #expect(!(try await client.invites(of: "acme").collect().contains { $0.id == invite.id }))

            let team = uniqueHubName("t")
            try await client.createTeam(team, in: "acme", description: "temporary")
            try await client.addTeamMember("grace", to: team, in: "acme")
            #expect(try await client.teamMembers(of: team, in: "acme").collect().map(\.username) == ["grace"])
            let promoted = try await client.setRole(.editor, of: "grace", in: "acme")
            #expect(promoted.role == .editor)
            let lastOwner = await #expect(throws: HubAPIError.self) { try await client.setRole(.member, of: "carol", in: "acme") }
            #expect(lastOwner?.code == .invalidRequest)
            try await client.removeTeamMember("grace", from: team, in: "acme")
            try await client.removeMember("grace", from: "acme")
            #expect(!(try await client.members(of: "acme").collect().contains { $0.username == "grace" }))

            let renamed = try await client.updateTeam(team, in: "acme", description: "changed")
            #expect(renamed.description == "changed")
            let website = HubRepositoryPath(namespace: "acme", name: "website")
            let permission = try await client.grant(.write, toTeamNamed: team, in: website)
            #expect(permission.permission == .write)
            #expect(try await client.teamPermissions(in: website).collect().contains { $0.teamID == renamed.id })
            try await client.revokePermission(ofTeam: renamed.id, in: website)
            try await client.deleteTeam(team, in: "acme")
            #expect(!(try await client.teams(of: "acme").collect().contains { $0.name == team }))

            let oat = try await client.createOrganizationAccessToken(
                in: "acme", label: uniqueHubName("oat"),
                resources: [.init(path: "acme/website", scopes: ["repo-pull"])])
            #expect(oat.token?.hasPrefix("dckr_oat_") == true)
            #expect(try await client.organizationAccessTokens(of: "acme").collect().contains { $0.id == oat.id })
            try await client.updateOrganizationAccessToken(oat.id, in: "acme", isActive: false)
            try await client.deleteOrganizationAccessToken(oat.id, in: "acme")
        }
    }

    // MARK: Rate limits

    @Test("429 is retried after Retry-After, and reported when retries are off")
    func rateLimit() async throws {
        // A hubsim of this test's own: the small limit below applies to every caller of the server it is set on,
        // and on the shared hubsim it made other suites' logins wait on 429s past their deadline.
        try await PrivateHubSim.with { hub in try await Self.rateLimit(on: hub) }
    }

    static func rateLimit(on hub: HubSim) async throws {
        let grace = HubLogin.password(username: HubSim.grace.username, password: HubSim.grace.password)
        try await withHubClient(hub) { client in
            try await client.login(grace)
            try await withHubClient(hub, retry: .none) { strict in
                try await strict.login(grace)
                try await hub.withConfig(["rate_limit": 3, "rate_window": 2]) {
                    for _ in 0..<8 {
                        _ = try await client.user("alice")
                    }
                    let state = try #require(await client.rateLimit)
                    #expect(state.limit == 3)

                    var caught: HubAPIError?
                    for _ in 0..<8 where caught == nil {
                        do { _ = try await strict.user("alice") } catch let error as HubAPIError { caught = error }
                    }
                    let error = try #require(caught)
                    #expect(error.code == .rateLimited)
                    #expect(error.status == 429)
                    #expect(error.retryAfter != nil)
                }
            }
        }
        let limited = try await hub.requestLog().filter { $0["status"]?.int == 429 && $0["path"]?.string == "/v2/users/alice/" }
        #expect(!limited.isEmpty)
    }

    // MARK: Webhooks

    @Test("webhook created, push delivered to a loopback receiver, callback accepted")
    func webhookDelivery() async throws {
        let hub = try HubSim.required()
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        try await withHubClient(hub) { client in
            try await client.login(.password(username: alice.username, password: alice.password))
            let path = HubRepositoryPath(namespace: "alice", name: uniqueHubName("hooks"))
            try await client.createRepository(path)
            let pipeline = try await client.createWebhookPipeline(
                named: "ci", hooks: [.init(name: "receiver", hookURL: receiver.url)], in: path)
            #expect(try await client.webhookPipelines(in: path).collect().map(\.slug) == [pipeline.slug])
            try await client.updateWebhookPipeline(pipeline.slug, in: path, expectFinalCallback: false)

            try await hub.push(repository: path.description, tag: "v9", pusher: "alice")
            let request = try await firstElement(of: receiver.requests, timeout: .seconds(15))
            let delivery = try WebhookDelivery.decode(from: request.body)
            #expect(delivery.repository.repoName == path.description)
            #expect(delivery.pushData.tag == "v9")

            let callback = try WebhookCallback(state: .success, description: "tests passed", context: "dockyard tests",
                                               targetURL: URL(string: "http://ci.example.com/results/1"))
            try await client.sendCallback(callback, to: delivery.callbackURL)
            let reused = await #expect(throws: HubAPIError.self) { try await client.sendCallback(callback, to: delivery.callbackURL) }
            #expect(reused?.code == .notFound)

            let accepted = try await hub.callbacks().filter {
                $0["description"]?.string == "tests passed" && ($0["accepted"]?.bool ?? ($0["status"]?.int == 200))
            }
            #expect(!accepted.isEmpty)
            try await client.deleteWebhookPipeline(pipeline.slug, in: path)
            try await client.deleteRepository(path)
        }
    }

    @Test("the example webhook-receiver receives a delivery and its callback is accepted",
          .enabled(if: HubIntegrationTests.receiverBinary != nil || TestServices.areRequired, "Examples/webhook-receiver is not built (swift build --package-path Examples/webhook-receiver)"))
    func exampleReceiver() async throws {
        let hub = try HubSim.required()
        let binary = try #require(HubIntegrationTests.receiverBinary)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--port", "0", "--once", "--context", "dockyard example test", "--allow-callback-host", hub.url.host ?? "127.0.0.1"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        let lines = LineReader(output.fileHandleForReading)
        let banner = try await lines.next(timeout: .seconds(10))
        let port = try #require(banner.split(separator: ":").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "/ ")) }.flatMap { Int($0) })

        try await withHubClient(hub) { client in
            try await client.login(.password(username: alice.username, password: alice.password))
            let path = HubRepositoryPath(namespace: "alice", name: uniqueHubName("example"))
            try await client.createRepository(path)
            try await client.createWebhookPipeline(named: "example", hooks: [.init(name: "example", hookURL: try #require(URL(string: "http://127.0.0.1:\(port)/hook")))], in: path)
            try await hub.push(repository: path.description, tag: "v1", pusher: "alice")
            let line = try await lines.next(timeout: .seconds(20))
            let printed = try TestJSON(parsing: line)
            #expect(printed["repository"]?.string == path.description)
            #expect(printed["callback"]?.string == "accepted")
            let accepted = try await hub.callbacks().contains {
                $0["repository"]?.string == path.description && $0["accepted"]?.bool == true && $0["context"]?.string == "dockyard example test"
            }
            #expect(accepted)
            try await client.deleteRepository(path)
        }
    }

    static var receiverBinary: URL? {
        if let path = ProcessInfo.processInfo.environment["DOCKYARD_WEBHOOK_RECEIVER"], FileManager.default.isExecutableFile(atPath: path) {
            return URL(fileURLWithPath: path)
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let built = root.appendingPathComponent("Examples/webhook-receiver/.build/debug/webhook-receiver")
        return FileManager.default.isExecutableFile(atPath: built.path) ? built : nil
    }

    // MARK: Builds

    @Test("build triggered through its trigger URL is waited on until success")
    func triggerURLBuild() async throws {
        let hub = try HubSim.required()
        let path = HubRepositoryPath(namespace: "acme", name: "builder")
        try await withHubClient(hub) { client in
            try await client.login(.password(username: carol.username, password: carol.password))
            let settings = try await client.buildSettings(in: path)
            #expect(settings.rules.count >= 3)
            let trigger = try await client.buildTrigger(in: path)
            let url = try #require(trigger.sourceTriggerURL.flatMap(URL.init(string:)))
            let before = Set(try await client.builds(in: path).collect().map(\.buildCode))

            try await withHubClient(hub) { anonymous in
                try await anonymous.triggerBuild(url: url, selection: .source(.branch, name: "main"))
                var started: HubBuild?
                for _ in 0..<50 where started == nil {
                    started = try await anonymous.builds(in: path).collect().first { !before.contains($0.buildCode) }
                    if started == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                let build = try #require(started)
                var seen: [HubBuildStatus] = []
                for try await update in anonymous.buildStatusUpdates(for: build.buildCode, in: path, pollInterval: .milliseconds(200), timeout: .seconds(30)) {
                    seen.append(update.status)
                }
                #expect(seen.last == .success)
                #expect(seen.allSatisfy { [.queued, .building, .success].contains($0) })
                let detail = try await anonymous.build(build.buildCode, in: path)
                #expect(detail.results?.logs?.isEmpty == false)
            }

            let rule = try await client.createBuildRule(HubBuildRule(tag: "nightly", sourceType: .branch, sourceName: "develop"), in: path)
            let ruleID = try #require(rule.id)
            try await client.updateBuildRule(ruleID, to: HubBuildRule(tag: "nightly", sourceType: .branch, sourceName: "next"), in: path)
            #expect(try await client.buildRules(in: path).collect().first { $0.id == ruleID }?.sourceName == "next")
            try await client.deleteBuildRule(ruleID, in: path)

            let started = try await client.triggerBuild(in: path, sourceType: .branch, sourceName: "staging")
            let code = try #require(started.first?.buildCode)
            let final = try await client.waitForBuild(code, in: path, pollInterval: .milliseconds(200), timeout: .seconds(30))
            #expect(final.status == .success)
        }
    }

    // MARK: Secrets in real answers

    @Test("real refusals and dumps keep secrets out: 2FA login, unknown trigger URL, unreachable callback URL")
    func secretsStayOutOfRealErrors() async throws {
        let hub = try HubSim.required()
        try await withHubClient(hub) { client in
            let refused = await #expect(throws: HubAPIError.self) {
                try await client.login(.password(username: bob.username, password: bob.password)) { "000000" }
            }
            let error = try #require(refused)
            #expect(!error.description.contains(bob.password))
            #expect(!error.fieldErrors.values.joined().contains { $0.hasPrefix("eyJ") }, "a login_2fa_token reached the error")

            let token = try await client.login(.password(username: alice.username, password: alice.password))
            var dumped = ""
            dump(client, to: &dumped)
            dump(token, to: &dumped)
            #expect(!dumped.contains(token.accessToken))
            #expect(!dumped.contains(alice.password))

            let secret = "notatoken" + uniqueHubName("t")
            let trigger = try #require(URL(string: "/api/build/v1/source/\(secret)/trigger/\(secret)/call/", relativeTo: hub.url)?.absoluteURL)
            let unknown = await #expect(throws: HubAPIError.self) { try await client.triggerBuild(url: trigger) }
            #expect(unknown?.code == .notFound)
            #expect(unknown?.description.contains(secret) == false)
            #expect(unknown?.url?.hasSuffix("/<trigger URL>") == true)

            // A loopback port with nothing listening: the transport's own error must not name the path either.
            let closed = try LoopbackReceiver()
            let port = closed.url.port
            closed.stop()
            let callback = try #require(URL(string: "http://127.0.0.1:\(port ?? 9)/u/alice/x/hook/\(secret)/"))
            do {
                try await client.sendCallback(try WebhookCallback(state: .success), to: callback)
                Issue.record("a callback to a closed port succeeded")
            } catch {
                #expect(!String(describing: error).contains(secret), "\(error)")
            }
        }
    }

    // MARK: Spec conformance (last)

    @Test("hubsim's request log shows no request of ours that violated the official spec")
    func specConformance() async throws {
        let hub = try HubSim.required()
        // A control: a request that breaks the spec on purpose (page_size above 100) must be found by the check.
        let probe = try await withHubClient(hub, pageSize: 100, userAgent: "spec-probe/\(UUID().uuidString)") { client in
            let error = await #expect(throws: HubAPIError.self) {
                _ = try await client.repositories(in: "alice", pageSize: 500).collect()
            }
            #expect(error?.code == .invalidRequest)
            #expect(error?.fieldErrors["page_size"] != nil)
            return client.configuration.userAgent
        }
        let all = try await hub.specViolations()
        #expect(all.contains { $0["user_agent"]?.string == probe }, "the spec check found no violation in a deliberate one")
        // Ours: these tests' clients and the dockyard CLI's HubClient (other suites' traffic is theirs to check).
        let violations = all.filter {
            let agent = $0["user_agent"]?.string ?? ""
            return agent.hasPrefix("dockyard-tests/hub") || agent.contains("(HubAPI)")
        }
        #expect(violations.isEmpty, "spec violations: \(violations.prefix(5).map(\.description))")
    }
}

actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
