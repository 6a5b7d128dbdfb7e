import DockyardTestSupport
import Foundation
import Testing

/// The remaining `dockyard hub …` commands (organizations, members, team members, tokens, webhook list), and the
/// spec check over the CLI's traffic, against hubsim.
@Suite("dockyard hub account commands against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubAccountCLITests {
    func loggedIn(_ hub: HubSim, config: URL) async throws -> DockyardCLI {
        let cli = try DockyardCLI(environment: ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path])
        let login = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: Data(HubSim.carol.password.utf8))
        try #require(login.status == 0, "\(login.stderrText)")
        return cli
    }

    @Test("org list/get; member list/set-role/remove/export; team member list/add/remove; team delete")
    func organizations() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let orgs = try await cli.run("hub", "org", "list", "--json")
            #expect(orgs.status == 0, "\(orgs.stderrText)")
            #expect(try TestJSON(parsing: orgs.stdoutText).array?.contains { $0["orgname"]?.string == "acme" } == true)
            let org = try await cli.run("hub", "org", "get", "acme")
            #expect(org.status == 0, "\(org.stderrText)")
            #expect(org.stdoutText.contains("acme"))

            let members = try TestJSON(parsing: try await cli.run("hub", "member", "list", "acme", "--json").stdoutText).array ?? []
            let usernames = Set(members.compactMap { $0["username"]?.string })
            #expect(usernames.isSuperset(of: ["carol", "dave", "erin", "frank"]))
            let owners = try TestJSON(parsing: try await cli.run("hub", "member", "list", "acme", "--role", "owner", "--json").stdoutText).array ?? []
            #expect(owners.compactMap { $0["username"]?.string } == ["carol"])

            // heidi is seeded for this test alone: adding her to a team makes her a member.
            let team = "t" + UUID().uuidString.lowercased().prefix(8)
            #expect(try await cli.run("hub", "team", "create", "acme", team).status == 0)
            let added = try await cli.run("hub", "team", "member", "add", "acme", team, HubSim.heidi.username)
            #expect(added.status == 0, "\(added.stderrText)")
            let teamMembers = try TestJSON(parsing: try await cli.run("hub", "team", "member", "list", "acme", team, "--json").stdoutText).array ?? []
            #expect(teamMembers.compactMap { $0["username"]?.string } == [HubSim.heidi.username])
            let promoted = try await cli.run("hub", "member", "set-role", "acme", HubSim.heidi.username, "--role", "editor", "--json")
            #expect(promoted.status == 0, "\(promoted.stderrText)")
            #expect(try TestJSON(parsing: promoted.stdoutText)["role"]?.string?.lowercased() == "editor")
            #expect(try await cli.run("hub", "member", "set-role", "acme", "carol", "--role", "member").status == 1, "the last owner stays")

            let export = try await cli.run("hub", "member", "export", "acme")
            #expect(export.status == 0, "\(export.stderrText)")
            #expect(export.stdoutText.contains(HubSim.heidi.username) && export.stdoutText.contains("carol"))

            #expect(try await cli.run("hub", "team", "member", "remove", "acme", team, HubSim.heidi.username).status == 0)
            #expect((try TestJSON(parsing: try await cli.run("hub", "team", "member", "list", "acme", team, "--json").stdoutText).array ?? []).isEmpty)
            let removed = try await cli.run("hub", "member", "remove", "acme", HubSim.heidi.username)
            #expect(removed.status == 0, "\(removed.stderrText)")
            let after = try TestJSON(parsing: try await cli.run("hub", "member", "list", "acme", "--json").stdoutText).array ?? []
            #expect(!after.contains { $0["username"]?.string == HubSim.heidi.username })

            #expect(try await cli.run("hub", "team", "delete", "acme", team).status == 0)
            let teams = try TestJSON(parsing: try await cli.run("hub", "team", "list", "acme", "--json").stdoutText).array ?? []
            #expect(!teams.contains { $0["name"]?.string == team })
        }
    }

    @Test("token list/create/update/revoke; webhook list")
    func tokensAndWebhooks() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let label = uniqueHubName("tok")
            let created = try await cli.run("hub", "token", "create", "--label", label, "--scope", "repo:read", "--json")
            #expect(created.status == 0, "\(created.stderrText)")
            let uuid = try #require(try TestJSON(parsing: created.stdoutText)["uuid"]?.string)
            let listed = try TestJSON(parsing: try await cli.run("hub", "token", "list", "--json").stdoutText).array ?? []
            #expect(listed.contains { $0["uuid"]?.string == uuid })
            let deactivated = try await cli.run("hub", "token", "update", uuid, "--inactive", "--label", label + "-off", "--json")
            #expect(deactivated.status == 0, "\(deactivated.stderrText)")
            #expect(try TestJSON(parsing: deactivated.stdoutText)["is_active"]?.bool == false)
            #expect(try await cli.run("hub", "token", "revoke", uuid).status == 0)
            #expect(try await cli.run("hub", "token", "inspect", uuid).status == 1)
            let oats = try await cli.run("hub", "token", "list", "--org", "acme", "--json")
            #expect(oats.status == 0, "\(oats.stderrText)")
            #expect(try TestJSON(parsing: oats.stdoutText).array?.isEmpty == false)

            let hooks = try await cli.run("hub", "webhook", "list", "alice/webapp")
            #expect(hooks.status == 1, "carol does not administer alice/webapp")
            let name = "acme/" + uniqueHubName("wl")
            #expect(try await cli.run("hub", "repo", "create", name).status == 0)
            #expect(try await cli.run("hub", "webhook", "create", name, "ci", "--url", "https://ci.example.com/x").status == 0)
            let list = try await cli.run("hub", "webhook", "list", name)
            #expect(list.status == 0, "\(list.stderrText)")
            #expect(list.stdoutLines.first?.hasPrefix("NAME") == true)
            #expect(list.stdoutLines.contains { $0.hasPrefix("ci ") && $0.hasSuffix("https://ci.example.com/x") })
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
        }
    }

    @Test("hubsim's spec check finds no request of the dockyard CLI that violated Docker's spec")
    func specConformance() async throws {
        let hub = try HubSim.required()
        // Some traffic of every kind first, so that the check has something to look at even when run alone.
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            #expect(try await cli.run("hub", "repo", "list", "acme").status == 0)
            #expect(try await cli.run("hub", "tag", "list", "library/nginx").status == 0)
            #expect(try await cli.run("hub", "repo", "immutable-tags", "verify", "acme/api", "v.*").status == 0)
        }
        let all = try await hub.specViolations()
        let ours = all.filter { ($0["user_agent"]?.string ?? "").contains("(HubAPI)") }
        #expect(ours.isEmpty, "spec violations of the CLI: \(ours.prefix(5).map(\.description))")
        let logged = try await hub.requestLog().filter { ($0["user_agent"]?.string ?? "").contains("(HubAPI)") && $0["spec_operation"] != nil }
        #expect(!logged.isEmpty, "the CLI's requests to spec routes are in hubsim's log and were checked")
    }
}
