import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// Real clients against the embedded registry: Dockyard's own and skopeo (an independent implementation).
@Suite("EmbeddedRegistry interoperability", .tags(.integration))
struct EmbeddedRegistryInteropTests {
    /// Runs `body` with a Dockyard client that reaches `registry` over plain HTTP.
    static func withClient<T: Sendable>(
        _ registry: EmbeddedRegistry, _ body: (RegistryClient) async throws -> T
    ) async throws -> T {
        let client = try RegistryClient(
            configuration: .init(endpoints: [registry.host: registry.url]), credentials: AnonymousCredentials())
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    @Test("Dockyard pushes a two-platform image, pulls one platform, copies by cross-repository mount")
    func dockyardPushPullCopy() async throws {
        let scratch = try TemporaryDirectory(prefix: "registry-interop")
        defer { scratch.remove() }
        let built = try await ImageBuilder.makeLayout(
            at: scratch.appending("source"), platforms: ["linux/amd64", "linux/arm64/v8"], layerSizes: [4096, 70_000])
        try await EmbeddedRegistry.withRegistry { registry in
            try await Self.withClient(registry) { client in
                let reference = try ImageReference(normalizing: "\(registry.host)/team/app:v1")
                let pushed = try await client.push(from: try OCILayout(at: built.directory, create: false), to: reference)
                #expect(pushed.digest.description == built.descriptor.digest)
                #expect(try await client.tags(in: reference.repository).collect() == ["v1"])

                let pulledLayout = try OCILayout(at: scratch.appending("pulled"))
                let pulled = try await client.pull(
                    reference, into: pulledLayout, platforms: .specific(try Platform(parsing: "linux/arm64/v8")))
                #expect(pulled.descriptor.digest.description == built.images[1].manifest.digest)
                for blob in built.images[1].blobs {
                    let path = pulledLayout.blobURL(for: try ContentDigest(parsing: blob)).path
                    #expect(FileManager.default.fileExists(atPath: path), "\(blob) missing from the pulled layout")
                }

                let uploadsBefore = registry.hooks.requestCount(.upload, method: "PUT")
                let copy = try ImageReference(normalizing: "\(registry.host)/mirror/app:v1")
                let copied = try await client.copy(from: reference, to: copy, platforms: .all)
                #expect(copied.digest == pushed.digest)
                #expect(copied.totals.mounted == built.images.flatMap(\.blobs).count)
                #expect(copied.totals.transferred == 0)
                #expect(registry.hooks.requestCount(.upload, method: "PUT") == uploadsBefore)
                let contents = await registry.contents()
                #expect(contents["mirror/app"]?.tags["v1"] == built.descriptor.digest)
            }
        }
    }

    @Test("skopeo copies single- and multi-platform images in and out; inspect and list-tags read them", .requiresSkopeo)
    func skopeo() async throws {
        let scratch = try TemporaryDirectory(prefix: "registry-skopeo")
        defer { scratch.remove() }
        let single = try await ImageBuilder.makeLayout(at: scratch.appending("single"), tag: "one", layerSizes: [2048])
        let multi = try await ImageBuilder.makeLayout(
            at: scratch.appending("multi"), tag: "many", platforms: ["linux/amd64", "linux/arm64/v8", "linux/s390x"],
            layerSizes: [1024, 300_000])
        let docker = try await ImageBuilder.makeLayout(
            at: scratch.appending("docker"), tag: "list", platforms: ["linux/amd64", "linux/arm/v7"],
            layerSizes: [4096], seed: "docker", format: .docker)
        try await EmbeddedRegistry.withRegistry { registry in
            let skopeo = Skopeo()
            try await skopeo.copy(single.skopeoReference, "docker://\(registry.host)/skopeo/single:one")
            try await skopeo.copy(multi.skopeoReference, "docker://\(registry.host)/skopeo/multi:many", allPlatforms: true)
            try await skopeo.copy(
                "docker://\(registry.host)/skopeo/multi:many", "docker://\(registry.host)/skopeo/multi:again", allPlatforms: true)
            // skopeo's oci: transport does not read Docker manifest lists: Dockyard pushes that one, skopeo copies it.
            try await Self.withClient(registry) { client in
                let reference = try ImageReference(normalizing: "\(registry.host)/skopeo/docker:list")
                try await client.push(from: try OCILayout(at: docker.directory, create: false), to: reference)
            }
            try await skopeo.copy(
                "docker://\(registry.host)/skopeo/docker:list", "docker://\(registry.host)/skopeo/docker:copied", allPlatforms: true)
            let list = try await skopeo.inspectRaw("docker://\(registry.host)/skopeo/docker:copied")
            #expect(EmbeddedRegistryTests.digest(Array(list)) == docker.descriptor.digest)

            let raw = try await skopeo.inspectRaw("docker://\(registry.host)/skopeo/multi:many")
            #expect(EmbeddedRegistryTests.digest(Array(raw)) == multi.descriptor.digest)
            let inspected = try await skopeo.inspect("docker://\(registry.host)/skopeo/single:one")
            #expect(inspected["Digest"]?.string == single.descriptor.digest)
            let tags = try await skopeo.run(["list-tags", "--tls-verify=false", "docker://\(registry.host)/skopeo/multi"])
            #expect(tags.succeeded)
            #expect(try TestJSON(parsing: tags.stdout)["Tags"]?.array?.compactMap(\.string) == ["again", "many"])

            try await skopeo.copy(
                "docker://\(registry.host)/skopeo/multi:many", "oci:\(scratch.appending("out").path):many", allPlatforms: true)
            try await skopeo.copy("docker://\(registry.host)/skopeo/single:one", "oci:\(scratch.appending("out").path):one")
            let out = try OCILayout(at: scratch.appending("out"), create: false)
            let entries = try out.entries().map(\.digest.description)
            #expect(Set(entries) == [multi.descriptor.digest, single.descriptor.digest])
        }
    }
}
