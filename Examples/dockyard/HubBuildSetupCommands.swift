import ArgumentParser
import Dockyard
import Foundation

extension HubBuildSourceType: ExpressibleByArgument {
    /// `branch` or `tag`, in any case (`Branch` as the Hub writes it works too).
    public init?(argument: String) {
        switch argument.lowercased() {
        case "branch": self = .branch
        case "tag": self = .tag
        default: return nil
        }
    }

    /// The values `--help` lists.
    public static var allValueStrings: [String] { ["branch", "tag"] }
}

extension HubBuildProvider: ExpressibleByArgument {}

extension DockyardCommand.Hub.Build {
    static let ruleHeaders = ["ID", "SOURCE TYPE", "SOURCE", "DOCKER TAG", "DOCKERFILE", "CONTEXT", "AUTOBUILD", "CACHE"]
    static func ruleRow(_ rule: HubBuildRule) -> [String] {
        [rule.id.map(String.init) ?? "-", rule.sourceType.rawValue, rule.sourceName, rule.tag, rule.dockerfileLocation,
         rule.buildContext, rule.autobuild ? "on" : "off", rule.buildCaching ? "on" : "off"]
    }

    /// Parses a `--rule` value: `source-type=branch,source-name=main,docker-tag=latest[,dockerfile=/][,context=/]
    /// [,autobuild=true][,cache=true]`. A comma starts a new field only before a known key, so a regular
    /// expression such as `/^v[0-9]{1,3}$/` may hold commas.
    static func parseRule(_ text: String) throws -> HubBuildRule {
        let keys = ["source-type", "source-name", "docker-tag", "dockerfile", "context", "autobuild", "cache"]
        var fields: [(String, String)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard let key = keys.first(where: { rest.hasPrefix($0 + "=") }) else {
                throw ValidationError("--rule \(text): expected KEY=VALUE with KEY one of \(keys.joined(separator: ", "))")
            }
            rest = rest.dropFirst(key.count + 1)
            var end = rest.endIndex
            var index = rest.startIndex
            while index < rest.endIndex {
                if rest[index] == ",", keys.contains(where: { rest[rest.index(after: index)...].hasPrefix($0 + "=") }) {
                    end = index
                    break
                }
                index = rest.index(after: index)
            }
            fields.append((key, String(rest[..<end])))
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
        }
        var values: [String: String] = [:]
        for (key, value) in fields {
            guard values[key] == nil else { throw ValidationError("--rule \(text): \(key) given twice") }
            values[key] = value
        }
        func flag(_ key: String) throws -> Bool? {
            guard let value = values[key] else { return nil }
            switch value.lowercased() {
            case "true", "on", "yes": return true
            case "false", "off", "no": return false
            default: throw ValidationError("--rule \(text): \(key) must be true or false")
            }
        }
        let type: HubBuildSourceType
        if let text = values["source-type"] {
            guard let parsed = HubBuildSourceType(argument: text) else { throw ValidationError("--rule: source-type must be branch or tag") }
            type = parsed
        } else {
            type = .branch
        }
        guard let source = values["source-name"], !source.isEmpty else { throw ValidationError("--rule \(text): source-name is required") }
        guard let tag = values["docker-tag"], !tag.isEmpty else { throw ValidationError("--rule \(text): docker-tag is required") }
        return HubBuildRule(
            tag: tag, sourceType: type, sourceName: source, dockerfileLocation: values["dockerfile"] ?? "/",
            buildContext: values["context"] ?? "/", autobuild: try flag("autobuild") ?? true, buildCaching: try flag("cache") ?? true)
    }

