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
}
