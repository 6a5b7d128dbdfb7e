import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// Artifacts and referrers on a registry that implements the referrers API (the embedded registry): the SDK lists
/// them through `GET /v2/<name>/referrers/<digest>`, never the tag schema, and `copyReferrers` takes them along.
@Suite("Referrers API path on the embedded registry", .tags(.integration))
struct EmbeddedReferrersTests {
    static let sbomType: MediaType = "application/vnd.example.sbom"
    static let signatureType: MediaType = "application/vnd.example.signature"

    /// An image with an SBOM referring to it and a signature referring to the SBOM.
    struct Attached {
        var image: ImageReference
        var subject: Descriptor
        var sbom: Descriptor
        var signature: Descriptor
    }

    static func attach(_ client: RegistryClient, _ registry: EmbeddedRegistry, _ scratch: TemporaryDirectory) async throws -> Attached {
        let built = try await ImageBuilder.makeLayout(at: scratch.appending("image"), layerSizes: [2048])
        let image = try ImageReference(normalizing: "\(registry.host)/team/app:v1")
        try await client.push(from: try OCILayout(at: built.directory, create: false), to: image)
        let subject = try await client.resolve(image)
        let sbomFile = scratch.appending("sbom.json")
        try Data(#"{"packages":[]}"#.utf8).write(to: sbomFile)
        let signatureFile = scratch.appending("sbom.sig")
        try Data("signed".utf8).write(to: signatureFile)
        let sbom = try await client.pushArtifact(
            [ArtifactFile(sbomFile, mediaType: "application/spdx+json")], artifactType: sbomType, to: image.withoutTag(),
            subject: subject, annotations: ["kind": "sbom"])
        let signature = try await client.pushArtifact(
            [ArtifactFile(signatureFile)], artifactType: signatureType, to: image.withoutTag(), subject: sbom)
        return Attached(image: image, subject: subject, sbom: sbom, signature: signature)
    }

    @Test("artifacts pushed with a subject are listed through the referrers API (no tag schema read or written), filtered by artifactType")
    func listedThroughTheAPI() async throws {
        let scratch = try TemporaryDirectory(prefix: "referrers-api")
        defer { scratch.remove() }
        try await EmbeddedRegistry.withRegistry { registry in
            try await EmbeddedRegistryInteropTests.withClient(registry) { client in
                let attached = try await Self.attach(client, registry, scratch)
                let repository = attached.image.repository
                // The registry has the API, so no referrers tag was written.
                #expect(try await client.tags(in: repository).collect() == ["v1"])

                registry.hooks.reset()
                let all = try await client.referrers(of: attached.subject.digest, in: repository).collect()
                #expect(all.map(\.digest) == [attached.sbom.digest])
                #expect(all.first?.artifactType == Self.sbomType)
                #expect(all.first?.annotations?["kind"] == "sbom")
                // One referrers request answered it; no manifest was fetched (the tag schema fallback reads one).
                #expect(registry.hooks.requestCount(.referrers, method: "GET") == 1)
                #expect(registry.hooks.requestCount(.manifest) == 0)

                let signatures = try await client.referrers(of: attached.sbom.digest, in: repository, artifactType: Self.signatureType).collect()
                #expect(signatures.map(\.digest) == [attached.signature.digest])
                #expect(try await client.referrers(of: attached.sbom.digest, in: repository, artifactType: Self.sbomType).collect().isEmpty)
                #expect(registry.hooks.requestCount(.referrers, method: "GET") == 3)
                #expect(registry.hooks.requestCount(.manifest) == 0)
            }
        }
    }

    @Test("copyReferrers takes an image's referrers, and theirs, along to another repository; the destination lists them through the API")
    func copyReferrersAlong() async throws {
        let scratch = try TemporaryDirectory(prefix: "referrers-copy")
        defer { scratch.remove() }
        try await EmbeddedRegistry.withRegistry { registry in
            try await EmbeddedRegistryInteropTests.withClient(registry) { client in
                let attached = try await Self.attach(client, registry, scratch)
                let destination = try ImageReference(normalizing: "\(registry.host)/mirror/app:v1")
                let copied = try await client.copy(from: attached.image, to: destination, platforms: .all)
                let result = try await client.copyReferrers(
                    of: [copied.digest] + copied.manifests.map(\.digest), from: attached.image.repository,
                    to: destination.repository)
                #expect(result.referrers.map(\.digest) == [attached.sbom.digest, attached.signature.digest])
                #expect(result.totals.transferred == 0)  // same registry: every blob mounted

                registry.hooks.reset()
                #expect(try await client.referrers(of: attached.subject.digest, in: destination.repository).collect().map(\.digest) == [attached.sbom.digest])
                #expect(try await client.referrers(of: attached.sbom.digest, in: destination.repository).collect().map(\.digest) == [attached.signature.digest])
                #expect(registry.hooks.requestCount(.manifest) == 0)
                #expect(try await client.tags(in: destination.repository).collect() == ["v1"])
                // Byte for byte: the same digests at the destination.
                let sbom = try await client.manifest(for: destination.withoutTag().withDigest(attached.sbom.digest))
                #expect(sbom.digest == attached.sbom.digest)
            }
        }
    }
}
