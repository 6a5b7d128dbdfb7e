import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The `dockyard pull/push/copy/blob` contract, run through the built binary against an embedded registry of each
/// test's own.
@Suite("dockyard image and blob commands", .tags(.integration), .requiresDockyardBinary)
struct ImageCommandTests {
    @Test("push, pull one platform and copy all platforms, with JSON events ending in the result")
    func pushPullCopy() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let cli = try DockyardCLI()
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
            let reference = try ImageFixtures.reference(server.registry, "cli")

            let push = try await cli.run(["push", "--json", "--concurrency", "2", layout.directory.path, reference.description])
            #expect(push.status == 0, "\(push.stderrText)")
            let pushEvents = try DockyardCLI.jsonLines(push)
            #expect(pushEvents.last?["digest"]?.string == built.entry.digest.description)
            #expect(pushEvents.filter { $0["event"]?.string == "finished" && $0["size"] != nil }.count == built.blobs.count)

            let target = work.url.appendingPathComponent("pulled")
            let pull = try await cli.run(["pull", "--json", reference.description, "--layout", target.path, "--platform", "linux/arm64/v8"])
            #expect(pull.status == 0, "\(pull.stderrText)")
            let last = try DockyardCLI.jsonLines(pull).last
            #expect(last?["event"]?.string == "finished")
            #expect(last?["digest"]?.string == built.manifests[1].digest.description)
            #expect(last?["totals"]?["transferred"]?.int == 3)

