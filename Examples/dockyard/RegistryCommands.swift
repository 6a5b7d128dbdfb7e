import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard resolve REF`: prints the digest of a tag or digest reference.
    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the digest a reference resolves to.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image reference, e.g. alpine:3.20.")
        var reference: String

        @Option(name: .long, help: ArgumentHelp("Resolve a multi-platform image to this platform's manifest.", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            let platform: Platform? = try platform.map { text in
                guard case .specific(let platform) = try PlatformOption.selection(platform: text, all: false) else { return nil }
                return platform
            } ?? nil
            let descriptor = try await ClientFactory.withClient(global) { client in
                guard let platform else { return try await client.resolve(reference) }
                let document = try await client.resolve(reference, platform: platform)
                return Descriptor(mediaType: document.mediaType, digest: document.digest, size: Int64(document.bytes.count))
            }
            if global.json {
                Output.jsonObject([
                    "reference": .string(reference.description),
                    "digest": .string(descriptor.digest.description),
                    "mediaType": .string(descriptor.mediaType.rawValue),
                    "size": .int(descriptor.size),
                ])
            } else {
                Output.line(descriptor.digest.description)
            }
        }
    }

    /// `dockyard delete REF`: deletes a manifest by digest, or by tag through its digest.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a manifest by digest (a tag is resolved to its digest first; every tag of it goes).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image reference, by tag or digest.")
        var reference: String

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            let digest = try await ClientFactory.withClient(global) { try await $0.deleteManifest(reference) }
            if global.json {
                Output.jsonObject(["reference": .string(reference.description), "deleted": .string(digest.description)])
            } else if !global.quiet {
                Output.line("Deleted \(digest)")
            }
        }
    }

    /// `dockyard tags REPO`: every tag of a repository, one a line.
    struct Tags: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every tag of a repository (all pages).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The repository, e.g. library/alpine or 127.0.0.1:5000/alice/app.")
        var repository: String

        @OptionGroup var page: PageSizeOption

        func run() async throws {
            let repository: Repository
            do {
                repository = try Repository(normalizing: self.repository)
            } catch {
                throw ValidationError("'\(self.repository)' is not a valid repository: \(error)")
            }
            try await ClientFactory.withClient(global) { client in
                try await DockyardCommand.printNames(client.tags(in: repository, pageSize: page.pageSize), json: global.json)
            }
        }
    }

    /// `dockyard catalog REGISTRY`: every repository of a registry, one a line.
    struct Catalog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every repository of a registry (all pages; usually needs an admin account).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The registry, e.g. 127.0.0.1:5000.")
        var registry: String

        @OptionGroup var page: PageSizeOption

        func run() async throws {
            try await ClientFactory.withClient(global) { client in
                try await DockyardCommand.printNames(client.catalog(registry: registry, pageSize: page.pageSize), json: global.json)
            }
        }
    }

    /// Prints every name of a paged list: one JSON array with `--json`, otherwise one a line as each page arrives.
    private static func printNames(_ list: PageSequence<String>, json: Bool) async throws {
        if json {
            try Output.json(try await list.collect())
        } else {
            for try await page in list.pages { page.items.forEach(Output.line) }
        }
    }

    /// `dockyard ratelimit [REF]`: the Docker Hub pull limit, read with a HEAD request that does not count.
    struct RateLimitCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ratelimit",
            abstract: "Show the Docker Hub pull rate limit (a HEAD request, which Docker Hub does not count).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image to ask about.")
        var reference: String = "docker.io/ratelimitpreview/test:latest"

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            let limit = try await ClientFactory.withClient(global) { try await $0.rateLimit(for: reference) }
            if global.json {
                Output.jsonObject([
                    "registry": .string(reference.domain),
                    "limit": limit.map { .int(Int64($0.limit)) } ?? .null,
                    "remaining": limit.map { .int(Int64($0.remaining)) } ?? .null,
                    "windowSeconds": limit?.window.map { .int($0.components.seconds) } ?? .null,
                    "source": .optional(limit?.source),
                ])
            } else if let limit {
                var text = "limit \(limit.limit), remaining \(limit.remaining)"
                if let window = limit.window { text += ", window \(window.components.seconds) s" }
                if let source = limit.source { text += ", source \(source)" }
                Output.line(text)
            } else {
                Output.line("\(reference.domain) reports no rate limit")
            }
        }
    }
}

/// `--page-size N` of the list commands: how many items one request asks for (the registry's `n`).
struct PageSizeOption: ParsableArguments {
    @Option(name: .customLong("page-size"), help: "Items per request (the registry's `n`; all pages are read).")
    var pageSize: Int?

    func validate() throws {
        if let pageSize, pageSize <= 0 { throw ValidationError("--page-size must be positive") }
    }
}
