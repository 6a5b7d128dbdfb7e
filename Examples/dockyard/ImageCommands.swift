import ArgumentParser
import Dockyard
import Foundation

/// Options shared by the commands that move images and blobs.
struct TransferOptions: ParsableArguments {
    @Option(name: .long, help: "How many blobs move at once.")
    var concurrency = 4

    @Option(name: .customLong("chunk-size"), help: ArgumentHelp("Upload in PATCH chunks of this many bytes instead of one PUT.", valueName: "BYTES"))
    var chunkSize: Int?

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if let chunkSize, chunkSize < 1 { throw ValidationError("--chunk-size must be at least 1") }
    }

    /// The blob client configuration these options describe.
    var blobConfiguration: BlobClient.Configuration {
        var configuration = BlobClient.Configuration()
        if let chunkSize { configuration.uploadStrategy = .chunked(size: chunkSize) }
        return configuration
    }

    /// Puts these options' blob tunables into a client configuration.
    func apply(to configuration: inout RegistryClient.Configuration) {
        configuration.blobs = blobConfiguration
    }
}

extension DockyardCommand {
    /// `dockyard pull REF --layout DIR`: pulls an image into an OCI image layout.
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pull an image into an OCI image layout directory (verified, resumable, only missing blobs).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var transfer: TransferOptions

        @Argument(help: "The image reference, e.g. alpine:3.20 or 127.0.0.1:5000/alice/app@sha256:….")
        var reference: String

        @Option(name: .long, help: "The OCI layout directory (created when missing).")
        var layout: String?

        @Option(name: .customLong("docker-archive"), help: ArgumentHelp("Write a docker save tarball instead of a layout.", valueName: "FILE.tar"))
        var dockerArchive: String?

