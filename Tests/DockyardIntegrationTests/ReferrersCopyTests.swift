import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// `copy --referrers` on distribution 2.8 (no referrers API): referrers are found and recorded through the
/// referrers tag schema (`sha256-<hex>` index).
@Suite("Copying referrers through the tag schema", .tags(.integration), .requiresLocalHub)
struct ReferrersCopyTests {
    @Test("copyReferrers and dockyard copy --referrers take an SBOM and its signature along; the destination's tag schema index lists them")
    func tagSchema() async throws {
        let hub = try LocalHub.required()
        let (directory, layout) = try ImageFixtures.layout()
        defer { directory.remove() }
        _ = try TestImages.build(in: layout, refName: "base")
        let image = try ImageFixtures.reference(hub.open, "referrers-src")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: layout, refName: "base", to: image)
        let subject = try await client.resolve(image)
        let sbomFile = directory.appending("sbom.json")
        try Data(#"{"packages":[]}"#.utf8).write(to: sbomFile)
        let signatureFile = directory.appending("sbom.sig")
        try Data("signed".utf8).write(to: signatureFile)
        let sbom = try await client.pushArtifact(
            [ArtifactFile(sbomFile, mediaType: "application/spdx+json")], artifactType: "application/vnd.example.sbom",
            to: image.withoutTag(), subject: subject)
        let signature = try await client.pushArtifact(
            [ArtifactFile(signatureFile)], artifactType: "application/vnd.example.signature", to: image.withoutTag(), subject: sbom)

        // SDK: the image, then its referrers (and the signature of the SBOM), into another repository.
        let destination = try ImageFixtures.reference(hub.open, "referrers-dst")
        let copied = try await client.copy(from: image, to: destination)
        let result = try await client.copyReferrers(
            of: [copied.digest] + copied.manifests.map(\.digest), from: image.repository, to: destination.repository)
        #expect(result.referrers.map(\.digest) == [sbom.digest, signature.digest])
        #expect(try await client.referrers(of: subject.digest, in: destination.repository).collect().map(\.digest) == [sbom.digest])
        #expect(try await client.referrers(of: sbom.digest, in: destination.repository).collect().map(\.digest) == [signature.digest])
        let index = try #require(try await client.manifest(for: try destination.withTag("sha256-\(subject.digest.encoded)")).index)
        #expect(index.manifests.map(\.digest) == [sbom.digest])
        #expect(index.manifests.first?.artifactType == "application/vnd.example.sbom")

        // CLI: the same with one command; without --referrers, none are copied.
        let cli = try DockyardCLI()
        let plain = try ImageFixtures.reference(hub.open, "referrers-plain")
        let without = try await cli.run(["copy", "--quiet", image.description, plain.description])
        #expect(without.status == 0, "\(without.stderrText)")
        #expect(try await client.referrers(of: subject.digest, in: plain.repository).collect().isEmpty)
        let withReferrers = try ImageFixtures.reference(hub.open, "referrers-cli")
        let run = try await cli.run(["copy", "--json", "--referrers", image.description, withReferrers.description])
        #expect(run.status == 0, "\(run.stderrText)")
        let last = try DockyardCLI.jsonLines(run).last
        #expect(last?["referrers"]?.array?.compactMap(\.string) == [sbom.digest.description, signature.digest.description])
        #expect(try await client.referrers(of: subject.digest, in: withReferrers.repository).collect().map(\.digest) == [sbom.digest])
        #expect(try await client.referrers(of: sbom.digest, in: withReferrers.repository).collect().map(\.digest) == [signature.digest])
    }
}
