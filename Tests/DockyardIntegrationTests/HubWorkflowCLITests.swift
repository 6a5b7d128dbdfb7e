import DockyardTestSupport
import Foundation
import Testing

/// The issue-12 `dockyard hub …` commands, run as a script would run them, against hubsim.
@Suite("dockyard hub workflow commands against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubWorkflowCLITests {
    func loggedIn(_ hub: HubSim, config: URL) async throws -> DockyardCLI {
        let cli = try DockyardCLI(environment: ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path])
        let login = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: Data(HubSim.carol.password.utf8))
        try #require(login.status == 0, "\(login.stderrText)")
        return cli
    }

    @Test("whoami, org settings, invites list/cancel/resend, audit-log, team update/permissions/revoke, token inspect")
    func accountCommands() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let whoami = try await cli.run("hub", "whoami")
            #expect(whoami.status == 0, "\(whoami.stderrText)")
            #expect(whoami.stdoutLines.first == "carol")
            #expect(try TestJSON(parsing: try await cli.run("hub", "whoami", "--json").stdoutText)["username"]?.string == "carol")

            let settings = try await cli.run("hub", "org", "settings", "acme", "--json")
            #expect(settings.status == 0, "\(settings.stderrText)")
            #expect(try TestJSON(parsing: settings.stdoutText)["restricted_images"] != nil)

            let invitee = "cli-" + UUID().uuidString.lowercased().prefix(8) + "@example.com"
            #expect(try await cli.run("hub", "invite", "acme", invitee).status == 0)
            let invites = try TestJSON(parsing: try await cli.run("hub", "invites", "list", "acme", "--json").stdoutText).array ?? []
            let invite = try #require(invites.first { $0["invitee"]?.string == invitee })
            let id = try #require(invite["id"]?.string)
            let resent = try await cli.run("hub", "invites", "resend", id)
            #expect(resent.status == 0, "\(resent.stderrText)")
            #expect(try await cli.run("hub", "invites", "cancel", id).status == 0)
            let after = try TestJSON(parsing: try await cli.run("hub", "invites", "list", "acme", "--json").stdoutText).array ?? []
            #expect(!after.contains { $0["invitee"]?.string == invitee })

            let log = try await cli.run("hub", "audit-log", "acme", "--limit", "5", "--json")
            #expect(log.status == 0, "\(log.stderrText)")
            #expect((try TestJSON(parsing: log.stdoutText).array?.count ?? 99) <= 5)
            #expect(try await cli.run("hub", "audit-log", "acme", "--limit", "0").status == 2)

            let team = "t" + UUID().uuidString.lowercased().prefix(8)
            #expect(try await cli.run("hub", "team", "create", "acme", team).status == 0)
            let renamed = try await cli.run("hub", "team", "update", "acme", team, "--description", "from the CLI", "--json")
            #expect(renamed.status == 0, "\(renamed.stderrText)")
            #expect(try TestJSON(parsing: renamed.stdoutText)["description"]?.string == "from the CLI")
            #expect(try await cli.run("hub", "team", "update", "acme", team).status == 2)
            #expect(try await cli.run("hub", "team", "grant", "acme", team, "acme/api", "--permission", "write").status == 0)
            let permissions = try TestJSON(parsing: try await cli.run("hub", "team", "permissions", "acme/api", "--json").stdoutText).array ?? []
            #expect(permissions.contains { $0["team_name"]?.string == team || $0["group_name"]?.string == team })
            let revoked = try await cli.run("hub", "team", "revoke", "acme", team, "acme/api")
            #expect(revoked.status == 0, "\(revoked.stderrText)")
            let remaining = try TestJSON(parsing: try await cli.run("hub", "team", "permissions", "acme/api", "--json").stdoutText).array ?? []
            #expect(remaining.count == permissions.count - 1)

            let created = try await cli.run("hub", "token", "create", "--label", "inspect-me", "--scope", "repo:read", "--json")
            #expect(created.status == 0, "\(created.stderrText)")
            let uuid = try #require(try TestJSON(parsing: created.stdoutText)["uuid"]?.string)
            let inspected = try await cli.run("hub", "token", "inspect", uuid, "--json")
            #expect(inspected.status == 0, "\(inspected.stderrText)")
            let token = try TestJSON(parsing: inspected.stdoutText)
            #expect(token["token_label"]?.string == "inspect-me" || token["label"]?.string == "inspect-me")
            #expect(token["token"]?.string?.isEmpty ?? true, "the secret is never shown again")
        }
    }

    @Test("webhook get and update (rename, change the URL, add and remove hooks); build logs")
    func webhookAndBuildCommands() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/wh-" + UUID().uuidString.lowercased().prefix(8)
            #expect(try await cli.run("hub", "repo", "create", name).status == 0)
            let created = try await cli.run("hub", "webhook", "create", name, "ci", "--url", "https://ci.example.com/hook", "--json")
            #expect(created.status == 0, "\(created.stderrText)")
            let slug = try #require(try TestJSON(parsing: created.stdoutText)["slug"]?.string)

            let got = try TestJSON(parsing: try await cli.run("hub", "webhook", "get", name, slug, "--json").stdoutText)
            #expect(got["webhooks"]?[0]?["hook_url"]?.string == "https://ci.example.com/hook")

            let updated = try await cli.run(
                "hub", "webhook", "update", name, slug, "--name", "ci2", "--url", "https://ci.example.com/v2",
                "--add-hook", "chat=https://chat.example.com/x", "--json")
            #expect(updated.status == 0, "\(updated.stderrText)")
            let pipeline = try TestJSON(parsing: updated.stdoutText)
            #expect(pipeline["name"]?.string == "ci2")
            #expect(pipeline["webhooks"]?.array?.compactMap { $0["hook_url"]?.string } == ["https://ci.example.com/v2", "https://chat.example.com/x"])
            let removed = try await cli.run("hub", "webhook", "update", name, slug, "--remove-hook", "chat", "--json")
            #expect(try TestJSON(parsing: removed.stdoutText)["webhooks"]?.array?.count == 1)
            #expect(try await cli.run("hub", "webhook", "update", name, slug, "--url", "ftp://x").status == 2)
            #expect(try await cli.run("hub", "webhook", "delete", name, slug).status == 0)
            #expect(try await cli.run("hub", "webhook", "get", name, slug).status == 1)

            let history = try TestJSON(parsing: try await cli.run("hub", "build", "history", "acme/builder", "--limit", "1", "--json").stdoutText)
            if let code = history.array?.first?["build_code"]?.string {
                let logs = try await cli.run("hub", "build", "logs", "acme/builder", code)
                #expect(logs.status == 0, "\(logs.stderrText)")
                #expect(!logs.stdoutText.isEmpty)
            }
            #expect(try await cli.run("hub", "build", "logs", "acme/builder", "no-such-build").status == 1)
        }
    }
}
