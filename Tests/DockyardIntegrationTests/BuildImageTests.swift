import Dockyard
import DockyardTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tree the build tests put into a layer.
enum BuildFixtures {
    static func tree(at root: URL) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho hello\n".utf8).write(to: root.appendingPathComponent("bin/hello"))
        chmod(root.appendingPathComponent("bin/hello").path, 0o755)
        try Data("key = value\n".utf8).write(to: root.appendingPathComponent("config.toml"))
        chmod(root.appendingPathComponent("config.toml").path, 0o644)
        symlink("bin/hello", root.appendingPathComponent("run").path)
        chmod(root.appendingPathComponent("bin").path, 0o755)
    }

    static func changes() -> ImageChanges {
        var changes = ImageChanges()
        changes.entrypoint = ["/app/bin/hello"]
        changes.cmd = ["--verbose"]
        changes.environment = ["PORT": "8080", "MODE": "production"]
        changes.labels = ["org.opencontainers.image.title": "hello"]
        changes.workingDirectory = "/app"
        changes.user = "1000:1000"
        changes.exposedPorts = ["8080"]
        changes.stopSignal = "SIGTERM"
        changes.annotations = ["org.opencontainers.image.source": "https://example.com/hello"]
        return changes
    }

    /// Builds the fixture layer in a fresh directory.
    static func layer(options: LayerOptions = LayerOptions(modificationTime: 0)) throws -> (TemporaryDirectory, Layer) {
        let scratch = try TemporaryDirectory(prefix: "build-test")
        try tree(at: scratch.appending("tree"))
        let layer = try LayerBuilder.build([.directory(scratch.appending("tree"), at: "/app")], to: scratch.appending("layer.tar.gz"), options: options)
        return (scratch, layer)
    }
}

@Suite("Building images offline (scratch and OCI layouts)")
struct BuildImageOfflineTests {
    @Test("An image built from scratch into a layout has pinned digests, and the same inputs give the same bytes")
    func scratchIsReproducible() async throws {
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        var digests: [ContentDigest] = []
        for _ in 0..<2 {
            let (scratch, layer) = try BuildFixtures.layer(options: LayerOptions(modificationTime: 0, compression: .none))
            defer { scratch.remove() }
            let result = try await client.append(
                [layer], to: .scratch, as: .layout(scratch.appending("out"), name: "v1"),
                platforms: .specific(try Platform(parsing: "linux/arm64/v8")), changes: BuildFixtures.changes())
            digests.append(result.descriptor.digest)
            let config = try await client.configuration(of: .layout(scratch.appending("out"), name: "v1"))
            #expect(config.configuration.config?.entrypoint == ["/app/bin/hello"])
            #expect(config.configuration.config?.env == ["MODE=production", "PORT=8080"])
            #expect(config.configuration.config?.exposedPorts == ["8080/tcp"])
            #expect(config.configuration.rootfs.diffIDs == [layer.diffID])
            #expect(config.configuration.architecture == "arm64")
            #expect(config.configuration.created == "1970-01-01T00:00:00Z")
        }
        #expect(digests[0] == digests[1])
        #expect(digests[0].description == "sha256:6317aee327103de5c5a6c3921ddaf1c2cb8383ba8249897242a7b41ad28fe233")
    }
}

@Suite("OCI layout listing and garbage collection")
struct LayoutMaintenanceTests {
    @Test("layout images lists names and platforms; gc removes what a replaced image left behind, and only that")
    func listAndCollect() async throws {
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let (scratch, layer) = try BuildFixtures.layer()
        defer { scratch.remove() }
        let directory = scratch.appending("layout")
        let arm = try Platform(parsing: "linux/arm64/v8")
        let first = try await client.append([layer], to: .scratch, as: .layout(directory, name: "a"), platforms: .specific(arm))
        _ = try await client.append([layer], to: .scratch, as: .layout(directory, name: "b"), platforms: .specific(try Platform(parsing: "linux/amd64")))
        var changes = ImageChanges()
        changes.labels = ["replaced": "yes"]
        let replaced = try await client.mutate(.layout(directory, name: "a"), as: .layout(directory, name: "a"), changes: changes)
        let layout = try OCILayout(at: directory, create: false)
        let images = try layout.images()
        #expect(images.map(\.name) == ["b", "a"])
        #expect(images.last?.descriptor.digest == replaced.descriptor.digest)
        #expect(images.first?.platforms.map(\.description) == ["linux/amd64"])
        #expect(images.last?.platforms.first?.architecture == "arm64")

        let dry = try layout.collectGarbage(dryRun: true)
        #expect(Set(dry.removed) == Set([first.descriptor.digest] + first.configs.map(\.digest)))  // the replaced manifest and config
        #expect(FileManager.default.fileExists(atPath: layout.blobURL(for: first.descriptor.digest).path))
        let collected = try layout.collectGarbage()
        #expect(collected.removed == dry.removed)
        #expect(!FileManager.default.fileExists(atPath: layout.blobURL(for: first.descriptor.digest).path))
        #expect(try layout.collectGarbage().removed.isEmpty)
        _ = try await client.configuration(of: .layout(directory, name: "a"))
        _ = try await client.configuration(of: .layout(directory, name: "b"))
    }
}

