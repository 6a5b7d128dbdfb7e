import DockyardTestSupport
import Foundation
import Testing

/// `dockyard hub build …`: setting up automated builds, their rules and trigger URLs, starting and following
/// builds, run as a script would run them, against hubsim.
@Suite("dockyard hub build commands against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubBuildCLITests {
    func loggedIn(_ hub: HubSim, config: URL) async throws -> DockyardCLI {
        let cli = try DockyardCLI(environment: ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path])
        let login = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: Data(HubSim.carol.password.utf8))
        try #require(login.status == 0, "\(login.stderrText)")
        return cli
    }

    @Test("build create with two rules, rules, rule add/update/delete, settings; activate/deactivate/delete say the API has no such call")
    func setUpAutomatedBuilds() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/" + uniqueHubName("ab")
            let created = try await cli.run(
                "hub", "build", "create", name, "--provider", "github", "--source-repo", "acme/app-src",
                "--rule", "source-type=branch,source-name=main,docker-tag=latest",
                "--rule", "source-type=tag,source-name=/^v[0-9]{1,3}$/,docker-tag={sourceref},context=/app,dockerfile=/docker,cache=false",
                "--json")
            #expect(created.status == 0, "\(created.stderrText)")
            let settings = try TestJSON(parsing: created.stdoutText)
            #expect(settings["provider"]?.string == "github")
            #expect(settings["vcs_repo_name"]?.string == "acme/app-src")
            let rules = settings["build_tags"]?.array ?? []
            try #require(rules.count == 2)
            #expect(rules[0]["name"]?.string == "latest")
            #expect(rules[0]["source_type"]?.string == "Branch")
            #expect(rules[0]["dockerfile_location"]?.string == "/", "the Dockerfile location defaults to /")
            #expect(rules[0]["autobuild"]?.bool == true)
            #expect(rules[0]["nocache"]?.bool == false)
            #expect(rules[1]["source_name"]?.string == "/^v[0-9]{1,3}$/", "a comma inside a regular expression stays in it")
            #expect(rules[1]["source_type"]?.string == "Tag")
            #expect(rules[1]["build_context"]?.string == "/app")
            #expect(rules[1]["dockerfile_location"]?.string == "/docker")
            #expect(rules[1]["nocache"]?.bool == true)

            // The repository now exists and is an automated build.
            #expect(try await cli.run("hub", "repo", "get", name).status == 0)
            #expect(try await cli.run("hub", "build", "create", name, "--provider", "gitlab", "--source-repo", "a/b",
                                      "--rule", "source-name=main,docker-tag=latest").status == 2)
            #expect(try await cli.run("hub", "build", "create", name, "--provider", "github", "--source-repo", "a/b").status == 2)
            #expect(try await cli.run("hub", "build", "create", name, "--provider", "github", "--source-repo", "a/b",
                                      "--rule", "source-name=main").status == 2)

            let added = try await cli.run("hub", "build", "rule", "add", name, "--source-type", "branch", "--source-name", "develop",
                                          "--docker-tag", "nightly", "--dockerfile", "/ci", "--no-autobuild", "--json")
            #expect(added.status == 0, "\(added.stderrText)")
            let rule = try TestJSON(parsing: added.stdoutText)
            let id = try #require(rule["id"]?.int)
            #expect(rule["autobuild"]?.bool == false)
            #expect(rule["dockerfile_location"]?.string == "/ci")

            let updated = try await cli.run("hub", "build", "rule", "update", name, String(id), "--docker-tag", "edge", "--no-cache",
                                            "--autobuild", "--json")
            #expect(updated.status == 0, "\(updated.stderrText)")
            let changed = try TestJSON(parsing: updated.stdoutText)
            #expect(changed["name"]?.string == "edge")
            #expect(changed["nocache"]?.bool == true)
            #expect(changed["autobuild"]?.bool == true)
            #expect(changed["source_name"]?.string == "develop", "what is not given stays")
            #expect(try await cli.run("hub", "build", "rule", "update", name, String(id)).status == 2)
            #expect(try await cli.run("hub", "build", "rule", "update", name, "999999", "--docker-tag", "x").status == 1)

            let listed = try await cli.run("hub", "build", "rules", name)
            #expect(listed.status == 0, "\(listed.stderrText)")
            #expect(listed.stdoutLines.first?.split(separator: " ", omittingEmptySubsequences: true).prefix(4) == ["ID", "SOURCE", "TYPE", "SOURCE"])
            #expect(listed.stdoutText.contains("edge"))
            #expect(try TestJSON(parsing: try await cli.run("hub", "build", "rules", name, "--json").stdoutText).array?.count == 3)

            let deleted = try await cli.run("hub", "build", "rule", "delete", name, String(id))
            #expect(deleted.status == 0, "\(deleted.stderrText)")
            let after = try TestJSON(parsing: try await cli.run("hub", "build", "rules", name, "--json").stdoutText).array ?? []
            #expect(after.count == 2)
            #expect(!after.contains { $0["id"]?.int == id })

            let shown = try await cli.run("hub", "build", "settings", name)
            #expect(shown.status == 0, "\(shown.stderrText)")
            #expect(shown.stdoutLines.first == "Source: github acme/app-src (active)")

            // Docker Hub's API has no call for these: the commands exist, explain, and fail without a request.
            for action in ["activate", "deactivate", "delete"] {
                let refused = try await cli.run("hub", "build", action, name)
                #expect(refused.status == 1)
                #expect(refused.stderrText.contains("Docker Hub's API offers no call to"), "\(refused.stderrText)")
            }
            #expect(try await cli.run("hub", "build", "settings", name).status == 0, "the build is still there")
        }
    }

    @Test("trigger-url show/create/regenerate/deactivate/activate/history; build trigger by URL and by repository; wait; history")
    func triggerAndFollowBuilds() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/" + uniqueHubName("tr")
            let created = try await cli.run(
                "hub", "build", "create", name, "--provider", "bitbucket", "--source-repo", "acme/tr-src",
                "--rule", "source-type=branch,source-name=main,docker-tag=latest",
                "--rule", "source-type=tag,source-name=/^v[0-9.]+$/,docker-tag={sourceref}")
            #expect(created.status == 0, "\(created.stderrText)")

            let shown = try TestJSON(parsing: try await cli.run("hub", "build", "trigger-url", "show", name, "--json").stdoutText)
            let first = try #require(shown["trigger_url"]?.string)
            #expect(shown["active"]?.bool == true)
            let text = try await cli.run("hub", "build", "trigger-url", "show", name)
            #expect(text.stdoutLines.contains("Trigger URL:        \(first)"))

            let made = try TestJSON(parsing: try await cli.run("hub", "build", "trigger-url", "create", name, "--json").stdoutText)
            let second = try #require(made["trigger_url"]?.string)
            let regenerated = try TestJSON(parsing: try await cli.run("hub", "build", "trigger-url", "regenerate", name, "--json").stdoutText)
            let current = try #require(regenerated["trigger_url"]?.string)
            let source = try #require(regenerated["source_trigger_url"]?.string)
            #expect(current != second && second != first, "each call makes a new token")
            let stale = try await cli.run("hub", "build", "trigger", second, "--source-type", "branch", "--source-name", "main")
            #expect(stale.status == 1, "the old URL stops working")
            #expect(!stale.stderrText.contains(second), "the trigger URL is a secret: \(stale.stderrText)")

            let byURL = try await cli.run("hub", "build", "trigger", current, "--source-type", "tag", "--source-name", "v1.2")
            #expect(byURL.status == 0, "\(byURL.stderrText)")
            let bySource = try await cli.run("hub", "build", "trigger-url", source, "--docker-tag", "latest")
            #expect(bySource.status == 0, "\(bySource.stderrText)")

            let events = try TestJSON(parsing: try await cli.run("hub", "build", "trigger-url", "history", name, "--json").stdoutText).array ?? []
            #expect(events.count == 2)
            #expect(events.allSatisfy { ($0["builds"]?.array?.count ?? 0) == 1 })
            let historyTable = try await cli.run("hub", "build", "trigger-url", "history", name, "--limit", "1")
            #expect(historyTable.stdoutLines.filter { !$0.isEmpty }.count == 2)

            #expect(try await cli.run("hub", "build", "trigger-url", "deactivate", name).status == 0)
            #expect(try await cli.run("hub", "build", "trigger", current).status == 1, "a deactivated trigger starts nothing")
            let active = try TestJSON(parsing: try await cli.run("hub", "build", "trigger-url", "activate", name, "--json").stdoutText)
            #expect(active["active"]?.bool == true)
            #expect(active["trigger_url"]?.string == current, "activation keeps the token")
            #expect(try await cli.run("hub", "build", "trigger", current).status == 0)

            // Plain HTTP off loopback is refused before anything is sent (the URL is the secret).
            #expect(try await cli.run("hub", "build", "trigger", "http://hub.example.com/u/a/b/trigger/x/").status == 2)
            #expect(try await cli.run("hub", "build", "trigger", name).status == 2, "NS/NAME needs --source-name")
            #expect(try await cli.run("hub", "build", "trigger", name, "--source-name", "main", "--docker-tag", "x").status == 2)

            let started = try await cli.run("hub", "build", "trigger", name, "--source-type", "branch", "--source-name", "main", "--wait", "--json")
            #expect(started.status == 0, "\(started.stderrText)")
            let builds = try TestJSON(parsing: started.stdoutText).array ?? []
            #expect(builds.count == 1)
            #expect(builds.first?["status"]?.string == "success")
            #expect(builds.first?["dockertag_name"]?.string == "latest")

            let history = try TestJSON(parsing: try await cli.run("hub", "build", "history", name, "--json").stdoutText).array ?? []
            #expect(history.count >= 5)
            let newest = try #require(history.first?["build_code"]?.string)
            let waited = try await cli.run("hub", "build", "wait", name, newest, "--timeout", "120")
            #expect(waited.status == 0, "\(waited.stderrText)")
            #expect(waited.stdoutLines.last == "\(newest): success")
            let logs = try await cli.run("hub", "build", "logs", name, newest)
            #expect(logs.stdoutText.contains("Build finished"))
            #expect(try await cli.run("hub", "build", "wait", name, "--timeout", "0").status == 2)
        }
    }
}
