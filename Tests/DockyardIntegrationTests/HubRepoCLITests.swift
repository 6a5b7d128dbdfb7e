import DockyardTestSupport
import Foundation
import Testing

/// `dockyard hub repo …` and `dockyard hub tag inspect`: immutable tags, stars, categories, descriptions and tag
/// details, run as a script would run them, against hubsim.
@Suite("dockyard hub repository detail commands against hubsim", .serialized, .requiresHubSim, .tags(.integration),
       .enabled(if: DockyardCLI.locate() != nil || TestServices.areRequired, "dockyard is not built"))
struct HubRepoCLITests {
    func loggedIn(_ hub: HubSim, config: URL, as user: String = "carol", password: String = HubSim.carol.password) async throws -> DockyardCLI {
        let cli = try DockyardCLI(environment: ["DOCKYARD_HUB_URL": hub.url.absoluteString, "DOCKER_CONFIG": config.path])
        let login = try await cli.run(["hub", "login", "-u", user, "--password-stdin"], stdin: Data(password.utf8))
        try #require(login.status == 0, "\(login.stderrText)")
        return cli
    }

    @Test("immutable-tags show/enable/rules/verify/disable: a protected tag cannot be deleted")
    func immutableTags() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/" + uniqueHubName("imm")
            #expect(try await cli.run("hub", "repo", "create", name).status == 0)
            for tag in ["v1", "v2", "latest"] { _ = try await hub.push(repository: name, tag: tag, pusher: "carol") }

            let shown = try await cli.run("hub", "repo", "immutable-tags", "show", name)
            #expect(shown.status == 0, "\(shown.stderrText)")
            #expect(shown.stdoutLines.first == "Immutable tags: off")

            let enabled = try TestJSON(parsing: try await cli.run("hub", "repo", "immutable-tags", "enable", name, "--rule", "v.*", "--json").stdoutText)
            #expect(enabled["enabled"]?.bool == true)
            #expect(enabled["rules"]?.array?.compactMap(\.string) == ["v.*"])
            let verified = try await cli.run("hub", "repo", "immutable-tags", "verify", name, "v.*", "--json")
            #expect(verified.status == 0, "\(verified.stderrText)")
            #expect(try TestJSON(parsing: verified.stdoutText)["tags"]?.array?.compactMap(\.string) == ["v1", "v2"])
            let plain = try await cli.run("hub", "repo", "immutable-tags", "verify", name, "lat.*")
            #expect(plain.stdoutLines.filter { !$0.isEmpty } == ["latest"])
            #expect(try await cli.run("hub", "repo", "immutable-tags", "verify", name, "(").status == 1, "not a regular expression")

            let protected = try await cli.run("hub", "tag", "delete", "\(name):v1")
            #expect(protected.status == 1, "an immutable tag cannot be deleted")

            let rules = try TestJSON(parsing: try await cli.run("hub", "repo", "immutable-tags", "rules", name, "--rule", "latest", "--rule", "v2", "--json").stdoutText)
            #expect(rules["enabled"]?.bool == true, "replacing the rules keeps immutability on")
            #expect(rules["rules"]?.array?.compactMap(\.string) == ["latest", "v2"])
            #expect(try await cli.run("hub", "repo", "immutable-tags", "rules", name).status == 2)