@Suite("Building images against a real registry", .tags(.integration), .requiresLocalHub, .requiresSkopeo)
struct BuildImageTests {
    @Test("append to a two-platform base: base layers mounted, not downloaded; skopeo sees the new config and tree; same digests twice")
    func appendToBase() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (baseDirectory, baseLayout) = try ImageFixtures.layout()
            defer { baseDirectory.remove() }
            _ = try TestImages.build(in: baseLayout, refName: "base", platforms: ["linux/amd64", "linux/arm64/v8"], seed: 7)
            let base = try ImageFixtures.reference(server.registry, "build-base")
            let target = try ImageFixtures.reference(server.registry, "build-app")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: baseLayout, refName: "base", to: base)

            let (scratch, layer) = try BuildFixtures.layer()
            defer { scratch.remove() }
            let result = try await client.append(
                [layer], to: .registry(base), as: .registry(target), platforms: .all, changes: BuildFixtures.changes())
            #expect(result.manifests.count == 2)
            #expect(result.descriptor.mediaType == .ociIndex)
            #expect(result.totals.mounted == 4)  // two base layers per platform, never downloaded
            #expect(result.totals.transferred == 3)  // the new layer and two configurations

            // The same inputs, built again from other files with the same content, give the same digests.
            let (again, sameLayer) = try BuildFixtures.layer()
            defer { again.remove() }
            let second = try await client.append(
                [sameLayer], to: .registry(base), as: .registry(target), platforms: .all, changes: BuildFixtures.changes())
            #expect(second.descriptor.digest == result.descriptor.digest)
            #expect(second.totals.transferred == 0)

            // skopeo shows the new configuration.
            let skopeo = Skopeo()
            let config = try TestJSON(parsing: try await skopeo.run(
                ["inspect", "--tls-verify=false", "--config", "--override-arch", "arm64", "--override-variant", "v8", "docker://\(target)"]).stdout)
            #expect(config["architecture"]?.string == "arm64")
            #expect(config["config"]?["Entrypoint"]?[0]?.string == "/app/bin/hello")
            #expect(config["config"]?["Labels"]?["org.opencontainers.image.title"]?.string == "hello")
            #expect(config["config"]?["Env"]?.array?.compactMap(\.string) == ["MODE=production", "PORT=8080"])
            #expect(config["rootfs"]?["diff_ids"]?.array?.count == 3)
            #expect(config["rootfs"]?["diff_ids"]?[2]?.string == layer.diffID.description)
            #expect(config["history"]?.array?.last?["created_by"]?.string == "dockyard")
            let raw = try TestJSON(parsing: try await skopeo.inspectRaw("docker://\(target)"))
            #expect(raw["manifests"]?.array?.count == 2)
            #expect(raw["annotations"]?["org.opencontainers.image.source"]?.string == "https://example.com/hello")

            // skopeo copies it to a layout; every layer extracts with tar and reads with Python's tarfile.
            let out = scratch.appending("skopeo-out")
            try await skopeo.copy("docker://\(target)", "oci:\(out.path):app", extraArguments: ["--override-arch", "amd64"])
            let layout = try OCILayout(at: out, create: false)
            let manifest = try #require(try layout.document(layout.entry(named: "app")).manifest)
            #expect(manifest.layers.count == 3)
            let rootfs = scratch.appending("rootfs")
            try FileManager.default.createDirectory(at: rootfs, withIntermediateDirectories: true)
            for layerDescriptor in manifest.layers {
                let file = layout.blobURL(for: layerDescriptor.digest)
                let untar = try await ProcessRunner.run("tar", arguments: ["-xzf", file.path, "-C", rootfs.path])
                #expect(untar.succeeded, "\(untar.stderrText)")
                let python = try await ProcessRunner.run(
                    "python3", arguments: ["-c", "import sys,tarfile; print(len(tarfile.open(sys.argv[1]).getmembers()))", file.path])
                #expect(python.succeeded, "\(python.stderrText)")
            }
            #expect(try String(contentsOf: rootfs.appendingPathComponent("app/bin/hello"), encoding: .utf8) == "#!/bin/sh\necho hello\n")
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: rootfs.appendingPathComponent("app/run").path) == "bin/hello")
            #expect(FileManager.default.fileExists(atPath: rootfs.appendingPathComponent("hello-0.txt").path))
            #expect(FileManager.default.fileExists(atPath: rootfs.appendingPathComponent("data-1.bin").path))
        }
    }

    @Test("mutate changes only the configuration; tag adds a tag without blobs; a tag alone cannot be deleted on distribution 2.8")
    func mutateAndTag() async throws {
        let hub = try LocalHub.required()
        let (baseDirectory, baseLayout) = try ImageFixtures.layout()
        defer { baseDirectory.remove() }
        _ = try TestImages.build(in: baseLayout, refName: "base")
        let image = try ImageFixtures.reference(hub.open, "build-mutate")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: baseLayout, refName: "base", to: image)

        var changes = ImageChanges()
        changes.labels = ["stage": "mutated"]
        let target = try image.withTag("mutated")
        let result = try await client.mutate(.registry(image), as: .registry(target), changes: changes)
        #expect(result.totals.transferred == 1)  // the configuration only
        #expect(result.totals.skipped == 2)
        let before = try #require(try await client.manifest(for: image).manifest)
        let after = try #require(try await client.manifest(for: target).manifest)
        #expect(after.layers == before.layers)
        #expect(after.config.digest != before.config.digest)
        let config = try await client.configuration(of: .registry(target))
        #expect(config.configuration.config?.labels?["stage"] == "mutated")
        #expect(config.configuration.config?.cmd == ["/bin/sh"])
        #expect(config.configuration.history?.last?.emptyLayer == true)

        let tagged = try await client.tag(target, as: "again")
        #expect(tagged.digest == result.descriptor.digest)
        #expect(try await client.resolve(try image.withTag("again")).digest == result.descriptor.digest)

        await #expect(throws: RegistryError.self) {
            try await client.untag(try image.withTag("again"))
        }
    }

    @Test("index create lists two single-platform images; skopeo reads both platforms; index append replaces a platform")
    func indexCreateAndAppend() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            var images: [ImageReference] = []
            for platform in ["linux/amd64", "linux/arm64/v8", "linux/arm64/v8"] {
                let (directory, layout) = try ImageFixtures.layout()
                defer { directory.remove() }
                _ = try TestImages.build(in: layout, refName: "one", platforms: [platform])
                let reference = try ImageFixtures.reference(server.registry, "build-index-part")
                try await client.push(from: layout, refName: "one", to: reference)
                images.append(reference)
            }
            let target = try ImageFixtures.reference(server.registry, "build-index")
            let created = try await client.createIndex(
                from: [.registry(images[0]), .registry(images[1])], as: .registry(target), annotations: ["purpose": "test"])
            #expect(created.totals.mounted == 6)
            let raw = try TestJSON(parsing: try await Skopeo().inspectRaw("docker://\(target)"))
            #expect(raw["mediaType"]?.string == MediaType.ociIndex.rawValue)
            #expect(raw["manifests"]?.array?.compactMap { $0["platform"]?["architecture"]?.string } == ["amd64", "arm64"])
            #expect(raw["manifests"]?[1]?["platform"]?["variant"]?.string == "v8")
            #expect(raw["annotations"]?["purpose"]?.string == "test")

            let third = try await client.resolve(images[2])
            let appended = try await client.createIndex(from: [.registry(images[2])], as: .registry(target), appending: true)
            #expect(appended.manifests.map(\.digest) == [created.manifests[0].digest, third.digest])
            let index = try #require(try await client.manifest(for: target).index)
            #expect(index.manifests.map(\.digest) == [created.manifests[0].digest, third.digest])
            #expect(index.annotations?["purpose"] == "test")
        }
    }

    @Test("dockyard append, config, inspect --json and tag", .requiresDockyardBinary)
    func commandLine() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (baseDirectory, baseLayout) = try ImageFixtures.layout()
            defer { baseDirectory.remove() }
            _ = try TestImages.build(in: baseLayout, refName: "base")
            let base = try ImageFixtures.reference(server.registry, "build-cli-base")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: baseLayout, refName: "base", to: base)
            let target = try ImageFixtures.reference(server.registry, "build-cli")
            let tree = baseDirectory.appending("tree")
            try BuildFixtures.tree(at: tree)

            let cli = try DockyardCLI()
            let append = try await cli.run(
                "--json", "append", base.description, "-t", target.description, "--layer", "\(tree.path):/srv",
                "--entrypoint", #"["/srv/bin/hello"]"#, "--env", "A=1", "--label", "k=v", "--expose", "9000")
            #expect(append.succeeded, "\(append.stderrText)")
            let appended = try #require(try DockyardCLI.jsonLines(append).last)
            #expect(appended["totals"]?["mounted"]?.int == 2)

            let config = try await cli.run("config", target.description)
            #expect(config.succeeded, "\(config.stderrText)")
            let configJSON = try TestJSON(parsing: config.stdout)
            #expect(configJSON["config"]?["Entrypoint"]?[0]?.string == "/srv/bin/hello")
            #expect(configJSON["config"]?["ExposedPorts"]?["9000/tcp"] != nil)

            let inspect = try await cli.run("--json", "inspect", target.description)
            #expect(inspect.succeeded, "\(inspect.stderrText)")
            let info = try TestJSON(parsing: inspect.stdout)
            #expect(info["Digest"]?.string == appended["digest"]?.string)
            #expect(info["Labels"]?["k"]?.string == "v")
            #expect(info["LayersData"]?.array?.count == 3)
            #expect(info["Env"]?.array?.compactMap(\.string).contains("A=1") == true)

            let tag = try await cli.run("tag", target.description, "second")
            #expect(tag.succeeded, "\(tag.stderrText)")
            #expect(try await client.resolve(try target.withTag("second")).digest.description == appended["digest"]?.string)
        }
    }
}

