import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub build create|settings|rules|rule|activate|deactivate|delete|history|logs|trigger|trigger-url|wait …`
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Automated builds.",
            subcommands: [Create.self, Settings.self, Rules.self, Rule.self, Activate.self, Deactivate.self, Delete.self,
                          History.self, Logs.self, Trigger.self, TriggerURL.self, Wait.self])

        static let headers = ["BUILD", "STATUS", "TAG", "SOURCE", "CAUSE", "CREATED"]
        static func row(_ build: HubBuild) -> [String] {
            [build.buildCode, build.status.description, build.tag ?? "", "\(build.sourceType ?? "") \(build.sourceName ?? "")",
             build.cause ?? "", HubCLI.date(build.createdDate)]
        }

        /// Follows a build, printing each status change, and fails unless it succeeds.
        static func follow(_ code: String, in path: HubRepositoryPath, client: HubClient, global: GlobalOptions, timeout: Int) async throws -> HubBuild {
            var last: HubBuild?
            for try await build in client.buildStatusUpdates(for: code, in: path, timeout: .seconds(timeout)) {
                last = build
                if !global.json && !global.quiet { Output.line("\(code): \(build.status)") }
            }
            guard let last else { throw HubAPIError(.invalidResponse, message: "no status for build \(code)") }
            return last
        }

        struct Settings: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show the build settings and rules.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let settings = try await HubCLI.withClient(global, hub) { client in try await client.buildSettings(in: path) }
                try HubCLI.printObject(settings, global: global) {
                    "Source: \(settings.provider?.rawValue ?? "?") \(settings.sourceRepository ?? "?") (\(settings.active ? "active" : "inactive"))\n"
                        + Output.table(headers: Build.ruleHeaders, rows: settings.rules.map(Build.ruleRow))
                }
            }
        }

        struct History: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List builds, newest first (every page).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(help: "Show only this many.") var limit: Int?

            func validate() throws {
                if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let items = try await HubCLI.withClient(global, hub) { client in try await client.builds(in: path).collect(limit: limit) }
                try HubCLI.printList(items, global: global, headers: Build.headers, row: Build.row)
            }
        }

        struct Trigger: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Start a build: of a repository (write access needed), or by calling a trigger URL (no login).",
                discussion: """
                    With NS/NAME the builds of the rules matching --source-type and --source-name start as the \
                    logged-in user. With a trigger URL (see `dockyard hub build trigger-url show`), the URL is called \
                    with the source type and name (or --docker-tag; every rule without either).
                    """)
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: ArgumentHelp("NS/NAME, or a trigger URL.", valueName: "NS/NAME|URL")) var target: String
            @Option(name: .customLong("source-type"), help: "branch or tag.") var sourceType: HubBuildSourceType?
            @Option(name: .customLong("source-name"), help: "The branch or tag to build.") var sourceName: String?
            @Option(name: .customLong("docker-tag"), help: "With a trigger URL: build the rules of this image tag.") var dockerTag: String?
            @Option(name: .customLong("dockerfile"), help: "The Dockerfile's folder.") var dockerfileLocation = "/"
            @Flag(help: "Wait for the builds to finish (NS/NAME only).") var wait = false
            @Option(help: "Seconds to wait at most.") var timeout = 3600

            var isURL: Bool { target.lowercased().hasPrefix("http://") || target.lowercased().hasPrefix("https://") }

            func validate() throws {
                if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
                if isURL {
                    _ = try TriggerURL.Call.check(target, insecure: global.insecure)
                    if wait { throw ValidationError("--wait needs NS/NAME: a trigger URL does not name the builds it starts") }
                    if (sourceType == nil) != (sourceName == nil) { throw ValidationError("--source-type and --source-name go together") }
                    if dockerTag != nil, sourceType != nil { throw ValidationError("--docker-tag excludes --source-type/--source-name") }
                } else {
                    _ = try HubCLI.repository(target)
                    guard sourceName != nil else { throw ValidationError("--source-name is required with NS/NAME") }
                    if dockerTag != nil { throw ValidationError("--docker-tag works only with a trigger URL") }
                }
            }

            func run() async throws {
                if isURL {
                    let url = try TriggerURL.Call.check(target, insecure: global.insecure)
                    try await TriggerURL.Call.call(url, sourceType: sourceType, sourceName: sourceName, dockerTag: dockerTag, global: global, hub: hub)
                    return
                }
                let path = try HubCLI.repository(target)
                let type = sourceType ?? .branch
                let name = sourceName ?? ""
                let builds = try await HubCLI.withClient(global, hub) { client in
                    let started = try await client.triggerBuild(in: path, sourceType: type, sourceName: name, dockerfileLocation: dockerfileLocation)
                    guard wait else { return started }
                    var finished: [HubBuild] = []
                    for build in started {
                        finished.append(try await Build.follow(build.buildCode, in: path, client: client, global: global, timeout: timeout))
                    }
                    return finished
                }
                try HubCLI.printList(builds, global: global, headers: Build.headers, row: Build.row)
                if wait, builds.contains(where: { $0.status != .success }) { throw CommandFailure(status: 1) }
            }
        }

        struct Wait: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Wait for a build (by default the newest) to finish; fails unless it succeeds.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The build code (default: the newest build).") var buildCode: String?
            @Option(help: "Seconds to wait at most.") var timeout = 3600

            func validate() throws {
                if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let build = try await HubCLI.withClient(global, hub) { client in
                    var code = buildCode
                    if code == nil { code = try await client.builds(in: path, pageSize: 1).collect(limit: 1).first?.buildCode }
                    guard let code else { throw HubAPIError(.notFound, message: "\(path) has no builds") }
                    return try await Build.follow(code, in: path, client: client, global: global, timeout: timeout)
                }
                if global.json { try HubCLI.json(build) }
                guard build.status == .success else {
                    Output.diagnostic("dockyard: build \(build.buildCode) ended with \(build.status)")
                    throw CommandFailure(status: 1)
                }
            }
        }

        /// `dockyard hub build trigger-url [URL | show | create | regenerate | activate | deactivate | history]`
        struct TriggerURL: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "trigger-url", abstract: "A repository's trigger URLs; given a URL, call it (no login needed).",
                subcommands: [Call.self, Show.self, Create.self, Regenerate.self, Activate.self, Deactivate.self, History.self],
                defaultSubcommand: Call.self)

            static func printTrigger(_ trigger: HubBuildTrigger, _ global: GlobalOptions, verb: String? = nil) throws {
                try HubCLI.printObject(trigger, global: global) {
                    (verb.map { "\($0)\n" } ?? "")
                        + "Active:             \(trigger.active)\n"
                        + "Trigger URL:        \(trigger.triggerURL ?? "-")\n"
                        + "Source trigger URL: \(trigger.sourceTriggerURL ?? "-")"
                }
            }

            /// `dockyard hub build trigger-url URL [--source-type T --source-name N | --docker-tag TAG]`
            struct Call: AsyncParsableCommand {
                static let configuration = CommandConfiguration(commandName: "call", abstract: "Start builds through a trigger URL (no login needed).")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "The trigger URL.") var url: String
                @Option(name: .customLong("source-type"), help: "branch or tag.") var sourceType: HubBuildSourceType?
                @Option(name: .customLong("source-name"), help: "The branch or tag.") var sourceName: String?
                @Option(name: .customLong("docker-tag"), help: "Build the rules for this image tag.") var dockerTag: String?

                /// Checks a trigger URL: http(s), and never plain HTTP off loopback unless `--insecure` names the host
                /// (the URL is the secret).
                static func check(_ text: String, insecure: [String]) throws -> URL {
                    guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
                          let host = parsed.host
                    else {
                        throw ValidationError("the trigger URL must be an http:// or https:// URL")
                    }
                    if scheme == "http",
                       !HostPolicy.allowsPlainHTTP(forRegistry: parsed.port.map { "\(host):\($0)" } ?? host, insecureRegistries: Set(insecure))
                    {
                        throw ValidationError(
                            "the trigger URL is plain HTTP to \(host), which is not loopback; use https, or allow it with --insecure \(host)")
                    }
                    return parsed
                }

                static func call(_ url: URL, sourceType: HubBuildSourceType?, sourceName: String?, dockerTag: String?,
                                 global: GlobalOptions, hub: HubOptions) async throws {
                    var selection = HubBuildSelection.all
                    if let sourceType, let sourceName { selection = .source(sourceType, name: sourceName) }
                    if let dockerTag { selection = .dockerTag(dockerTag) }
                    try await HubCLI.withClient(global, hub, useKeptSession: false, logsURLs: false) { client in
                        try await client.triggerBuild(url: url, selection: selection)
                    }
                    HubCLI.printDone(global, ["status": .string("triggered")], text: "Triggered")
                }

                func validate() throws {
                    _ = try Call.check(url, insecure: global.insecure)
                    if (sourceType == nil) != (sourceName == nil) { throw ValidationError("--source-type and --source-name go together") }
                    if dockerTag != nil, sourceType != nil { throw ValidationError("--docker-tag excludes --source-type/--source-name") }
                }

                func run() async throws {
                    try await Call.call(try Call.check(url, insecure: global.insecure), sourceType: sourceType, sourceName: sourceName,
                                        dockerTag: dockerTag, global: global, hub: hub)
                }
            }

            struct Show: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Show the trigger URLs (admin access needed; the URLs are secrets).")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let trigger = try await HubCLI.withClient(global, hub) { client in try await client.buildTrigger(in: path) }
                    try TriggerURL.printTrigger(trigger, global)
                }
            }

            struct Create: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Create the trigger URLs (a new token when they exist).")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let trigger = try await HubCLI.withClient(global, hub) { client in try await client.createBuildTrigger(in: path) }
                    try TriggerURL.printTrigger(trigger, global, verb: "Created the trigger URLs of \(path)")
                }
            }

            struct Regenerate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Make a new trigger token; the old URLs stop working.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let trigger = try await HubCLI.withClient(global, hub) { client in try await client.regenerateBuildTrigger(in: path) }
                    try TriggerURL.printTrigger(trigger, global, verb: "Regenerated the trigger URLs of \(path)")
                }
            }

            struct Activate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Turn the trigger URLs on (same token).")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let trigger = try await HubCLI.withClient(global, hub) { client in try await client.setBuildTriggerActive(true, in: path) }
                    try TriggerURL.printTrigger(trigger, global, verb: "Activated the trigger URLs of \(path)")
                }
            }

            struct Deactivate: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Turn the trigger URLs off: calls start nothing.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let trigger = try await HubCLI.withClient(global, hub) { client in try await client.setBuildTriggerActive(false, in: path) }
                    try TriggerURL.printTrigger(trigger, global, verb: "Deactivated the trigger URLs of \(path)")
                }
            }

            struct History: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "List the calls of the trigger URLs, newest first.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "NS/NAME") var repository: String
                @Option(help: "Show only this many.") var limit: Int?

                func validate() throws {
                    if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
                }

                func run() async throws {
                    let path = try HubCLI.repository(repository)
                    let items = try await HubCLI.withClient(global, hub) { client in try await client.buildTriggerHistory(in: path).collect(limit: limit) }
                    try HubCLI.printList(items, global: global, headers: ["TIME", "VIA", "RESULT", "BUILDS"]) { event in
                        [HubCLI.date(event.created), event.via ?? "-", event.result ?? "-", event.builds.joined(separator: ",")]
                    }
                }
            }
        }
    }
}
