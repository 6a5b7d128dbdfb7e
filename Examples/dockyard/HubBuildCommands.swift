import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub build settings|history|trigger|wait|trigger-url …`
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Automated builds.", subcommands: [Settings.self, History.self, Logs.self, Trigger.self, Wait.self, TriggerURL.self])

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
                    "Source: \(settings.provider ?? "?") \(settings.sourceRepository ?? "?") (\(settings.active ? "active" : "inactive"))\n"
                        + Output.table(headers: ["ID", "TAG", "SOURCE TYPE", "SOURCE", "DOCKERFILE"], rows: settings.rules.map {
                            [$0.id.map(String.init) ?? "-", $0.tag, $0.sourceType.rawValue, $0.sourceName, $0.dockerfileLocation]
                        })
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
            static let configuration = CommandConfiguration(abstract: "Start a build (write access needed).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(name: .customLong("source-type"), help: "Branch or Tag.") var sourceType = "Branch"
            @Option(name: .customLong("source-name"), help: "The branch or tag to build.") var sourceName: String
            @Option(name: .customLong("dockerfile"), help: "The Dockerfile's folder.") var dockerfileLocation = "/"
            @Flag(help: "Wait for the builds to finish.") var wait = false
            @Option(help: "Seconds to wait at most.") var timeout = 3600

            func validate() throws {
                guard HubBuildSourceType(rawValue: sourceType) != nil else { throw ValidationError("--source-type must be Branch or Tag") }
                if timeout <= 0 { throw ValidationError("--timeout must be a positive number of seconds") }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let type = HubBuildSourceType(rawValue: sourceType) ?? .branch
                let builds = try await HubCLI.withClient(global, hub) { client in
                    let started = try await client.triggerBuild(in: path, sourceType: type, sourceName: sourceName, dockerfileLocation: dockerfileLocation)
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

        struct TriggerURL: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "trigger-url", abstract: "Start builds through a trigger URL (no login needed).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The trigger URL.") var url: String
            @Option(name: .customLong("source-type"), help: "Branch or Tag.") var sourceType: String?
            @Option(name: .customLong("source-name"), help: "The branch or tag.") var sourceName: String?
            @Option(name: .customLong("docker-tag"), help: "Build the rules for this image tag.") var dockerTag: String?

            func validate() throws {
                guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https", parsed.host != nil else {
                    throw ValidationError("the trigger URL must be an http:// or https:// URL")
                }
                // The URL is the secret: never send it in the clear to a host that is not loopback unless asked.
                if let host = parsed.host, parsed.scheme?.lowercased() == "http",
                   !HostPolicy.allowsPlainHTTP(
                       forRegistry: parsed.port.map { "\(host):\($0)" } ?? host, insecureRegistries: Set(global.insecure))
                {
                    throw ValidationError(
                        "the trigger URL is plain HTTP to \(host), which is not loopback; use https, or allow it with --insecure \(host)")
                }
                if (sourceType == nil) != (sourceName == nil) { throw ValidationError("--source-type and --source-name go together") }
                if let sourceType, HubBuildSourceType(rawValue: sourceType) == nil { throw ValidationError("--source-type must be Branch or Tag") }
                if dockerTag != nil, sourceType != nil { throw ValidationError("--docker-tag excludes --source-type/--source-name") }
            }

            func run() async throws {
                guard let triggerURL = URL(string: url) else { throw ValidationError("invalid URL") }
                var selection = HubBuildSelection.all
                if let sourceType, let sourceName, let type = HubBuildSourceType(rawValue: sourceType) { selection = .source(type, name: sourceName) }
                if let dockerTag { selection = .dockerTag(dockerTag) }
                try await HubCLI.withClient(global, hub, useKeptSession: false, logsURLs: false) { client in
                    try await client.triggerBuild(url: triggerURL, selection: selection)
                }
                HubCLI.printDone(global, ["status": .string("triggered")], text: "Triggered")
            }
        }
    }
}
