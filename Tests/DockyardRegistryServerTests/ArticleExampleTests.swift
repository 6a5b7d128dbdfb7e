import Dockyard
import DockyardRegistryServer
import Foundation
import Testing

// The complete test of the article "Test against an embedded registry"
// (Documentation/Dockyard.docc/Articles/TestAgainstAnEmbeddedRegistry.md), kept identical so that it compiles and
// passes in CI.
@Suite("Article: Test against an embedded registry")
struct ArticleExampleTests {
    @Test func pushAndPull() async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            let client = try RegistryClient(configuration: .init(endpoints: [registry.host: registry.url]))
            let temporary = FileManager.default.temporaryDirectory
            let layer = try LayerBuilder.build([.emptyDirectory(at: "/app")], to: temporary.appendingPathComponent("\(UUID()).tgz"))
            let image = try ImageReference(normalizing: "\(registry.host)/team/app:1.0")
            let pushed = try await client.append([layer], to: .scratch, as: .registry(image))
            let pulled = try await client.pull(image, into: try OCILayout(at: temporary.appendingPathComponent("\(UUID())")))
            #expect(pulled.descriptor.digest == pushed.descriptor.digest)
            await client.shutdown()
        }
    }
}