            let destination = try ImageFixtures.reference(server.registry, "cli-copy")
            let copy = try await cli.run(["copy", "--quiet", "--all-platforms", reference.description, destination.description])
            #expect(copy.status == 0, "\(copy.stderrText)")
            #expect(copy.stdoutText.isEmpty)
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            #expect(try await client.resolve(destination).digest == built.entry.digest)
        }
    }

    @Test("blob put prints the digest; blob get writes it to stdout or a file; a bad digest exits 1 with one line")
    func blobCommands() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let cli = try DockyardCLI()
            let work = try TemporaryDirectory(prefix: "blob-cli")
            defer { work.remove() }
            var generator = TestImages.Generator(seed: UInt64.random(in: 1..<UInt64.max))
            let bytes = generator.bytes(700_000)
            let file = work.url.appendingPathComponent("in.bin")
            try Data(bytes).write(to: file)
            let repository = "\(server.registry.host)/dockyard/blob-cli-\(UInt64.random(in: 0..<UInt64.max))"
            let digest = ContentDigest.sha256(of: bytes)

            let put = try await cli.run(["blob", "put", "--chunk-size", "200000", repository, file.path])
            #expect(put.status == 0, "\(put.stderrText)")
            #expect(put.stdoutLines == [digest.description])

            let get = try await cli.run(["blob", "get", "\(repository)@\(digest)"])
            #expect(get.status == 0)
            #expect(get.stdout == Data(bytes))

            let out = work.url.appendingPathComponent("out.bin")
            let toFile = try await cli.run(["blob", "get", "-q", "\(repository)@\(digest)", "-o", out.path])
            #expect(toFile.status == 0)
            #expect(try Data(contentsOf: out) == Data(bytes))

            let missing = ContentDigest.sha256(of: Array("missing".utf8))
            let bad = try await cli.run(["blob", "get", "\(repository)@\(missing)", "-o", work.url.appendingPathComponent("x").path])
            #expect(bad.status == 1)
            #expect(bad.stderrText.split(separator: "\n").count == 1)
            #expect(bad.stderrText.contains("404"))
            #expect(!FileManager.default.fileExists(atPath: work.url.appendingPathComponent("x").path))
        }
    }

    /// Matches lines against docker's formats, line by line.
    static func expectLines(_ lines: [String], _ patterns: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(lines.count == patterns.count, "\(lines)", sourceLocation: sourceLocation)
        for (line, pattern) in zip(lines, patterns) {
            #expect(line.wholeMatch(of: try! Regex(pattern)) != nil, "'\(line)' is not /\(pattern)/", sourceLocation: sourceLocation)
        }
    }

    @Test("pull and push print what docker pull and docker push print, line by line")
    func dockerLook() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let cli = try DockyardCLI()
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", layerSizes: [3_000, 4_000])
            let tagged = try ImageFixtures.reference(server.registry, "look")
            let latest = try ImageReference(normalizing: "\(tagged.name):latest")
            let hex = "[0-9a-f]{12}"
            let digest = "sha256:[0-9a-f]{64}"
            let layers = built.blobs.dropFirst().map { String($0.digest.encoded.prefix(12)) }

            // docker push: repository header, one line per layer (top layer first), then TAG: digest: … size: N.
            let push = try await cli.run(["push", layout.directory.path, latest.description])
            #expect(push.status == 0, "\(push.stderrText)")
            Self.expectLines(push.stdoutLines, [
                #"The push refers to repository \[\#(NSRegularExpression.escapedPattern(for: tagged.name))\]"#,
                "\(hex): Pushed", "\(hex): Pushed",
                "latest: digest: \(built.entry.digest) size: \(built.entry.size)",
            ])
            #expect(Set(push.stdoutLines.dropFirst().prefix(2).map { String($0.prefix(12)) }) == Set(layers))

            let again = try await cli.run(["push", layout.directory.path, latest.description])
            Self.expectLines(Array(again.stdoutLines.dropFirst()), [
                "\(hex): Layer already exists", "\(hex): Layer already exists", "latest: digest: \(digest) size: [0-9]+",
            ])
            // docker pull without a tag: the default tag, the repository path, one line per layer, digest, status, name.
            let target = work.url.appendingPathComponent("pulled")
            let pull = try await cli.run(["pull", latest.name, "--layout", target.path])
            #expect(pull.status == 0, "\(pull.stderrText)")
            Self.expectLines(pull.stdoutLines, [
                "Using default tag: latest",
                "latest: Pulling from \(NSRegularExpression.escapedPattern(for: tagged.path))",
                "\(hex): Pull complete", "\(hex): Pull complete",
                "Digest: \(built.entry.digest)",
                "Status: Downloaded newer image for \(NSRegularExpression.escapedPattern(for: latest.familiar))",
                NSRegularExpression.escapedPattern(for: latest.description),
            ])
            let upToDate = try await cli.run(["pull", latest.description, "--layout", target.path])
            Self.expectLines(upToDate.stdoutLines, [
                "latest: Pulling from \(NSRegularExpression.escapedPattern(for: tagged.path))",
                "\(hex): Already exists", "\(hex): Already exists",
                "Digest: \(built.entry.digest)",
                "Status: Image is up to date for \(NSRegularExpression.escapedPattern(for: latest.familiar))",
                NSRegularExpression.escapedPattern(for: latest.description),
            ])
        }
    }

    @Test("A multi-platform pull prints the index digest, as docker does")
    func multiPlatformDigest() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let cli = try DockyardCLI()
            let (work, layout) = try ImageFixtures.layout()
            defer { work.remove() }
            let built = try TestImages.build(in: layout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
            let reference = try ImageFixtures.reference(server.registry, "look-multi")
            let push = try await cli.run(["push", "-q", layout.directory.path, reference.description])
            #expect(push.status == 0, "\(push.stderrText)")
            let pull = try await cli.run([
                "pull", reference.description, "--layout", work.url.appendingPathComponent("one").path, "--platform", "linux/arm64/v8",
            ])
            #expect(pull.status == 0, "\(pull.stderrText)")
            #expect(pull.stdoutLines.contains("Digest: \(built.entry.digest)"))
            #expect(pull.stdoutLines.first == "v1: Pulling from \(reference.path)")

            let resolved = try await cli.run(["resolve", "--platform", "linux/arm64/v8", reference.description])
            #expect(resolved.stdoutLines == [built.manifests[1].digest.description])
            let onePlatform = try ImageFixtures.reference(server.registry, "look-one")
            let pushOne = try await cli.run(["push", "-q", "--platform", "linux/arm64/v8", layout.directory.path, onePlatform.description])
            #expect(pushOne.status == 0, "\(pushOne.stderrText)")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            #expect(try await client.resolve(onePlatform).digest == built.manifests[1].digest)
        }
    }

    @Test("--platform and --all-platforms together are a usage error (exit 2)")
    func usage() async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run(["pull", "example.com/a:b", "--layout", "/tmp/x", "--platform", "linux/amd64", "--all-platforms"])
        #expect(result.status == 2)
    }
}
