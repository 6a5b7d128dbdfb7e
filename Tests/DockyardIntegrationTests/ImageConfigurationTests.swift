import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// `imageConfiguration(for:platform:)`, the one call for reading a configuration, and `ConfigurationBlob`'s
/// description, against the embedded registry: a single-platform image asked for another platform is refused with a
/// typed error instead of answering with the configuration it has; an index gives the entry asked for.
@Suite("Image configuration against the embedded registry", .tags(.integration))
struct ImageConfigurationTests {
    /// Starts a registry and gives `body` a client whose endpoint for it is set.
    static func withRegistry(_ body: (EmbeddedRegistry, RegistryClient) async throws -> Void) async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            var configuration = RegistryClient.Configuration(retry: .none)
            configuration.endpoints[registry.host] = registry.url
            let client = try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
            try await RegistryFixtures.withClient(client) { try await body(registry, $0) }
        }
    }

    @Test("A single linux/amd64 image: no platform or linux/amd64 reads it; linux/arm64 throws platformUnavailable")
    func singlePlatformImage() async throws {
        try await Self.withRegistry { registry, client in
            let reference = try ImageReference(normalizing: "\(registry.host)/team/single:1.0")
            _ = try await RegistryFixtures.pushImage(reference, with: client, architecture: "amd64")

            #expect(try await client.imageConfiguration(for: reference).architecture == "amd64")
            let amd64 = try await client.imageConfiguration(for: reference, platform: Platform(parsing: "linux/amd64"))
            #expect(amd64.platform.description == "linux/amd64")

            let error = await #expect(throws: LayerError.self) {
                try await client.imageConfiguration(for: reference, platform: Platform(parsing: "linux/arm64"))
            }
            #expect(error?.code == .platformUnavailable)
            #expect(error?.message.contains("single-platform image for linux/amd64, not linux/arm64") == true)

            // The builder's lower-level call keeps answering with the one configuration the image has.
            let blob = try await client.configuration(of: .registry(reference), platform: Platform(parsing: "linux/arm64"))
            #expect(blob.configuration.architecture == "amd64")
        }
    }

    @Test("An index: linux/arm64 gives the arm64 entry's configuration; linux/riscv64, absent, throws platformUnavailable")
    func index() async throws {
        try await Self.withRegistry { registry, client in
            let (directory, layout) = try ImageFixtures.layout()
            defer { directory.remove() }
            _ = try TestImages.build(in: layout, refName: "multi", platforms: ["linux/amd64", "linux/arm64"], layerSizes: [64])
            let reference = try ImageReference(normalizing: "\(registry.host)/team/multi:1.0")
            _ = try await client.push(from: layout, refName: "multi", to: reference)

            let arm64 = try await client.imageConfiguration(for: reference, platform: Platform(parsing: "linux/arm64"))
            #expect(arm64.platform.description == "linux/arm64")
            let error = await #expect(throws: LayerError.self) {
                try await client.imageConfiguration(for: reference, platform: Platform(parsing: "linux/riscv64"))
            }
            #expect(error?.code == .platformUnavailable)
        }
    }

    @Test("ConfigurationBlob prints its platform, digest and size, not its bytes")
    func configurationBlobDescription() async throws {
        try await Self.withRegistry { registry, client in
            let reference = try ImageReference(normalizing: "\(registry.host)/team/described:1.0")
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, architecture: "arm64")
            let blob = try await client.configuration(of: .registry(reference))
            #expect(blob.descriptor.size == Int64(blob.bytes.count))
            #expect("\(blob)" == "linux/arm64 configuration \(pushed.config) (\(blob.bytes.count) bytes)")
        }
    }
}
