import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The `dockyard pull/push/copy/blob` contract, run through the built binary against localhub.
@Suite("dockyard image and blob commands", .tags(.integration), .requiresLocalHub)
struct ImageCommandTests {
    @Test("push, pull one platform and copy all platforms, with JSON events ending in the result")
    func pushPullCopy() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let (work, layout) = try ImageFixtures.layout()
        defer { work.remove() }
        let built = try TestImages.build(in: layout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
        let reference = try ImageFixtures.reference(hub.open, "cli")

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

        let destination = try ImageFixtures.reference(hub.open, "cli-copy")
        let copy = try await cli.run(["copy", "--quiet", "--all-platforms", reference.description, destination.description])
        #expect(copy.status == 0, "\(copy.stderrText)")
        #expect(copy.stdoutText.isEmpty)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        #expect(try await client.resolve(destination).digest == built.entry.digest)
    }

    @Test("blob put prints the digest; blob get writes it to stdout or a file; a bad digest exits 1 with one line")
    func blobCommands() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let work = try TemporaryDirectory(prefix: "blob-cli")
        defer { work.remove() }
        var generator = TestImages.Generator(seed: UInt64.random(in: 1..<UInt64.max))
        let bytes = generator.bytes(700_000)
        let file = work.url.appendingPathComponent("in.bin")
        try Data(bytes).write(to: file)
        let repository = "\(hub.open.host)/dockyard/blob-cli-\(UInt64.random(in: 0..<UInt64.max))"
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

    @Test("--platform and --all-platforms together are a usage error (exit 2)")
    func usage() async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run(["pull", "example.com/a:b", "--layout", "/tmp/x", "--platform", "linux/amd64", "--all-platforms"])
        #expect(result.status == 2)
    }
}