            let disabled = try TestJSON(parsing: try await cli.run("hub", "repo", "immutable-tags", "disable", name, "--json").stdoutText)
            #expect(disabled["enabled"]?.bool == false)
            #expect(disabled["rules"]?.array?.compactMap(\.string) == ["latest", "v2"], "disabling keeps the rules")
            let again = try TestJSON(parsing: try await cli.run("hub", "repo", "immutable-tags", "enable", name, "--json").stdoutText)
            #expect(again["rules"]?.array?.compactMap(\.string) == ["latest", "v2"], "enable without --rule keeps the rules")
            #expect(try await cli.run("hub", "tag", "delete", "\(name):v1").status == 0, "v1 no longer matches a rule")
            #expect(try await cli.run("hub", "repo", "immutable-tags", "disable", name).status == 0)
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
        }
    }

    @Test("tag inspect: digest, platforms, sizes, last pushed and by whom, last pulled")
    func tagInspect() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/" + uniqueHubName("insp")
            #expect(try await cli.run("hub", "repo", "create", name).status == 0)
            _ = try await hub.push(repository: name, tag: "v1", pusher: "dave", platforms: ["linux/amd64", "linux/arm64/v8"])

            let json = try await cli.run("hub", "tag", "inspect", "\(name):v1", "--json")
            #expect(json.status == 0, "\(json.stderrText)")
            let tag = try TestJSON(parsing: json.stdoutText)
            let digest = try #require(tag["digest"]?.string)
            #expect(digest.hasPrefix("sha256:"))
            let images = tag["images"]?.array ?? []
            #expect(images.count == 2)
            #expect(tag["last_updater_username"]?.string == "dave")
            let sizes = images.compactMap { $0["size"]?.int }
            #expect(sizes.count == 2 && tag["full_size"]?.int == sizes.reduce(0, +))

            let text = try await cli.run("hub", "tag", "inspect", "\(name):v1")
            #expect(text.status == 0, "\(text.stderrText)")
            #expect(text.stdoutLines.contains("Digest:       \(digest)"))
            #expect(text.stdoutLines.contains { $0.hasPrefix("Last pushed:  ") && $0.hasSuffix(" by dave") })
            #expect(text.stdoutLines.contains { $0.hasPrefix("Last pulled:  ") })
            #expect(text.stdoutLines.contains { $0.hasPrefix("linux/arm64/v8 ") })
            #expect(text.stdoutLines.contains { $0.hasPrefix("linux/amd64 ") })

            #expect(try await cli.run("hub", "tag", "inspect", "\(name):nope").status == 1)
            #expect(try await cli.run("hub", "tag", "inspect", name).status == 2)
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
        }
    }

    @Test("star and unstar; categories (listing only); descriptions")
    func starsCategoriesDescriptions() async throws {
        let hub = try HubSim.required()
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config, as: HubSim.grace.username, password: HubSim.grace.password)
            let before = try TestJSON(parsing: try await cli.run("hub", "repo", "get", "library/redis", "--json").stdoutText)
            let count = try #require(before["star_count"]?.int)
            let starred = try await cli.run("hub", "repo", "star", "library/redis", "--json")
            #expect(starred.status == 0, "\(starred.stderrText)")
            let after = try TestJSON(parsing: starred.stdoutText)
            #expect(after["has_starred"]?.bool == true)
            #expect(after["star_count"]?.int == count + 1)
            #expect(try TestJSON(parsing: try await cli.run("hub", "repo", "star", "library/redis", "--json").stdoutText)["star_count"]?.int == count + 1,
                    "starring twice counts once")
            let unstarred = try await cli.run("hub", "repo", "unstar", "library/redis")
            #expect(unstarred.status == 0, "\(unstarred.stderrText)")
            #expect(unstarred.stdoutLines.first == "Unstarred library/redis (\(count) stars)")
            #expect(try await cli.run("hub", "repo", "star", "alice/private-notes").status == 1, "a private repository grace cannot see")

            let categories = try await cli.run("hub", "repo", "categories", "library/nginx", "--json")
            #expect(categories.status == 0, "\(categories.stderrText)")
            let items = try TestJSON(parsing: categories.stdoutText).array ?? []
            #expect(!items.isEmpty && items.allSatisfy { $0["slug"]?.string?.isEmpty == false && $0["name"] != nil })
            let table = try await cli.run("hub", "repo", "categories", "library/nginx")
            #expect(table.stdoutLines.first?.hasPrefix("CATEGORY") == true)
            let set = try await cli.run("hub", "repo", "categories", "library/nginx", "--set", "databases")
            #expect(set.status == 1)
            #expect(set.stderrText.contains("Docker Hub's API offers no call to change a repository's categories"))
        }
        try await TemporaryDirectory.with { config in
            let cli = try await loggedIn(hub, config: config)
            let name = "acme/" + uniqueHubName("desc")
            #expect(try await cli.run("hub", "repo", "create", name, "--description", "short one").status == 0)
            let readme = config.appendingPathComponent("README.md")
            try Data("# Title\n\nBody text.\n".utf8).write(to: readme)
            #expect(try await cli.run("hub", "repo", "update", name, "--full-description-file", readme.path).status == 0)
            let full = try await cli.run("hub", "repo", "description", name, "--full")
            #expect(full.status == 0, "\(full.stderrText)")
            #expect(full.stdoutText == "# Title\n\nBody text.\n")
            let json = try TestJSON(parsing: try await cli.run("hub", "repo", "description", name, "--json").stdoutText)
            #expect(json["description"]?.string == "short one")
            #expect(json["full_description"]?.string == "# Title\n\nBody text.\n")
            let text = try await cli.run("hub", "repo", "description", name)
            #expect(text.stdoutLines.first == "Description: short one")
            #expect(try await cli.run("hub", "repo", "delete", name).status == 0)
        }
    }
}