    /// `dockyard hub build create NS/NAME --provider github --source-repo OWNER/REPO --rule … [--rule …]`
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set up automated builds for a repository (created when missing).",
            discussion: """
                Each --rule is source-type=branch|tag,source-name=NAME|/REGEX/,docker-tag=TAG[,dockerfile=PATH]\
                [,context=PATH][,autobuild=true|false][,cache=true|false]; dockerfile and context default to /, \
                autobuild and cache (build caching) to true. Example:
                  dockyard hub build create acme/app --provider github --source-repo acme/app-src \\
                    --rule source-type=branch,source-name=main,docker-tag=latest \\
                    --rule 'source-type=tag,source-name=/^v[0-9.]+$/,docker-tag={sourceref}'
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Option(help: "Where the source lives: github or bitbucket.") var provider: HubBuildProvider
        @Option(name: .customLong("source-repo"), help: ArgumentHelp("The source repository.", valueName: "OWNER/REPO")) var sourceRepository: String
        @Option(name: .customLong("rule"), help: ArgumentHelp("A build rule (repeatable, at least one).", valueName: "RULE")) var rules: [String] = []
        @Flag(help: "Make a repository created here private.") var `private` = false

        func validate() throws {
            _ = try HubCLI.repository(repository)
            guard !rules.isEmpty else { throw ValidationError("give at least one --rule") }
            for rule in rules { _ = try DockyardCommand.Hub.Build.parseRule(rule) }
            let parts = sourceRepository.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty }) else { throw ValidationError("--source-repo must be OWNER/REPO") }
        }

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let parsed = try rules.map(DockyardCommand.Hub.Build.parseRule)
            let settings = try await HubCLI.withClient(global, hub) { client in
                try await client.createBuildSettings(in: path, provider: provider, sourceRepository: sourceRepository, rules: parsed, isPrivate: `private`)
            }
            try HubCLI.printObject(settings, global: global) {
                "Created automated builds for \(path) from \(provider.rawValue) \(sourceRepository)\n"
                    + Output.table(headers: DockyardCommand.Hub.Build.ruleHeaders, rows: settings.rules.map(DockyardCommand.Hub.Build.ruleRow))
            }
        }
    }

    /// `dockyard hub build rules NS/NAME`
    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a repository's build rules.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let items = try await HubCLI.withClient(global, hub) { client in try await client.buildRules(in: path).collect() }
            try HubCLI.printList(items, global: global, headers: DockyardCommand.Hub.Build.ruleHeaders, row: DockyardCommand.Hub.Build.ruleRow)
        }
    }

    /// `dockyard hub build rule add|update|delete`
    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add, change and delete build rules.", subcommands: [Add.self, Update.self, Delete.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a build rule.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(name: .customLong("source-type"), help: "branch or tag.") var sourceType: HubBuildSourceType = .branch
            @Option(name: .customLong("source-name"), help: "The branch or tag, or a /regular expression/.") var sourceName: String
            @Option(name: .customLong("docker-tag"), help: "The image tag to push ({sourceref}: the source's name).") var dockerTag: String
            @Option(name: .customLong("dockerfile"), help: "The Dockerfile's location.") var dockerfileLocation = "/"
            @Option(name: .customLong("context"), help: "The build context.") var buildContext = "/"
            @Flag(inversion: .prefixedNo, help: "Build when the source is pushed to.") var autobuild = true
            @Flag(name: .customLong("cache"), inversion: .prefixedNo, help: "Build caching: reuse cached layers.") var caching = true

            func validate() throws {
                guard !sourceName.isEmpty, !dockerTag.isEmpty else { throw ValidationError("--source-name and --docker-tag must not be empty") }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let rule = HubBuildRule(tag: dockerTag, sourceType: sourceType, sourceName: sourceName, dockerfileLocation: dockerfileLocation,
                                        buildContext: buildContext, autobuild: autobuild, buildCaching: caching)
                let created = try await HubCLI.withClient(global, hub) { client in try await client.createBuildRule(rule, in: path) }
                try HubCLI.printObject(created, global: global) { "Added build rule \(created.id.map(String.init) ?? "?") to \(path)" }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change a build rule; what is not given stays.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The rule's id (see `dockyard hub build rules`).") var id: Int
            @Option(name: .customLong("source-type"), help: "branch or tag.") var sourceType: HubBuildSourceType?
            @Option(name: .customLong("source-name"), help: "The branch or tag, or a /regular expression/.") var sourceName: String?
            @Option(name: .customLong("docker-tag"), help: "The image tag to push.") var dockerTag: String?
            @Option(name: .customLong("dockerfile"), help: "The Dockerfile's location.") var dockerfileLocation: String?
            @Option(name: .customLong("context"), help: "The build context.") var buildContext: String?
            @Flag(inversion: .prefixedNo, help: "Build when the source is pushed to.") var autobuild: Bool?
            @Flag(name: .customLong("cache"), inversion: .prefixedNo, help: "Build caching: reuse cached layers.") var caching: Bool?

            func validate() throws {
                guard sourceType != nil || sourceName != nil || dockerTag != nil || dockerfileLocation != nil || buildContext != nil
                    || autobuild != nil || caching != nil
                else { throw ValidationError("nothing to change: give an option to change") }
                if sourceName?.isEmpty == true || dockerTag?.isEmpty == true { throw ValidationError("--source-name and --docker-tag must not be empty") }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let updated = try await HubCLI.withClient(global, hub) { client in
                    let rules = try await client.buildRules(in: path).collect()
                    guard var rule = rules.first(where: { $0.id == id }) else {
                        throw HubAPIError(.notFound, message: "\(path) has no build rule \(id)")
                    }
                    if let sourceType { rule.sourceType = sourceType }
                    if let sourceName { rule.sourceName = sourceName }
                    if let dockerTag { rule.tag = dockerTag }
                    if let dockerfileLocation { rule.dockerfileLocation = dockerfileLocation }
                    if let buildContext { rule.buildContext = buildContext }
                    if let autobuild { rule.autobuild = autobuild }
                    if let caching { rule.buildCaching = caching }
                    return try await client.updateBuildRule(id, to: rule, in: path)
                }
                try HubCLI.printObject(updated, global: global) { "Updated build rule \(id) of \(path)" }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a build rule.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The rule's id.") var id: Int

            func run() async throws {
                let path = try HubCLI.repository(repository)
                try await HubCLI.withClient(global, hub) { client in try await client.deleteBuildRule(id, in: path) }
                HubCLI.printDone(global, ["repository": .string(path.description), "rule": .int(Int64(id)), "status": .string("deleted")],
                                 text: "Deleted build rule \(id) of \(path)")
            }
        }
    }

    /// Says that Docker Hub's API has no call for an action the Hub's web interface offers, and fails.
    static func notInHubAPI(_ action: String, _ repository: String) throws -> Never {
        _ = try HubCLI.repository(repository)
        Output.diagnostic(
            "dockyard: Docker Hub's API offers no call to \(action) an automated build (neither its published API "
                + "specification nor the builds endpoints have one); \(action) it in Docker Hub's web interface: "
                + "the repository's Builds tab, Configure automated builds")
        throw CommandFailure(status: 1)
    }

    /// `dockyard hub build activate NS/NAME` (not offered by Docker Hub's API)
    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reactivate an automated build: Docker Hub's API has no such call, so this explains and fails.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        func run() async throws { try DockyardCommand.Hub.Build.notInHubAPI("reactivate", repository) }
    }

    /// `dockyard hub build deactivate NS/NAME` (not offered by Docker Hub's API)
    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate an automated build: Docker Hub's API has no such call, so this explains and fails.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        func run() async throws { try DockyardCommand.Hub.Build.notInHubAPI("deactivate", repository) }
    }

    /// `dockyard hub build delete NS/NAME` (not offered by Docker Hub's API)
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an automated build: Docker Hub's API has no such call, so this explains and fails.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        func run() async throws { try DockyardCommand.Hub.Build.notInHubAPI("delete", repository) }
    }
}
