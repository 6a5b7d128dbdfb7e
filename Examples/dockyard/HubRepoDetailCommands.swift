import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub.Repo {
    /// `dockyard hub repo description NS/NAME [--full]`
    struct Description: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a repository's short and full descriptions (change them with `dockyard hub repo update`).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Flag(help: "Print only the full description (Markdown), as stored.") var full = false

        /// The descriptions as `--json` prints them.
        struct Descriptions: Encodable {
            var repository: String
            var description: String?
            var fullDescription: String?
            enum CodingKeys: String, CodingKey { case repository, description, fullDescription = "full_description" }
        }

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let item = try await HubCLI.withClient(global, hub) { client in try await client.repository(path) }
            let descriptions = Descriptions(repository: item.fullName, description: item.description, fullDescription: item.fullDescription)
            if full, !global.json {
                if !global.quiet { Output.raw(Array((item.fullDescription ?? "").utf8)) }
                return
            }
            try HubCLI.printObject(descriptions, global: global) {
                "Description: \(item.description ?? "")\n\n\(item.fullDescription ?? "")"
            }
        }
    }

    /// `dockyard hub repo categories NS/NAME [--set SLUG]…`
    struct Categories: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a repository's categories (Docker Hub's API can list them, not change them).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Option(help: ArgumentHelp("Set categories: Docker Hub's API has no such call, so this explains and fails.", valueName: "SLUG"))
        var set: [String] = []

        func run() async throws {
            let path = try HubCLI.repository(repository)
            guard set.isEmpty else {
                Output.diagnostic(
                    "dockyard: Docker Hub's API offers no call to change a repository's categories (its published API specification "
                        + "only lists them); set them in Docker Hub's web interface: the repository's General settings")
                throw CommandFailure(status: 1)
            }
            let item = try await HubCLI.withClient(global, hub) { client in try await client.repository(path) }
            try HubCLI.printList(item.categories, global: global, headers: ["CATEGORY", "SLUG"]) { [$0.name, $0.slug] }
        }
    }

    /// `dockyard hub repo star NS/NAME`
    struct Star: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Star a repository.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let item = try await HubCLI.withClient(global, hub) { client in
                try await client.star(path)
                return try await client.repository(path)
            }
            try HubCLI.printObject(item, global: global) { "Starred \(item.fullName) (\(item.starCount ?? 0) stars)" }
        }
    }

    /// `dockyard hub repo unstar NS/NAME`
    struct Unstar: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take your star away from a repository.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let item = try await HubCLI.withClient(global, hub) { client in
                try await client.unstar(path)
                return try await client.repository(path)
            }
            try HubCLI.printObject(item, global: global) { "Unstarred \(item.fullName) (\(item.starCount ?? 0) stars)" }
        }
    }

    /// `dockyard hub repo immutable-tags show|enable|disable|rules|verify`
    struct ImmutableTags: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "immutable-tags", abstract: "Tags that cannot be overwritten or deleted once pushed.",
            subcommands: [Show.self, Enable.self, Disable.self, Rules.self, Verify.self])

        static func printSettings(_ repository: HubRepository, _ global: GlobalOptions, verb: String? = nil) throws {
            let settings = repository.immutableTagsSettings ?? HubImmutableTagsSettings(enabled: false, rules: [])
            try HubCLI.printObject(settings, global: global) {
                (verb.map { "\($0) \(repository.fullName)\n" } ?? "")
                    + "Immutable tags: \(settings.enabled ? "on" : "off")\n"
                    + "Rules:          \(settings.rules.isEmpty ? "-" : settings.rules.joined(separator: " "))"
            }
        }

        /// Sets the settings, keeping what is not given.
        static func change(_ repository: String, enabled: Bool?, rules: [String]?, global: GlobalOptions, hub: HubOptions, verb: String) async throws {
            let path = try HubCLI.repository(repository)
            let item = try await HubCLI.withClient(global, hub) { client in
                let current = try await client.repository(path).immutableTagsSettings ?? HubImmutableTagsSettings(enabled: false, rules: [])
                let settings = HubImmutableTagsSettings(enabled: enabled ?? current.enabled, rules: rules ?? current.rules)
                return try await client.setImmutableTags(settings, in: path)
            }
            try printSettings(item, global, verb: verb)
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show whether tags are immutable and by which rules.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let item = try await HubCLI.withClient(global, hub) { client in try await client.repository(path) }
                try ImmutableTags.printSettings(item, global)
            }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Make the tags that match the rules immutable.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(name: .customLong("rule"), help: ArgumentHelp("A regular expression over tag names (repeatable); default: the current rules.", valueName: "REGEX"))
            var rules: [String] = []

            func run() async throws {
                try await ImmutableTags.change(repository, enabled: true, rules: rules.isEmpty ? nil : rules, global: global, hub: hub, verb: "Enabled immutable tags on")
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Make every tag mutable again (the rules are kept).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                try await ImmutableTags.change(repository, enabled: false, rules: nil, global: global, hub: hub, verb: "Disabled immutable tags on")
            }
        }

        struct Rules: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Replace the rules (on or off stays as it is).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(name: .customLong("rule"), help: ArgumentHelp("A regular expression over tag names (repeatable).", valueName: "REGEX"))
            var rules: [String] = []

            func validate() throws {
                guard !rules.isEmpty else { throw ValidationError("give at least one --rule") }
            }

            func run() async throws {
                try await ImmutableTags.change(repository, enabled: nil, rules: rules, global: global, hub: hub, verb: "Set the immutable-tags rules of")
            }
        }

        struct Verify: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the existing tags a rule would make immutable.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The rule: a regular expression over tag names.") var regex: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let tags = try await HubCLI.withClient(global, hub) { client in try await client.tagsMatchingImmutableRule(regex, in: path) }
                if global.json {
                    try HubCLI.json(["tags": tags])
                } else if !global.quiet {
                    Output.line(tags.joined(separator: "\n"))
                }
            }
        }
    }
}

