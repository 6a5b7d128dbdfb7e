import ArgumentParser
import Dockyard
import DockyardRegistryServer
import Foundation

extension DockyardCommand {
    /// `dockyard demo [--keep]`: the SDK's main job end to end, offline. Starts a registry in this process, builds a
    /// two-platform image from generated files, pushes it, lists its tags, attaches an artifact as a referrer, pulls
    /// one platform into an OCI layout with digest verification, copies the image to a second repository by
    /// cross-repository mount, and prints what moved, with sizes, digests, timings and the Swift calls.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Show Dockyard at work against a registry in this process (no network, no Docker).",
            discussion: """
                Starts an embedded OCI registry on a free loopback port, builds, pushes, lists, attaches, pulls \
                and copies a small two-platform image, and prints a report. With --keep the registry keeps \
                running afterwards (until Ctrl-C) so that dockyard or skopeo can use it.
                """
        )

        @Flag(name: .long, help: "Keep the registry running after the demo, until interrupted.")
        var keep = false

        func run() async throws {
            let scratch = FileManager.default.temporaryDirectory
                .appendingPathComponent("dockyard-demo-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }

            var report = DemoReport()
            let registry = try await report.step("registry", "EmbeddedRegistry.start()") {
                let registry = try await EmbeddedRegistry.start()
                return (registry, "listening on \(registry.url.absoluteString) (memory storage)")
            }
            let client = try RegistryClient(
                configuration: .init(endpoints: [registry.host: registry.url]), credentials: AnonymousCredentials())
            do {
                try await runSteps(registry: registry, client: client, scratch: scratch, report: &report)
                await client.shutdown()
            } catch {
                await client.shutdown()
                await registry.shutdown()
                throw error
            }
            report.finish()
            if keep {
                printKeepHelp(registry)
                _ = await SignalWaiter.wait(for: [SIGINT, SIGTERM])
            }
            await registry.shutdown()
        }

        private func runSteps(registry: EmbeddedRegistry, client: RegistryClient, scratch: URL, report: inout DemoReport) async throws {
            let host = registry.host
            let image = try ImageReference(normalizing: "\(host)/demo/hello:1.0")
            let platforms = [Platform(os: "linux", architecture: "amd64"), Platform(os: "linux", architecture: "arm64", variant: "v8")]

            // 1. Build: a shared base layer and one app layer per platform, from generated files.
            let layout = try OCILayout(at: scratch.appendingPathComponent("build"))
            let built = try await report.step("build", "LayerBuilder.build(_:to:), ConfigEditor.apply(to:adding:changes:), OCILayout.storeBlob/setEntry") {
                let built = try DemoImage.build(platforms: platforms, in: layout, scratch: scratch.appendingPathComponent("files"))
                return (built, "\(platforms.count) platforms, \(built.layerCount) layers, \(DemoReport.size(built.bytes)) in an OCI layout")
            }
            report.detail("index", built.index.digest.description)
            for (platform, manifest) in zip(platforms, built.manifests) {
                report.detail(platform.description, "\(manifest.digest)")
            }

            // 2. Push.
            let pushed = try await report.step("push", "client.push(from: layout, refName: \"1.0\", to: \(image))") {
                let result = try await client.push(from: layout, refName: "1.0", to: image)
                let totals = result.totals
                return (result, "\(totals.transferred) blobs uploaded (\(DemoReport.size(totals.bytes))), \(result.manifests.count) manifests, digest verified by the registry")
            }
            report.detail("digest", pushed.digest.description)

            // 3. Tag and list.
            let tags = try await report.step("tags", "client.tag(_:as: \"latest\"), client.tags(of: demo/hello:latest).collect()") {
                _ = try await client.tag(image, as: "latest")
                let tags = try await client.tags(of: image).collect()
                return (tags, tags.joined(separator: ", "))
            }
            _ = tags

            // 4. Attach an artifact (a small JSON report) with the index as its subject.
            let attached = try await report.step("attach", "client.push(from:to:) of an artifact manifest whose subject is the index") {
                let digest = try DemoImage.artifact(subject: built.index, in: layout)
                let reference = try ImageReference(normalizing: "\(host)/demo/hello@\(digest)")
                try await client.push(from: layout, refName: "report", to: reference)
                let referrers = try await client.referrers(of: built.index.digest, in: image.repository).collect()
                let kinds = referrers.compactMap { $0.artifactType?.rawValue }.joined(separator: ", ")
                return (digest, "\(referrers.count) referrer of the index via the referrers API: \(kinds)")
            }
            report.detail("artifact", attached.description)

            // 5. Pull one platform into a new layout; every blob's digest and size are checked as it arrives.
            let arm = platforms[1]
            let pullLayout = try OCILayout(at: scratch.appendingPathComponent("pulled"))
            let pulled = try await report.step("pull", "client.pull(\(image), into: layout, platforms: .specific(\(arm)))") {
                let result = try await client.pull(image, into: pullLayout, platforms: .specific(arm))
                let totals = result.totals
                return (result, "\(totals.transferred) blobs (\(DemoReport.size(totals.bytes))) downloaded and verified into an OCI layout")
            }
            report.detail("manifest", pulled.descriptor.digest.description)

            // 6. Copy to a second repository: same registry, so every blob is mounted, none re-uploaded.
            let copy = try ImageReference(normalizing: "\(host)/demo/hello-copy:1.0")
            let copied = try await report.step("copy", "client.copy(from: \(image), to: \(copy), platforms: .all)") {
                let result = try await client.copy(from: image, to: copy, platforms: .all)
                let totals = result.totals
                return (result, "\(totals.mounted) blobs mounted across repositories, \(totals.transferred) uploaded; same digest")
            }
            report.detail("digest", copied.digest.description)
            let counts = registry.hooks.requestCounts
            report.detail("requests", counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }

        private func printKeepHelp(_ registry: EmbeddedRegistry) {
            let host = registry.host
            Output.line("""

                The registry keeps running at \(registry.url.absoluteString) (Ctrl-C stops it). Try:
                  dockyard tags \(host)/demo/hello
                  dockyard pull \(host)/demo/hello:1.0 --layout ./hello --platform linux/arm64/v8
                  dockyard catalog \(host)
                  skopeo inspect --tls-verify=false docker://\(host)/demo/hello:1.0
                  skopeo copy --all --src-tls-verify=false docker://\(host)/demo/hello:1.0 oci:./hello-oci:1.0
                """)
        }
    }
}

