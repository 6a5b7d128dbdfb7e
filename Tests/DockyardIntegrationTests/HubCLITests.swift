import DockyardTestSupport
import Foundation
import Testing

/// The `dockyard search` and `dockyard hub …` commands, run as a script would run them, against hubsim.
@Suite("dockyard hub CLI against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubCLITests {
    func cli(_ hub: HubSim, config: URL) throws -> DockyardCLI {
        try DockyardCLI(environment: ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path])
    }

    @Test("search: docker search columns, filters, truncation, JSON array")
    func search() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try cli(hub, config: config)
            let json = try await cli.run("search", "nginx", "--limit", "5", "--json")
            #expect(json.status == 0)
            let results = try TestJSON(parsing: json.stdoutText).array ?? []
            #expect(!results.isEmpty && results.count <= 5)

            let official = try await cli.run("search", "nginx", "--filter", "is-official=true")
            #expect(official.status == 0)
            let lines = official.stdoutLines.filter { !$0.isEmpty }
            #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"])
            #expect(lines.dropFirst().allSatisfy { $0.contains("[OK]") })
            #expect(lines.dropFirst().contains { $0.hasPrefix("nginx ") })

            // docker's own layout, line by line: Go's tabwriter with minwidth 10 and padding 3 over
            // NAME, DESCRIPTION (45 characters at most), STARS, OFFICIAL ([OK] or empty) and AUTOMATED.
            let table = try await cli.run("search", "nginx", "--limit", "5")
            let rows = try await cli.run("search", "nginx", "--limit", "5", "--json")
            let items = try TestJSON(parsing: rows.stdoutText).array ?? []
            let cells: [[String]] = [["NAME", "DESCRIPTION", "STARS", "OFFICIAL", "AUTOMATED"]] + items.map { item in
                let description = (item["description"]?.string ?? "").replacingOccurrences(of: "\n", with: " ")
                let shown = description.count > 45 ? String(description.prefix(44)) + "…" : description
                return [item["name"]?.string ?? "", shown, String(item["star_count"]?.int ?? 0),
                        item["is_official"]?.bool == true ? "[OK]" : "", item["is_automated"]?.bool == true ? "[OK]" : ""]
            }
            let widths = (0..<4).map { column in max(10, (cells.map { $0[column].unicodeScalars.count }.max() ?? 0) + 3) }
            let expected = cells.map { row in
                (0..<4).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].unicodeScalars.count) }.joined() + row[4]
            }
            #expect(table.stdoutLines.filter { !$0.isEmpty } == expected)

            // --format: docker's placeholders, plain and as a table.
            let plain = try await cli.run("search", "nginx", "--limit", "5", "--format", "{{.Name}}: {{.StarCount}} {{.IsOfficial}}")
            #expect(plain.stdoutLines.filter { !$0.isEmpty } == items.map { item in
                "\(item["name"]?.string ?? ""): \(item["star_count"]?.int ?? 0) \(item["is_official"]?.bool == true ? "[OK]" : "")"
            })
            let named = try await cli.run("search", "nginx", "--limit", "5", "--format", "table {{.Name}}\\t{{.IsAutomated}}")
            let nameWidth = max(10, (cells.map { $0[0].unicodeScalars.count }.max() ?? 0) + 3)
            #expect(named.stdoutLines.filter { !$0.isEmpty } == cells.map { $0[0] + String(repeating: " ", count: nameWidth - $0[0].unicodeScalars.count) + $0[4] })
            #expect(try await cli.run("search", "nginx", "--format", "{{.Nope}}").status == 2)

            let truncated = try await cli.run("search", "python", "--limit", "1", "--filter", "is-official=true")
            #expect(truncated.stdoutText.contains("…"))
            let full = try await cli.run("search", "python", "--limit", "1", "--filter", "is-official=true", "--no-trunc")
            #expect(!full.stdoutText.contains("…"))
            #expect(full.stdoutText.contains("Python is an interpreted, interactive, object-oriented"))

            #expect(try await cli.run("search", "nginx", "--filter", "stars=many").status == 2)
            #expect(try await cli.run("search", "nginx", "--limit", "500").status == 2)
        }
    }

    @Test("hub login with --otp keeps the session: later commands need no code; logout forgets it")
    func twoFactorSession() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try cli(hub, config: config)
            let password = Data((HubSim.bob.password + "\n").utf8)
            let refused = try await cli.run(["hub", "login", "-u", "bob", "--password-stdin"], stdin: password)
            #expect(refused.status == 1)
            #expect(refused.stderrText.contains("two-factor"))

            let login = try await cli.run(["hub", "login", "-u", "bob", "--password-stdin", "--otp", HubSim.twoFactorCode], stdin: password)
            #expect(login.status == 0, "\(login.stderrText)")
            let stored = try String(contentsOf: config.appendingPathComponent("config.json"), encoding: .utf8)
            #expect(!stored.contains(HubSim.bob.password))

            let list = try await cli.run("hub", "repo", "list", "bob", "--json")
            #expect(list.status == 0, "\(list.stderrText)")
            #expect(try TestJSON(parsing: list.stdoutText).array?.contains { $0["name"]?.string == "dotfiles" } == true)

            #expect(try await cli.run("hub", "logout").status == 0)
            let after = try await cli.run("hub", "org", "list")
            #expect(after.status == 1)
        }
    }

    @Test("hub repo, tag, team and build commands")
    func commands() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try cli(hub, config: config)
            let login = try await cli.run(["hub", "login", "-u", "carol", "--password-stdin"], stdin: Data(HubSim.carol.password.utf8))
            #expect(login.status == 0, "\(login.stderrText)")

            let name = "acme/" + "cli-" + UUID().uuidString.lowercased().prefix(8)
            let created = try await cli.run("hub", "repo", "create", name, "--private", "--json")
            #expect(created.status == 0, "\(created.stderrText)")
            #expect(try TestJSON(parsing: created.stdoutText)["is_private"]?.bool == true)
            let readme = config.appendingPathComponent("README.md")
            try Data("# CLI test\n".utf8).write(to: readme)
            let updated = try await cli.run("hub", "repo", "update", name, "--description", "from the CLI", "--full-description-file", readme.path, "--public", "--json")
            #expect(updated.status == 0, "\(updated.stderrText)")
            let got = try TestJSON(parsing: try await cli.run("hub", "repo", "get", name, "--json").stdoutText)
            #expect(got["description"]?.string == "from the CLI")
            #expect(got["is_private"]?.bool == false)
            try await hub.push(repository: name, tag: "v1", pusher: "carol")
            let tags = try TestJSON(parsing: try await cli.run("hub", "tag", "list", name, "--json").stdoutText)
            #expect(tags.array?.map { $0["name"]?.string } == ["v1"])
            #expect(try await cli.run("hub", "tag", "delete", "\(name):v1").status == 0)
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
            #expect(try await cli.run("hub", "repo", "get", name).status == 1)

            let ordered = try await cli.run("hub", "repo", "list", "acme", "--ordering", "-name", "--json")
            #expect(ordered.status == 0, "\(ordered.stderrText)")
            let names = try TestJSON(parsing: ordered.stdoutText).array?.compactMap { $0["name"]?.string } ?? []
            #expect(!names.isEmpty && names == names.sorted(by: >))
            #expect(try await cli.run("hub", "repo", "list", "acme", "--ordering", "stars").status == 2)

            let teams = try TestJSON(parsing: try await cli.run("hub", "team", "list", "acme", "--json").stdoutText)
            #expect(teams.array?.contains { $0["name"]?.string == "qa" } == true)
            let grant = try await cli.run("hub", "team", "grant", "acme", "qa", "acme/api", "--permission", "read", "--json")
            #expect(grant.status == 0, "\(grant.stderrText)")
            #expect(try await cli.run("hub", "team", "grant", "acme", "qa", "acme/api", "--permission", "owner").status == 2)

            let trigger = try await cli.run("hub", "build", "trigger-url",
                hub.endpoint("/u/acme/builder/trigger/6f1f2c8e-3b4a-4c5d-9e6f-7a8b9c0d1e2f/").absoluteString,
                "--source-type", "Branch", "--source-name", "staging")
            #expect(trigger.status == 0, "\(trigger.stderrText)")
            let wait = try await cli.run("hub", "build", "wait", "acme/builder", "--json")
            #expect(wait.status == 0, "\(wait.stderrText)")
            #expect(try TestJSON(parsing: wait.stdoutText)["status"]?.string == "success")
        }
    }
}
