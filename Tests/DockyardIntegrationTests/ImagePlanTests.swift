@testable import Dockyard
import Foundation
import Testing

/// The plan of an image transfer, computed from what manifests claim.
@Suite("Image transfer plan")
struct ImagePlanTests {
    static func blob(_ fill: Character, size: Int64) throws -> Descriptor {
        Descriptor(
            mediaType: .ociLayerGzip, digest: try ContentDigest(parsing: "sha256:" + String(repeating: fill, count: 64)),
            size: size)
    }

    @Test("Planned bytes add the blobs' sizes")
    func plainSum() throws {
        let blobs = [try Self.blob("a", size: 10), try Self.blob("b", size: 32)]
        #expect(RegistryClient.plannedBytes(blobs) == 42)
        #expect(RegistryClient.plannedBytes([]) == 0)
    }

    @Test("Sizes a manifest cannot honestly claim neither overflow nor go negative")
    func absurdSizes() throws {
        let huge = [try Self.blob("a", size: .max - 1), try Self.blob("b", size: .max / 2), try Self.blob("c", size: 5)]
        #expect(RegistryClient.plannedBytes(huge) == .max)
        let negative = [try Self.blob("a", size: -100), try Self.blob("b", size: 7)]
        #expect(RegistryClient.plannedBytes(negative) == 7)
    }
}