        @Option(name: .long, help: ArgumentHelp("The platform to pull from a multi-platform image (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        @Flag(name: .customLong("all-platforms"), help: "Pull every platform of a multi-platform image, and its index.")
        var allPlatforms = false

        func validate() throws {
            if platform != nil && allPlatforms { throw ValidationError("--platform and --all-platforms exclude each other") }
            if (layout == nil) == (dockerArchive == nil) { throw ValidationError("give one of --layout and --docker-archive") }
            if dockerArchive != nil && allPlatforms { throw ValidationError("a docker archive holds one platform: drop --all-platforms") }
        }

        func run() async throws {
            if let dockerArchive {
                return try await DockerArchiveCommands.pull(reference, into: dockerArchive, global: global, transfer: transfer, platform: platform)
            }
            let reference = try ClientFactory.reference(reference)
            let selection = try PlatformOption.selection(platform: platform, all: allPlatforms)
            let layout = try OCILayout(at: URL(fileURLWithPath: layout ?? ".", isDirectory: true))
            let reporter = ProgressReporter(global, look: .pull)
            // docker's header: the tag (or digest) being pulled and the repository's path.
            let named = reference.isNameOnly ? try reference.withTag("latest") : reference
            if reference.isNameOnly { reporter.say("Using default tag: latest") }
            reporter.say("\(named.tag ?? named.digest?.description ?? "latest"): Pulling from \(named.path)")
            let result = try await ClientFactory.withClient(global, configure: transfer.apply) { client in
                try await reporter.report(
                    client.pullEvents(reference, into: layout, platforms: selection, concurrency: transfer.concurrency))
            }
            guard let result else { return }
            if global.json {
                Output.jsonObject([
                    "event": .string("finished"), "reference": .string(result.reference.description),
                    "digest": .string(result.descriptor.digest.description),
                    "mediaType": .string(result.descriptor.mediaType.rawValue),
                    "refName": .optional(result.refName), "layout": .string(layout.directory.path),
                    "totals": ProgressReporter.json(result.totals),
                ])
            } else {
                reporter.say("Digest: \(result.resolvedDigest)")
                let fresh = result.totals.transferred > 0
                reporter.say("Status: \(fresh ? "Downloaded newer image" : "Image is up to date") for \(named.familiar)")
                reporter.say(named.description)
            }
        }
    }

    /// `dockyard push DIR REF`: pushes an image from an OCI image layout.
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push an image from an OCI image layout directory (blobs, then manifests, then the index).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var transfer: TransferOptions

        @Argument(help: "The OCI layout directory, or docker-archive:FILE.tar[:REF] for a docker save tarball.")
        var layout: String

        @Argument(help: "Where to push, e.g. 127.0.0.1:5000/alice/app:v1.")
        var reference: String

        @Option(name: .customLong("layout-ref"), help: "The layout entry's name (org.opencontainers.image.ref.name); needed when it holds several images.")
        var layoutRef: String?

        @Option(name: .long, help: ArgumentHelp("Push one platform of a multi-platform image (default: all, keeping the index).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        func run() async throws {
            if DockerArchiveCommands.names(layout) {
                return try await DockerArchiveCommands.copy(layout, reference, global: global, transfer: transfer, platform: platform, look: .push)
            }
            let reference = try ClientFactory.reference(reference)
            let selection: PlatformSelection = platform == nil ? .all : try PlatformOption.selection(platform: platform, all: false)
            let layout = try OCILayout(at: URL(fileURLWithPath: layout, isDirectory: true), create: false)
            let reporter = ProgressReporter(global, look: .push)
            reporter.say("The push refers to repository [\(reference.name)]")
            let result = try await ClientFactory.withClient(global, configure: transfer.apply) { client in
                try await reporter.report(client.pushEvents(
                    from: layout, refName: layoutRef, to: reference, platforms: selection, concurrency: transfer.concurrency))
            }
            guard let result else { return }
            if global.json {
                Output.jsonObject([
                    "event": .string("finished"), "reference": .string(result.reference.description),
                    "digest": .string(result.digest.description), "totals": ProgressReporter.json(result.totals),
                ])
            } else {
                reporter.say("\(reference.tag ?? "latest"): digest: \(result.digest) size: \(result.descriptor.size)")
            }
        }
    }

    /// `dockyard copy SRC DST`: copies an image between repositories or registries without touching disk.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy an image between repositories or registries, streaming (mounting within one registry).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var transfer: TransferOptions

        @Argument(help: "The source image.")
        var source: String

        @Argument(help: "The destination image.")
        var destination: String

        @Option(name: .long, help: ArgumentHelp("The platform to copy from a multi-platform image (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        @Flag(name: .customLong("all-platforms"), help: "Copy every platform and the index itself (same digest).")
        var allPlatforms = false

        @Flag(name: .long, help: "Also copy the image's referrers (signatures, SBOMs, attestations), by the referrers API or the tag schema.")
        var referrers = false

        func validate() throws {
            if platform != nil && allPlatforms { throw ValidationError("--platform and --all-platforms exclude each other") }
        }

        func run() async throws {
            if DockerArchiveCommands.names(source) || DockerArchiveCommands.names(destination) {
                return try await DockerArchiveCommands.copy(source, destination, global: global, transfer: transfer, platform: platform, all: allPlatforms)
            }
            let source = try ClientFactory.reference(source)
            let destination = try ClientFactory.reference(destination)
            let selection = try PlatformOption.selection(platform: platform, all: allPlatforms)
            let reporter = ProgressReporter(global, verb: "copied")
            let (result, copiedReferrers) = try await ClientFactory.withClient(global, configure: transfer.apply) { client in
                let result = try await reporter.report(client.copyEvents(
                    from: source, to: destination, platforms: selection, concurrency: transfer.concurrency))
                guard referrers, let result else { return (result, nil as ReferrersCopyResult?) }
                return (result, try await client.copyReferrers(
                    of: [result.digest] + result.manifests.map(\.digest), from: source.repository, to: destination.repository,
                    concurrency: transfer.concurrency))
            }
            guard let result else { return }
            if let copiedReferrers, !global.json, !global.quiet {
                Output.line("Copied \(copiedReferrers.referrers.count) referrers of \(result.source) to \(result.destination)")
            }
            if global.json {
                Output.jsonObject([
                    "event": .string("finished"), "source": .string(result.source.description),
                    "destination": .string(result.destination.description),
                    "digest": .string(result.digest.description), "totals": ProgressReporter.json(result.totals),
                    "referrers": copiedReferrers.map { .array($0.referrers.map { .string($0.digest.description) }) } ?? .null,
                ])
            } else if !global.quiet {
                Output.line("Copied \(result.source) to \(result.destination) \(result.digest) "
                    + "(\(result.totals.transferred) blobs sent, \(result.totals.mounted) mounted, \(result.totals.skipped) present)")
            }
        }
    }
}

/// Parsing of `--platform` / `--all-platforms`.
enum PlatformOption {
    static func selection(platform: String?, all: Bool) throws -> PlatformSelection {
        if all { return .all }
        guard let platform else { return .current }
        do {
            return .specific(try Platform(parsing: platform))
        } catch {
            throw ValidationError("--platform \(platform): expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8 (\(error))")
        }
    }
}