@Suite("Artifacts and referrers against a real registry", .tags(.integration), .requiresLocalHub, .requiresSkopeo)
struct ArtifactTests {
    @Test("attached artifacts are listed as referrers through the tag schema (distribution 2.8.2), pulled back, and removed on delete")
    func attachListPullDelete() async throws {
        let hub = try LocalHub.required()
        let (directory, layout) = try ImageFixtures.layout()
        defer { directory.remove() }
        _ = try TestImages.build(in: layout, refName: "base")
        let image = try ImageFixtures.reference(hub.open, "build-referrers")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: layout, refName: "base", to: image)
        let subject = try await client.resolve(image)

        let sbom = directory.appending("sbom.json")
        try Data(#"{"packages":[]}"#.utf8).write(to: sbom)
        let signature = directory.appending("signature.sig")
        try Data("signed".utf8).write(to: signature)
        let repository = image.withoutTag()
        let first = try await client.pushArtifact(
            [ArtifactFile(sbom, mediaType: "application/spdx+json")], artifactType: "application/vnd.example.sbom",
            to: repository, subject: subject, annotations: ["kind": "sbom"])
        let second = try await client.pushArtifact(
            [ArtifactFile(signature)], artifactType: "application/vnd.example.signature", to: repository, subject: subject)

        let all = try await client.referrers(of: subject.digest, in: image.repository).collect()
        #expect(Set(all.map(\.digest)) == [first.digest, second.digest])
        #expect(all.first { $0.digest == first.digest }?.annotations?["kind"] == "sbom")
        let sboms = try await client.referrers(of: subject.digest, in: image.repository, artifactType: "application/vnd.example.sbom").collect()
        #expect(sboms.map(\.digest) == [first.digest])
        let tagSchema = try #require(try await client.manifest(for: try image.withTag("sha256-\(subject.digest.encoded)")).index)
        #expect(tagSchema.manifests.count == 2)

        let out = directory.appending("pulled")
        let files = try await client.pullArtifact(image.withoutTag().withDigest(first.digest), into: out)
        #expect(files.map(\.lastPathComponent) == ["sbom.json"])
        #expect(try Data(contentsOf: out.appendingPathComponent("sbom.json")) == Data(#"{"packages":[]}"#.utf8))

        // skopeo copies the artifact manifest unchanged.
        let copy = try ImageFixtures.reference(hub.open, "build-artifact-copy")
        let skopeo = Skopeo.for(hub, registry: hub.open)
        try await skopeo.copy("docker://\(image.withoutTag().withDigest(first.digest))", "docker://\(copy)", extraArguments: ["--preserve-digests"])
        let original = try await skopeo.inspectRaw("docker://\(image.withoutTag().withDigest(first.digest))")
        #expect(try await skopeo.inspectRaw("docker://\(copy)") == original)

        try await client.deleteArtifact(image.withoutTag().withDigest(second.digest))
        #expect(try await client.referrers(of: subject.digest, in: image.repository).collect().map(\.digest) == [first.digest])
    }
}
