import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import Testing

/// Docker tarballs read and written without a registry: both `docker save` layouts, links, and every malformed
/// input answered with a typed error.
@Suite("DockerArchiveImage offline")
struct DockerArchiveImageTests {
    /// A directory laid out as a legacy `docker save` tarball: `<id>/layer.tar` per layer, the second a hard link
    /// to the first (the same layer twice), a config, `manifest.json`; packed with GNU tar in PAX format.
    static func legacyArchive(in work: TemporaryDirectory, tamper: Bool = false) async throws -> (URL, [UInt8]) {
        let root = work.appending("legacy")
        let files = work.appending("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: files.appendingPathComponent("hello.txt"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("aaa"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bbb"), withIntermediateDirectories: true)
        let layer = root.appendingPathComponent("aaa/layer.tar")
        let pack = try await ProcessRunner.run("tar", arguments: ["--format=ustar", "-cf", layer.path, "-C", files.path, "hello.txt"])
        #expect(pack.succeeded, "\(pack.stderrText)")
        try FileManager.default.linkItem(at: layer, to: root.appendingPathComponent("bbb/layer.tar"))
        let bytes = [UInt8](try Data(contentsOf: layer))
        let diffID = tamper ? ContentDigest.sha256(of: Array("other".utf8)) : ContentDigest.sha256(of: bytes)
        let config = #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(diffID)","\#(diffID)"]}}"#
        try Data(config.utf8).write(to: root.appendingPathComponent("cfg.json"))
        let manifest = #"[{"Config":"cfg.json","RepoTags":["example.com/team/app:v1"],"Layers":["aaa/layer.tar","./bbb/layer.tar"]}]"#
        try Data(manifest.utf8).write(to: root.appendingPathComponent("manifest.json"))
        let archive = work.appending("legacy.tar")
        let tar = try await ProcessRunner.run(
            "tar", arguments: ["--format=pax", "-cf", archive.path, "-C", root.path, "manifest.json", "cfg.json", "aaa", "bbb"])
        #expect(tar.succeeded, "\(tar.stderrText)")
        return (archive, bytes)
    }

    static func client() throws -> RegistryClient {
        try RegistryClient(configuration: RegistryClient.Configuration(), credentials: AnonymousCredentials())
    }

    @Test("a legacy tarball with a hard-linked layer: read uncompressed (digest = diff ID, streamed from the tar) and compressed, into a layout and back into a tarball")
    func legacyLayout() async throws {
        let work = try TemporaryDirectory(prefix: "docker-archive")
        defer { work.remove() }
        let (archive, layerBytes) = try await Self.legacyArchive(in: work)
        let diffID = ContentDigest.sha256(of: layerBytes)

        let plain = DockerArchiveImage(file: archive, reference: try ImageReference(normalizing: "example.com/team/app:v1"), layerCompression: .none)
        let (document, _) = try await plain.rootManifest()
        let manifest = try #require(document.manifest)
        #expect(manifest.layers.map(\.digest) == [diffID, diffID])
        #expect(manifest.layers.map(\.mediaType) == [.ociLayer, .ociLayer])
        var streamed: [UInt8] = []
        for try await buffer in try plain.blob(manifest.layers[0]).bytes(in: 0..<Int64(layerBytes.count)) {
            streamed += buffer.readableBytesView
        }
        #expect(streamed == layerBytes)

        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let layout = try OCILayout(at: work.appending("layout"))
        let result = try await client.transfer(from: DockerArchiveImage(file: archive), to: layout.image(named: "v1"))
        #expect(result.descriptor.mediaType == .dockerManifest)
        #expect(result.totals.transferred == 2)  // config and one layer (listed twice)

        // And out again: a tarball in the newer layout, read back with the same layer and config.
        let written = work.appending("out.tar")
        try await client.transfer(from: layout.image(named: "v1"), to: DockerArchiveImage(file: written))
        let again = try #require(try await DockerArchiveImage(file: written, layerCompression: .none).rootManifest().document.manifest)
        #expect(again.layers.map(\.digest) == [diffID, diffID])
        #expect(again.config.digest == manifest.config.digest)
    }

    @Test("a layer whose bytes do not match the configuration's diff ID is refused, reading and writing; nothing is left behind")
    func diffIDMismatch() async throws {
        let work = try TemporaryDirectory(prefix: "docker-archive-bad")
        defer { work.remove() }
        let (archive, _) = try await Self.legacyArchive(in: work, tamper: true)
        let reading = await #expect(throws: DockerArchiveError.self) { try await DockerArchiveImage(file: archive).rootManifest() }
        #expect(reading?.code == .layerMismatch)

        // Uncompressed, the source cannot check (it never hashes), so the layout destination's digest check refuses it.
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let layout = try OCILayout(at: work.appending("layout"))
        await #expect(throws: (any Error).self) {
            try await client.transfer(from: DockerArchiveImage(file: archive, layerCompression: .none), to: layout.image(named: "v1"))
        }

        // Writing: an image whose configuration lists another diff ID than its layer decompresses to.
        let file = work.appending("hello.txt")
        try Data("hello\n".utf8).write(to: file)
        let layer = try LayerBuilder.build([.file(file, at: "/hello.txt")], to: work.appending("layer.tar.gz"))
        let bad = try OCILayout(at: work.appending("bad"))
        try bad.storeBlob([UInt8](try Data(contentsOf: layer.file)), digest: layer.descriptor.digest)
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(ContentDigest.sha256(of: Array("other".utf8)))"]}}"#.utf8)
        let configDescriptor = Descriptor(mediaType: .ociConfig, digest: ContentDigest.sha256(of: config), size: Int64(config.count))
        try bad.storeBlob(config, digest: configDescriptor.digest)
        let document = try ManifestDocument(encoding: ImageManifest(config: configDescriptor, layers: [layer.descriptor]))
        try bad.storeBlob(document.bytes, digest: document.digest)
        try bad.setEntry(document.descriptor, named: "bad")
        let out = work.appending("out.tar")
        let writing = await #expect(throws: DockerArchiveError.self) {
            try await client.transfer(from: bad.image(named: "bad"), to: DockerArchiveImage(file: out))
        }
        #expect(writing?.code == .layerMismatch)
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.url.path).filter { $0.contains("partial") }.isEmpty)
    }

    @Test("malformed files are typed errors: not a tar, a gzip-compressed tar, truncated, no manifest.json, a missing layer, several images without a tag")
    func malformed() async throws {
        let work = try TemporaryDirectory(prefix: "docker-archive-malformed")
        defer { work.remove() }
        func code(_ bytes: [UInt8], _ name: String, reference: String? = nil) async -> DockerArchiveError.Code? {
            let url = work.appending(name)
            do {
                try Data(bytes).write(to: url)
                let image = DockerArchiveImage(file: url, reference: try reference.map { try ImageReference(normalizing: $0) })
                _ = try await image.rootManifest()
                return nil
            } catch let error as DockerArchiveError {
                return error.code
            } catch {
                return nil
            }
        }
        #expect(await code(Array(repeating: 0x41, count: 2048), "garbage.tar") == .invalidArchive)
        #expect(await code([0x1F, 0x8B, 8, 0] + Array(repeating: 0, count: 600), "gzip.tar") == .invalidArchive)

        let (archive, _) = try await Self.legacyArchive(in: work)
        let whole = [UInt8](try Data(contentsOf: archive))
        #expect(await code(Array(whole.prefix(whole.count / 2 + 100)), "truncated.tar") != nil)

        let files = work.appending("parts")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: files.appendingPathComponent("other.txt"))
        let noManifest = work.appending("nomanifest.tar")
        _ = try await ProcessRunner.run("tar", arguments: ["-cf", noManifest.path, "-C", files.path, "other.txt"])
        #expect(await code([UInt8](try Data(contentsOf: noManifest)), "nomanifest-copy.tar") == .missingFile)

        try Data(#"[{"Config":"other.txt","Layers":["missing/layer.tar"]}]"#.utf8).write(to: files.appendingPathComponent("manifest.json"))
        let missingLayer = work.appending("missinglayer.tar")
        _ = try await ProcessRunner.run("tar", arguments: ["-cf", missingLayer.path, "-C", files.path, "manifest.json", "other.txt"])
        #expect(await code([UInt8](try Data(contentsOf: missingLayer)), "missinglayer-copy.tar") != nil)

        try Data(#"[{"Config":"other.txt","RepoTags":["a:1"],"Layers":[]},{"Config":"other.txt","RepoTags":["b:1"],"Layers":[]}]"#.utf8)
            .write(to: files.appendingPathComponent("manifest.json"))
        let two = work.appending("two.tar")
        _ = try await ProcessRunner.run("tar", arguments: ["-cf", two.path, "-C", files.path, "manifest.json", "other.txt"])
        #expect(await code([UInt8](try Data(contentsOf: two)), "two-copy.tar") == .ambiguousImage)
        #expect(await code([UInt8](try Data(contentsOf: two)), "two-tag.tar", reference: "c:1") == .imageNotFound)
    }
}