/// The demo's report: one line per step with its Swift call, result and time.
struct DemoReport {
    private let started = ContinuousClock.now

    init() {
        Output.line("Dockyard demo: an OCI registry in this process, a two-platform image, no network, no Docker\n")
    }

    mutating func step<T>(_ name: String, _ call: String, _ body: () async throws -> (T, String)) async throws -> T {
        let begun = ContinuousClock.now
        let (value, summary) = try await body()
        let elapsed = begun.duration(to: .now)
        Output.line("\(name.padding(toLength: 9, withPad: " ", startingAt: 0)) \(summary)  [\(Self.milliseconds(elapsed))]")
        Output.line("          \(call)")
        return value
    }

    func detail(_ label: String, _ value: String) {
        Output.line("          \(label): \(value)")
    }

    func finish() {
        Output.line("\nDone in \(Self.milliseconds(started.duration(to: .now))).")
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return ms < 10 ? String(format: "%.1f ms", ms) : String(format: "%.0f ms", ms)
    }

    static func size(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }
}

/// Builds the demo's image into an OCI layout with the SDK's image-building API.
enum DemoImage {
    struct Built {
        var index: Descriptor
        var manifests: [Descriptor]
        var layerCount: Int
        var bytes: Int64
    }

    static func build(platforms: [Platform], in layout: OCILayout, scratch: URL) throws -> Built {
        let manager = FileManager.default
        func files(_ name: String, _ contents: [String: [UInt8]]) throws -> URL {
            let root = scratch.appendingPathComponent(name)
            for (path, bytes) in contents {
                let url = root.appendingPathComponent(path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(bytes).write(to: url)
            }
            return root
        }
        func layer(_ name: String, _ root: URL) throws -> DockyardImageBuilder.Layer {
            let layer = try LayerBuilder.build([.directory(root, at: "/")], to: scratch.appendingPathComponent("\(name).tar.gz"))
            try layout.storeBlob(Array(try Data(contentsOf: layer.file)), digest: layer.descriptor.digest)
            return layer
        }
        var bytes: Int64 = 0
        let base = try layer("base", files("base", [
            "etc/motd": Array("Built by dockyard demo.\n".utf8),
            "usr/share/demo/words.txt": Array((0..<2000).map { "word\($0)" }.joined(separator: "\n").utf8),
        ]))
        bytes += base.descriptor.size
        var manifests: [Descriptor] = []
        for platform in platforms {
            var generator = SplitMix(seed: platform.architecture.utf8.reduce(UInt64(17)) { $0 &* 31 &+ UInt64($1) })
            let noise = (0..<48 * 1024).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let app = try layer("app-\(platform.architecture)", files("app-\(platform.architecture)", [
                "app/hello.txt": Array("Hello from \(platform)!\n".utf8),
                "app/data.bin": noise,
            ]))
            bytes += app.descriptor.size
            var changes = ImageChanges()
            changes.cmd = ["/bin/cat", "/app/hello.txt"]
            changes.labels = ["org.opencontainers.image.title": "dockyard demo"]
            let config = try ConfigEditor.apply(
                to: ConfigEditor.scratch(platform: platform), adding: [base.diffID, app.diffID], changes: changes)
            let configDescriptor = Descriptor(mediaType: .ociConfig, describing: config)
            try layout.storeBlob(config, digest: configDescriptor.digest)
            bytes += configDescriptor.size
            let manifest = try ManifestDocument(encoding: ImageManifest(config: configDescriptor, layers: [base.descriptor, app.descriptor]))
            try layout.storeBlob(manifest.bytes, digest: manifest.digest)
            var descriptor = manifest.descriptor
            descriptor.platform = platform
            manifests.append(descriptor)
        }
        let index = try ManifestDocument(encoding: ImageIndex(manifests: manifests))
        try layout.storeBlob(index.bytes, digest: index.digest)
        try layout.setEntry(index.descriptor, named: "1.0")
        return Built(index: index.descriptor, manifests: manifests, layerCount: platforms.count + 1, bytes: bytes)
    }

    /// Stores an artifact manifest (empty config, one JSON blob) whose subject is `subject`; returns its digest.
    static func artifact(subject: Descriptor, in layout: OCILayout) throws -> ContentDigest {
        let body = Array("{\"scanner\":\"dockyard demo\",\"findings\":0}".utf8)
        let blob = Descriptor(mediaType: "application/json", describing: body)
        try layout.storeBlob(body, digest: blob.digest)
        try layout.storeBlob(Array("{}".utf8), digest: Descriptor.empty.digest)
        var empty = Descriptor.empty
        empty.data = nil
        let manifest = try ManifestDocument(encoding: ImageManifest(
            artifactType: "application/vnd.dockyard.demo.scan+json", config: empty, layers: [blob],
            subject: subject, annotations: ["org.opencontainers.image.description": "a scan report"]))
        try layout.storeBlob(manifest.bytes, digest: manifest.digest)
        try layout.setEntry(manifest.descriptor, named: "report")
        return manifest.digest
    }
}

/// A small deterministic generator for the demo's file contents.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
