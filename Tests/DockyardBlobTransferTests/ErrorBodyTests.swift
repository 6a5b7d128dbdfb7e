import DockyardReferences
import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import DockyardBlobTransfer

@Suite("Error answers with large bodies")
struct ErrorBodyTests {
    static let base = URL(string: "http://registry.test/v2/a/b/")!

    @Test("a download refused with a body over 64 KiB reports the registry's status, not the body's size")
    func download() async throws {
        let client = BlobClient(transport: LargeErrorBodyServer(status: .forbidden), repositoryURL: Self.base)
        let error = await #expect(throws: BlobTransferError.self) {
            for try await _ in client.stream(BlobDownloadTests.digest) {}
        }
        #expect(error?.status == 403)
    }

    @Test("a mount refused with a body over 64 KiB reports the registry's status, not the body's size")
    func mount() async throws {
        let client = BlobClient(transport: LargeErrorBodyServer(status: .serviceUnavailable), repositoryURL: Self.base)
        let error = await #expect(throws: BlobTransferError.self) {
            _ = try await client.mount(BlobDownloadTests.digest, from: try Repository(normalizing: "registry.test/c/d"))
        }
        #expect(error?.status == 503)
    }
}
