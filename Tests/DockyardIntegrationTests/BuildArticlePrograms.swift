import Dockyard
import Foundation

// The complete programs of the articles "Build an image from files" and "Artifacts and referrers", compiled with
// the tests so that they keep compiling (until the documentation has its own compile check). Not run: they need
// files and a registry of their own.
enum BuildArticlePrograms {
    static func buildImage() async throws {
        let layer = try LayerBuilder.build(
            [.directory(URL(fileURLWithPath: "public"), at: "/srv/www")],
            to: URL(fileURLWithPath: "/tmp/site.tar.gz"))
        var changes = ImageChanges()
        changes.entrypoint = ["/usr/sbin/nginx", "-g", "daemon off;"]
        changes.labels = ["org.opencontainers.image.source": "https://github.com/acme/site"]
        let client = try RegistryClient()
        let result = try await client.append(
            [layer], to: .registry(try ImageReference(normalizing: "nginx:1.27")),
            as: try ImageLocation(parsing: "registry.example.com/acme/site:v1"), changes: changes)
        print(result.descriptor.digest)
        await client.shutdown()
    }

    static func attachSBOM() async throws {
        let client = try RegistryClient()
        let image = try ImageReference(normalizing: "registry.example.com/acme/site:v1")
        let subject = try await client.resolve(image)
        try await client.pushArtifact(
            [ArtifactFile(URL(fileURLWithPath: "sbom.spdx.json"), mediaType: "application/spdx+json")],
            artifactType: "application/spdx+json", to: image.withoutTag(), subject: subject)
        for referrer in try await client.referrers(of: subject.digest, in: image.repository).collect() {
            print(referrer.digest, referrer.artifactType?.rawValue ?? "-")
        }
        await client.shutdown()
    }
}
