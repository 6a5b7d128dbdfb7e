import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard sync SOURCE... DESTINATION`: copies many repositories and tags, as `skopeo sync` does.
    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy many repositories and tags between registries, or to and from a directory of OCI layouts.",
            discussion: """
                SOURCE is a repository (127.0.0.1:5000/team/app; repeatable) or oci:DIR, a directory with one OCI \
                layout per repository. DESTINATION is a registry with an optional path prefix \
                (registry.example.com/mirror) or oci:DIR. Images already at the destination (same digest) are \
                skipped, so running the same sync again resumes it.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var transfer: TransferOptions

        @Argument(help: "Source repositories (or one oci:DIR), then the destination registry[/prefix] or oci:DIR.")
        var endpoints: [String] = []

        @Option(name: .long, help: ArgumentHelp("Take tags matching this regular expression (repeatable; all when absent).", valueName: "REGEX"))
        var tag: [String] = []

        @Option(name: .long, help: ArgumentHelp("Leave out tags matching this regular expression (repeatable).", valueName: "REGEX"))
        var exclude: [String] = []

        @Option(name: .long, help: ArgumentHelp("Take versions in this range, e.g. '>=1.2 <2' or '^1.4'.", valueName: "RANGE"))
        var semver: String?

        @Option(name: .long, help: ArgumentHelp("Keep the N highest versions of each repository.", valueName: "N"))
        var latest: Int?

        @Option(name: .long, help: ArgumentHelp("Copy one platform of multi-platform images (default: all, keeping indexes).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        @Option(name: .long, help: "How many images move at once.")
        var images = 4

        @Flag(name: .customLong("dry-run"), help: "Only print the plan: what would move and what is up to date.")
        var dryRun = false

        @Flag(name: .long, help: "Check every image's blobs even when the destination tag has the same digest.")
        var force = false

        func validate() throws {
            guard endpoints.count >= 2 else { throw ValidationError("give at least one source and a destination") }
            guard images >= 1 else { throw ValidationError("--images must be at least 1") }
            if let latest, latest < 1 { throw ValidationError("--latest must be at least 1") }
        }

        func run() async throws {
            let source = try Self.source(Array(endpoints.dropLast()))
            let destination = try Self.destination(endpoints[endpoints.count - 1])
            let selection: PlatformSelection = platform == nil ? .all : try PlatformOption.selection(platform: platform, all: false)
            let options = SyncOptions(
                tags: TagFilter(include: tag, exclude: exclude, semver: semver, latest: latest),
                platforms: selection, imageConcurrency: images, blobConcurrency: transfer.concurrency,
                skipIfPresent: !force, dryRun: dryRun)
            do {
                try options.tags.validate()
            } catch let error as SyncError {
                throw ValidationError(error.message)
            }
            try await ClientFactory.withClient(global, configure: transfer.apply) { client in
                for try await event in client.syncEvents(from: source, to: destination, options: options) {
                    show(event)
                }
            }
        }

        private func show(_ event: SyncEvent) {
            switch event {
            case .planned(let count):
                if global.json {
                    Output.jsonObject(["event": .string("planned"), "images": .int(Int64(count))])
                }
            case .image(let item, let result):
                if global.json {
                    Output.jsonObject([
                        "event": .string("image"), "source": .string(item.source), "destination": .string(item.destination),
                        "digest": .string(result.digest.description), "upToDate": .bool(result.upToDate),
                        "totals": ProgressReporter.json(result.totals),
                    ])
                } else if !global.quiet {
                    Output.line(result.upToDate
                        ? "\(item.destination): up to date (\(result.digest))"
                        : "\(item.destination): synced from \(item.source) \(result.digest) (\(result.totals))")
                }
            case .wouldTransfer(let item, let from, let to):
                if global.json {
                    Output.jsonObject([
                        "event": .string("plan"), "source": .string(item.source), "destination": .string(item.destination),
                        "digest": .string(from.description), "current": .optional(to?.description),
                        "upToDate": .bool(from == to),
                    ])
                } else if !global.quiet {
                    Output.line("\(item.source) -> \(item.destination) \(from)" + (from == to ? " (up to date)" : ""))
                }
            case .completed(let summary):
                if global.json {
                    Output.jsonObject([
                        "event": .string("summary"), "images": .int(Int64(summary.images)),
                        "transferred": .int(Int64(summary.transferred)), "upToDate": .int(Int64(summary.upToDate)),
                        "dryRun": .bool(summary.dryRun), "totals": ProgressReporter.json(summary.totals),
                    ])
                } else if !global.quiet {
                    Output.line("Synced \(summary)")
                }
            }
        }

        static func source(_ arguments: [String]) throws -> SyncSource {
            if let first = arguments.first, first.hasPrefix("oci:") {
                guard arguments.count == 1 else { throw ValidationError("an oci:DIR source stands alone") }
                return .layouts(URL(fileURLWithPath: String(first.dropFirst(4)), isDirectory: true))
            }
            return .repositories(try arguments.map { try ClientFactory.reference($0).repository })
        }

        static func destination(_ argument: String) throws -> SyncDestination {
            if argument.hasPrefix("oci:") {
                return .layouts(URL(fileURLWithPath: String(argument.dropFirst(4)), isDirectory: true))
            }
            let parts = argument.split(separator: "/", maxSplits: 1).map(String.init)
            guard let registry = parts.first, !registry.isEmpty else {
                throw ValidationError("the destination \(argument) must be REGISTRY[/PREFIX] or oci:DIR")
            }
            return .registry(registry, prefix: parts.count > 1 ? parts[1] : nil)
        }
    }
}