extension DockyardCommand.Hub.Tag {
    /// `dockyard hub tag inspect NS/NAME:TAG`
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a tag: digest, platforms, sizes, when it was last pushed (and by whom) and last pulled.",
            discussion: "Docker Hub's API reports when a tag was last pulled, not who pulled it.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME:TAG") var reference: String

        func run() async throws {
            let (path, name) = try HubCLI.tagReference(reference)
            let tag = try await HubCLI.withClient(global, hub) { client in try await client.tag(name, in: path) }
            try HubCLI.printObject(tag, global: global) { Inspect.describe(tag, path: path) }
        }

        static func describe(_ tag: HubTag, path: HubRepositoryPath) -> String {
            let pushed = HubCLI.date(tag.tagLastPushed ?? tag.lastUpdated)
            var lines: [String] = []
            lines.append("Name:         \(path):\(tag.name)")
            lines.append("Digest:       \(tag.digest ?? "-")")
            lines.append("Media type:   \(tag.mediaType ?? "-")")
            lines.append("Status:       \(tag.tagStatus ?? "-")")
            lines.append("Size:         \(tag.fullSize.map { String($0) } ?? "-")")
            lines.append("Last pushed:  \(pushed) by \(tag.lastUpdaterUsername ?? "?")")
            lines.append("Last pulled:  \(HubCLI.date(tag.tagLastPulled))")
            lines.append("")
            let rows: [[String]] = tag.images.map { image in
                let size: String = image.size.map { String($0) } ?? "-"
                return [image.platform, image.digest ?? "-", size, HubCLI.date(image.lastPushed), HubCLI.date(image.lastPulled)]
            }
            lines.append(Output.table(headers: ["PLATFORM", "DIGEST", "SIZE", "LAST PUSHED", "LAST PULLED"], rows: rows))
            return lines.joined(separator: "\n")
        }
    }
}
