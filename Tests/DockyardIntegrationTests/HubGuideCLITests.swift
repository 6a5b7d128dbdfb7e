import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The article "Docker Hub from start to finish" (Documentation/Dockyard.docc/Articles/DockerHubGuide.md), run
/// command by command with the `dockyard` binary only, as the article shows the commands: the Hub API and the registry
/// are chosen by `DOCKYARD_HUB_URL` and `DOCKYARD_ENDPOINTS=docker.io=…`, as its first section says. Each `step` is
/// the article's section of the same number; names carry a unique suffix (`acme/app` is `acme/app-ID` here).
@Suite("The Docker Hub guide with dockyard", .requiresHubSim, .requiresLocalHub, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubGuideCLITests {
    @Test("search, pull by tag and digest, login, push, private, team grant, build create with two rules, webhook serve, trigger by URL, build wait, delivery printed, clean up",
          .timeLimit(.minutes(5)))
    func guide() async throws {
        try await HubGuideWorld.with { world in
            try await TemporaryDirectory.with(prefix: "hub-guide-cli") { scratch in
                do {
                    try await walk(world, scratch: scratch)
                } catch {
                    await world.cleanUp()
                    throw error
                }
            }
        }
    }

    func walk(_ world: HubGuideWorld, scratch: URL) async throws {
        let config = scratch.appendingPathComponent("docker-config")
        let environment = [
            "DOCKYARD_HUB_URL": world.hub.url.absoluteString, "DOCKYARD_ENDPOINTS": world.endpoints, "DOCKER_CONFIG": config.path,
        ]
        let cli = try DockyardCLI(environment: environment)
        let layout = scratch.appendingPathComponent("alpine").path
        let alpine = world.alpine, myapp = world.myapp.description, app = world.app.description, team = world.team
        let password = Data(world.carol.password.utf8)

        try await step("1. Search") {
            let table = try await cli.run("search", "alpine", "--limit", "5")
            #expect(table.status == 0, "\(table.stderrText)")
            #expect(table.stdoutLines.first?.split(separator: " ", omittingEmptySubsequences: true)
                    == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"])
            #expect((2...6).contains(table.stdoutLines.count))
            let formatted = try await cli.run("search", "alpine", "--filter", "is-official=true", "--format", "{{.Name}}: {{.StarCount}}")
            #expect(formatted.status == 0, "\(formatted.stderrText)")
            #expect(formatted.stdoutLines.first?.hasPrefix("alpine: ") == true, "\(formatted.stdoutLines)")
        }

        try await step("2. Pull by tag and by digest") {
            let byTag = try await cli.run("pull", "\(alpine):\(world.alpineTag)", "--layout", layout)
            #expect(byTag.status == 0, "\(byTag.stderrText)")
            #expect(byTag.stdoutLines.contains("Digest: \(world.alpineDigest)"), "\(byTag.stdoutText)")
            #expect(byTag.stdoutLines.contains { $0.hasSuffix(": Pull complete") })
            let resolved = try await cli.run("resolve", "\(alpine):\(world.alpineTag)")
            #expect(resolved.stdoutLines.first == world.alpineDigest)
            let byDigest = try await cli.run("pull", "\(alpine)@\(world.alpineDigest)", "--layout", layout)
            #expect(byDigest.status == 0, "\(byDigest.stderrText)")
            #expect(byDigest.stdoutLines.contains { $0.hasSuffix(": Already exists") }, "\(byDigest.stdoutText)")
            #expect(!byDigest.stdoutLines.contains { $0.hasSuffix(": Pull complete") }, "nothing is downloaded again")
        }

        try await step("3. Log in") {
            let refused = try await cli.run(["login", "-u", "carol", "--password-stdin"], stdin: Data("wrong-password-0".utf8))
            #expect(refused.status != 0)
            let registry = try await cli.run(["login", "-u", "carol", "--password-stdin"], stdin: password)
            #expect(registry.status == 0, "\(registry.stderrText)")
            #expect(registry.stdoutLines.last == "Login Succeeded")
            let hub = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: password)
            #expect(hub.status == 0, "\(hub.stderrText)")
        }

        try await step("4. Push") {
            let pushed = try await cli.run("push", layout, "\(myapp):v1", "--layout-ref", world.alpineTag)
            #expect(pushed.status == 0, "\(pushed.stderrText)")
            #expect(pushed.stdoutLines.first == "The push refers to repository [docker.io/\(myapp)]")
            #expect(pushed.stdoutLines.contains { $0.hasPrefix("v1: digest: sha256:") }, "\(pushed.stdoutText)")
            try await world.waitForHubRepository(world.myapp, tag: "v1")
            let shown = try TestJSON(parsing: try await cli.run("hub", "repo", "get", myapp, "--json").stdoutText)
            #expect(shown["is_private"]?.bool == false, "Docker Hub creates a pushed repository public")
        }

        try await step("5. Make the repository private") {
            let updated = try await cli.run("hub", "repo", "update", myapp, "--private")
            #expect(updated.status == 0, "\(updated.stderrText)")
            let shown = try await cli.run("hub", "repo", "get", myapp)
            #expect(shown.stdoutLines.dropFirst().first?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == "private",
                    "\(shown.stdoutText)")
            #expect(try await world.isVisibleAnonymously(world.myapp) == false, "hubsim hides it from anyone else")
        }

        try await step("6. An organization, a team, and a repository for the team") {
            let orgs = try await cli.run("hub", "org", "list")
            #expect(orgs.stdoutLines.contains { $0.hasPrefix("acme ") }, "\(orgs.stdoutText)")
            #expect(try await cli.run("hub", "repo", "create", app, "--private").status == 0)
            let created = try await cli.run("hub", "team", "create", "acme", team, "--description", "Ships acme/app")
            #expect(created.status == 0, "\(created.stderrText)")
            let granted = try await cli.run("hub", "team", "grant", "acme", team, app, "--permission", "write")
            #expect(granted.status == 0, "\(granted.stderrText)")
            let listed = try await cli.run("hub", "team", "permissions", app)
            #expect(listed.stdoutLines.contains { $0.split(separator: " ", omittingEmptySubsequences: true).suffix(2) == [Substring(team), "write"] },
                    "\(listed.stdoutText)")
        }

        try await step("7. An automated build with two rules") {
            let created = try await cli.run(
                "hub", "build", "create", app, "--provider", "github", "--source-repo", world.source,
                "--rule", "source-type=branch,source-name=main,docker-tag=latest",
                "--rule", "source-type=tag,source-name=/^v[0-9.]+$/,docker-tag={sourceref}")
            #expect(created.status == 0, "\(created.stderrText)")
            let rules = try TestJSON(parsing: try await cli.run("hub", "build", "rules", app, "--json").stdoutText).array ?? []
            #expect(rules.compactMap { $0["name"]?.string } == ["latest", "{sourceref}"])
            #expect(rules.compactMap { $0["source_type"]?.string } == ["Branch", "Tag"])
        }

        // 8. The receiver runs beside the other commands, as in the article's second terminal.
        let serve = Process()
        serve.executableURL = cli.executable
        serve.arguments = ["hub", "webhook", "serve", "--address", "127.0.0.1:0", "--callback", "--count", "1", "--json"]
        serve.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let output = Pipe()
        serve.standardOutput = output
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { serve.terminate() } }
        let lines = LineReader(output.fileHandleForReading)

        try await step("8. Listen for the webhook") {
            let banner = try TestJSON(parsing: try await lines.next(timeout: .seconds(20)))
            #expect(banner["status"]?.string == "listening")
            let base = try #require(banner["url"]?.string.flatMap(URL.init(string:)))
            let created = try await cli.run("hub", "webhook", "create", app, "ci", "--url", base.appendingPathComponent("hook").absoluteString)
            #expect(created.status == 0, "\(created.stderrText)")
        }

        try await step("9. Trigger the build by URL, watch it finish, receive the webhook") {
            let shown = try await cli.run("hub", "build", "trigger-url", "show", app, "--json")
            let triggerURL = try #require(try TestJSON(parsing: shown.stdoutText)["trigger_url"]?.string, "\(shown.stderrText)")
            // The URL needs no login: call it with an empty configuration.
            let anonymous = try DockyardCLI(environment: environment.merging(["DOCKER_CONFIG": scratch.appendingPathComponent("empty").path]) { _, new in new })
            let triggered = try await anonymous.run("hub", "build", "trigger", triggerURL, "--source-type", "branch", "--source-name", "main")
            #expect(triggered.status == 0, "\(triggered.stderrText)")
            let waited = try await cli.run("hub", "build", "wait", app, "--timeout", "120")
            #expect(waited.status == 0, "\(waited.stderrText)")
            #expect(waited.stdoutLines.last?.hasSuffix(": success") == true, "\(waited.stdoutText)")

            let delivery = try TestJSON(parsing: try await lines.next(timeout: .seconds(30)))
            #expect(delivery["repository"]?.string == app)
            #expect(delivery["tag"]?.string == "latest")
            #expect(delivery["pusher"]?.string == "trustedbuilder")
            #expect(delivery["callback"]?.string == "sent", "\(delivery)")
            for _ in 0..<100 where serve.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            #expect(!serve.isRunning, "--count 1 stops after the delivery")
            #expect(serve.terminationStatus == 0)
        }

        try await step("Clean up") {
            for command in [["hub", "webhook", "delete", app, "ci"], ["hub", "team", "delete", "acme", team],
                            ["hub", "repo", "delete", app], ["hub", "repo", "delete", myapp]] {
                let result = try await cli.run(command)
                #expect(result.status == 0, "\(command.joined(separator: " ")): \(result.stderrText)")
            }
            #expect(try await cli.run("hub", "repo", "get", app).status == 1)
        }
    }

    /// Runs one step of the article; a failure names the step.
    func step(_ name: String, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            Issue.record("step \(name) failed: \(error)")
            throw error
        }
    }
}
