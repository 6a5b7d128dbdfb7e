import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// Docker tarballs (`docker save` format) as an end of the transfer engine, against an embedded registry of each
/// test's own and skopeo.
@Suite("Docker tarballs against a real registry and skopeo", .tags(.integration), .requiresSkopeo)
struct DockerArchiveTests {
    /// The configuration's `rootfs.diff_ids` of an image in the registry, as skopeo reads it.
    static func diffIDs(_ skopeo: Skopeo, _ reference: ImageReference) async throws -> [String] {
        let config = try TestJSON(parsing: try await skopeo.run(["inspect", "--tls-verify=false", "--config", "docker://\(reference)"]).stdout)
        return config["rootfs"]?["diff_ids"]?.array?.compactMap(\.string) ?? []
    }

    /// The config digest of an image's manifest in the registry, as skopeo reads it.
    static func configDigest(_ skopeo: Skopeo, _ reference: ImageReference) async throws -> String? {
        try TestJSON(parsing: try await skopeo.inspectRaw("docker://\(reference)"))["config"]?["digest"]?.string
    }

    @Test("a tarball written by Dockyard: uncompressed layers under blobs/sha256, read by Python and by skopeo into the registry with the same config and diff IDs")
    func dockyardWritesSkopeoReads() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", layerSizes: [3_000, 400_000])
            let source = try ImageFixtures.reference(server.registry, "archive-src")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: layout, refName: "v1", to: source)
            let skopeo = Skopeo()

            let file = work.url.appendingPathComponent("image.tar")
            let result = try await client.transfer(from: client.image(source), to: DockerArchiveImage(file: file, reference: source))
            #expect(result.digest == built.entry.digest)
            // Only the tarball is left in the directory: no staging directory, no partial file.
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.url.path).sorted() == ["image.tar", "layout"])

            // Python's tarfile reads it: manifest.json, the config, one uncompressed tar per layer named by its diff ID.
            let listing = try await ProcessRunner.run("python3", arguments: ["-c", """
                import json, sys, tarfile
                t = tarfile.open(sys.argv[1])
                m = json.load(t.extractfile('manifest.json'))
                print(json.dumps(m))
                for layer in m[0]['Layers']:
                    print(len(tarfile.open(fileobj=t.extractfile(layer)).getmembers()))
                """, file.path])
            #expect(listing.succeeded, "\(listing.stderrText)")
            let lines = listing.stdoutText.split(separator: "\n").map(String.init)
            let manifestJSON = try TestJSON(parsing: Data(try #require(lines.first).utf8))
            let expectedDiffIDs = try await Self.diffIDs(skopeo, source)
            #expect(manifestJSON[0]?["Layers"]?.array?.compactMap(\.string) == expectedDiffIDs.map { "blobs/sha256/" + String($0.dropFirst("sha256:".count)) })
            #expect(manifestJSON[0]?["RepoTags"]?[0]?.string == "\(source.familiarName):v1")
            #expect(Array(lines.dropFirst()) == ["2", "2"])

            // skopeo reads the tarball and copies it into the registry; the image is the same one.
            let copied = try ImageFixtures.reference(server.registry, "archive-skopeo")
            try await skopeo.copy("docker-archive:\(file.path)", "docker://\(copied)")
            #expect(try await Self.diffIDs(skopeo, copied) == expectedDiffIDs)
            #expect(try await Self.configDigest(skopeo, copied) == Self.configDigest(skopeo, source))
            let inspected = try await skopeo.inspect("docker-archive:\(file.path)")
            #expect(inspected["Architecture"]?.string == "amd64")
            #expect(inspected["Layers"]?.array?.compactMap(\.string) == expectedDiffIDs)
        }
    }

    @Test("a tarball written by skopeo (the legacy <id>/layer.tar layout with links) is read by Dockyard and pushed")
    func skopeoWritesDockyardReads() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            _ = try TestImages.build(in: layout, refName: "v1", layerSizes: [2_000, 300_000, 5_000])
            let source = try ImageFixtures.reference(server.registry, "archive-legacy")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: layout, refName: "v1", to: source)
            let skopeo = Skopeo()

            let file = work.url.appendingPathComponent("skopeo.tar")
            try await skopeo.copy("docker://\(source)", "docker-archive:\(file.path):\(source.familiarName):v1")
            let names = try await ProcessRunner.run("tar", arguments: ["-tf", file.path])
            #expect(names.stdoutText.contains("/layer.tar"), "skopeo wrote the legacy layout: \(names.stdoutText)")

            // By tag, and as the only image; gzip layers (the default) and uncompressed ones.
            let pushed = try ImageFixtures.reference(server.registry, "archive-pushed")
            let result = try await client.transfer(from: DockerArchiveImage(file: file, reference: source), to: client.image(pushed))
            #expect(result.descriptor.mediaType == .dockerManifest)
            #expect(try await Self.diffIDs(skopeo, pushed) == Self.diffIDs(skopeo, source))
            #expect(try await Self.configDigest(skopeo, pushed) == Self.configDigest(skopeo, source))

            let plain = try ImageFixtures.reference(server.registry, "archive-plain")
            let uncompressed = try await client.transfer(
                from: DockerArchiveImage(file: file, layerCompression: .none), to: client.image(plain))
            let manifest = try #require(try await client.manifest(for: plain).manifest)
            #expect(uncompressed.descriptor.mediaType == .ociManifest)
            #expect(manifest.layers.map(\.mediaType) == [.ociLayer, .ociLayer, .ociLayer])
            // Uncompressed, a layer's digest is its diff ID.
            #expect(manifest.layers.map(\.digest.description) == (try await Self.diffIDs(skopeo, source)))

            // A tag the archive does not hold is a typed error naming the tags it has.
            let error = await #expect(throws: DockerArchiveError.self) {
                try await client.transfer(
                    from: DockerArchiveImage(file: file, reference: try source.withTag("missing")), to: client.image(plain))
            }
            #expect(error?.code == .imageNotFound)
        }
    }

    @Test("round trip registry → tarball → registry: manifest digest differs (layers recompressed), config digest and diff IDs identical; a second round trip is byte-identical")
    func roundTrip() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", layerSizes: [10_000, 250_000])
            let source = try ImageFixtures.reference(server.registry, "archive-trip")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: layout, refName: "v1", to: source)
            let original = try #require(try await client.manifest(for: source).manifest)

            let first = work.url.appendingPathComponent("first.tar")
            try await client.transfer(from: client.image(source), to: DockerArchiveImage(file: first, reference: source))
            let back = try ImageFixtures.reference(server.registry, "archive-back")
            let pushed = try await client.transfer(from: DockerArchiveImage(file: first), to: client.image(back))
            let returned = try #require(try await client.manifest(for: back).manifest)

            // Not the same manifest: the tarball keeps uncompressed layers only, and the registry gets them gzip-compressed
            // again (another compressor, another manifest type), so layer digests and the manifest digest change.
            #expect(pushed.digest != built.entry.digest)
            #expect(returned.layers.map(\.digest) != original.layers.map(\.digest))
            // The image itself is the same: the configuration travels byte for byte, so its digest (the image ID) and
            // the diff IDs it lists are identical.
            #expect(returned.config.digest == original.config.digest)
            let skopeo = Skopeo()
            #expect(try await Self.diffIDs(skopeo, back) == Self.diffIDs(skopeo, source))

            // Dockyard's gzip is deterministic: the same tarball pushed again, or the pushed image saved and pushed
            // once more, gives the same manifest digest.
            let second = work.url.appendingPathComponent("second.tar")
            try await client.transfer(from: client.image(back), to: DockerArchiveImage(file: second, reference: back))
            let again = try ImageFixtures.reference(server.registry, "archive-again")
            let repushed = try await client.transfer(from: DockerArchiveImage(file: second), to: client.image(again))
            #expect(repushed.digest == pushed.digest)
        }
    }

    @Test(
        "dockyard pull --docker-archive and push docker-archive: through the built binary; an index must be narrowed to a platform",
        .requiresDockyardBinary)
    func commandLine() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let cli = try DockyardCLI()
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
            let source = try ImageFixtures.reference(server.registry, "archive-cli")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: layout, refName: "v1", to: source)

            let file = work.url.appendingPathComponent("cli.tar")
            let pull = try await cli.run(["pull", "--json", source.description, "--docker-archive", file.path, "--platform", "linux/arm64/v8"])
            #expect(pull.status == 0, "\(pull.stderrText)")
            #expect(try DockyardCLI.jsonLines(pull).last?["digest"]?.string == built.manifests[1].digest.description)
            #expect(FileManager.default.fileExists(atPath: file.path))

            let target = try ImageFixtures.reference(server.registry, "archive-cli-pushed")
            let push = try await cli.run(["push", "--json", "docker-archive:\(file.path)", target.description])
            #expect(push.status == 0, "\(push.stderrText)")
            let config = try await client.configuration(of: .registry(target))
            #expect(config.configuration.architecture == "arm64")

            // Every platform cannot go into one tarball: a clear error, and no file left behind.
            let all = work.url.appendingPathComponent("all.tar")
            let copy = try await cli.run(["copy", "--all-platforms", source.description, "docker-archive:\(all.path)"])
            #expect(copy.status != 0)
            #expect(copy.stderrText.contains("one platform"), "\(copy.stderrText)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: work.url.path).sorted() == ["cli.tar", "layout"])
        }
    }

    /// A two-layer image built from files with fixed modes and times (a gzip layer with a 1.5 MiB file, a symbolic
    /// link and a name longer than 100 bytes, and an uncompressed layer), in a new layout.
    static func builtImage(in work: TemporaryDirectory) throws -> (layout: OCILayout, diffIDs: [ContentDigest], config: ContentDigest) {
        let files = work.appending("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        let tool = files.appendingPathComponent("tool")
        try Data((0..<1_500_000).map { (index: Int) -> UInt8 in UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }).write(to: tool)
        let note = files.appendingPathComponent("note")
        try Data("a long name\n".utf8).write(to: note)
        let motd = files.appendingPathComponent("motd")
        try Data("hello from the second layer\n".utf8).write(to: motd)
        let longName = "/app/data/" + String(repeating: "long-name-", count: 12) + "end.txt"
        let first = try LayerBuilder.build(
            [
                .file(tool, at: "/app/bin/tool", mode: 0o755), .symlink(at: "/app/current", target: "bin/tool"),
                .file(note, at: longName, mode: 0o644), .emptyDirectory(at: "/var/empty", mode: 0o700),
            ],
            to: work.appending("layer1.tar.gz"), options: LayerOptions(modificationTime: 1_700_000_000))
        let second = try LayerBuilder.build(
            [.file(motd, at: "/etc/motd", mode: 0o644)], to: work.appending("layer2.tar"),
            options: LayerOptions(modificationTime: 1_700_000_000, compression: .none))
        let layout = try OCILayout(at: work.appending("layout"))
        for layer in [first, second] {
            try layout.storeBlob([UInt8](try Data(contentsOf: layer.file)), digest: layer.descriptor.digest)
        }
        let config = Array(#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["\#(first.diffID)","\#(second.diffID)"]}}"#.utf8)
        let configDescriptor = Descriptor(mediaType: .ociConfig, digest: ContentDigest.sha256(of: config), size: Int64(config.count))
        try layout.storeBlob(config, digest: configDescriptor.digest)
        let document = try ManifestDocument(encoding: ImageManifest(config: configDescriptor, layers: [first.descriptor, second.descriptor]))
        try layout.storeBlob(document.bytes, digest: document.digest)
        try layout.setEntry(document.descriptor, named: "v1")
        return (layout, [first.diffID, second.diffID], configDescriptor.digest)
    }

    @Test("a tarball written from built layers, read by GNU tar, Python's tarfile and skopeo (inspect, copy into a layout); its bytes are pinned")
    func writtenTarballReadByOthers() async throws {
        let work = try TemporaryDirectory(prefix: "docker-archive-readers")
        defer { work.remove() }
        let (layout, diffIDs, config) = try Self.builtImage(in: work)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let file = work.appending("image.tar")
        try await client.transfer(
            from: layout.image(named: "v1"),
            to: DockerArchiveImage(file: file, reference: try ImageReference(normalizing: "example.com/team/app:v1")))
        let blobs = [config] + diffIDs
        let names = ["blobs/", "blobs/sha256/"] + blobs.map { "blobs/sha256/\($0.encoded)" } + ["manifest.json", "repositories"]

        // GNU tar lists and extracts it; every blob hashes to its name, and the first layer holds its long name.
        let list = try await ProcessRunner.run("tar", arguments: ["-tf", file.path])
        #expect(list.succeeded, "\(list.stderrText)")
        #expect(list.stdoutLines == names)
        let out = work.appending("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let extract = try await ProcessRunner.run("tar", arguments: ["-xf", file.path, "-C", out.path])
        #expect(extract.succeeded, "\(extract.stderrText)")
        for blob in blobs {
            #expect(blob.matches([UInt8](try Data(contentsOf: out.appendingPathComponent("blobs/sha256/\(blob.encoded)")))))
        }
        let inner = try await ProcessRunner.run("tar", arguments: ["-tf", out.appendingPathComponent("blobs/sha256/\(diffIDs[0].encoded)").path])
        #expect(inner.stdoutLines.contains("app/data/" + String(repeating: "long-name-", count: 12) + "end.txt"), "\(inner.stdoutText)")

        // Python's tarfile sees the same entries, with their types, modes, owners, times and sizes.
        let python = try await ProcessRunner.run("python3", arguments: ["-c", """
            import sys, tarfile
            with tarfile.open(sys.argv[1]) as t:
                for m in t.getmembers():
                    kind = 'f' if m.isreg() else 'd' if m.isdir() else '?'
                    print(f"{m.name} {kind} {m.mode:o} {m.uid} {m.gid} {m.mtime} {m.size}")
            """, file.path])
        #expect(python.succeeded, "\(python.stderrText)")
        let sizes = try blobs.map { try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("blobs/sha256/\($0.encoded)").path)[.size] as? Int ?? -1 }
        #expect(python.stdoutLines.count == names.count)
        #expect(Array(python.stdoutLines.prefix(5)) == ["blobs d 755 0 0 0 0", "blobs/sha256 d 755 0 0 0 0"] + zip(blobs, sizes).map { "blobs/sha256/\($0.encoded) f 644 0 0 0 \($1)" })

        // skopeo reads it: the same diff IDs, and a copy into an OCI layout keeps the configuration byte for byte.
        let skopeo = Skopeo()
        let inspected = try await skopeo.inspect("docker-archive:\(file.path)")
        #expect(inspected["Layers"]?.array?.compactMap(\.string) == diffIDs.map(\.description))
        #expect(inspected["Architecture"]?.string == "amd64")
        let copied = work.appending("skopeo-layout")
        try await skopeo.copy("docker-archive:\(file.path)", "oci:\(copied.path):v1")
        let manifest = try TestJSON(parsing: try await skopeo.inspectRaw("oci:\(copied.path):v1"))
        #expect(manifest["config"]?["digest"]?.string == config.description)
        // skopeo compressed the layers on the way; they decompress to the tarball's layers.
        let layers = manifest["layers"]?.array?.compactMap { $0["digest"]?.string } ?? []
        #expect(layers.count == diffIDs.count)
        for (layer, diffID) in zip(layers, diffIDs) {
            let blob = copied.appendingPathComponent("blobs/sha256/\(layer.dropFirst("sha256:".count))")
            let gunzip = try await ProcessRunner.run("gzip", arguments: ["-dc", blob.path])
            #expect(gunzip.succeeded, "\(gunzip.stderrText)")
            #expect(diffID.matches([UInt8](gunzip.stdout)))
        }

        // The bytes themselves: the same for every run and machine, and unchanged by the tar writer's unification.
        let digest = ContentDigest.sha256(of: [UInt8](try Data(contentsOf: file)))
        #expect(digest.description == "sha256:9aaadd080a1cdaf1ee1ff25d077d6539c8e47fb4df3504e30be9bae1d0ad13c3", "the tarball's bytes changed")
    }
}
