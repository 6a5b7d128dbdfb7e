@testable import Dockyard
import DockyardTestFakes
import Foundation
import NIOHTTP1
import Testing

/// Issue 8, audit of arithmetic on wire values: each case here was a place where a number from a header, a
/// manifest or a layout reached `+` or `-` unchecked (or was used although it made no sense).
@Suite("Wire values in the Dockyard module")
struct WireValueTests {
    @Test("A manifest HEAD whose Content-Length is signed or not a number is not taken as the size",
          arguments: ["-5", "+42", " -1", "1e3", "99999999999999999999"])
    func signedContentLength(length: String) async throws {
        let manifest = #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}]}"#
        let digest = ContentDigest.sha256(of: Array(manifest.utf8))
        let transport = ScriptedTransport { request, _ in
            var headers: HTTPHeaders = ["Content-Type": "application/vnd.oci.image.manifest.v1+json"]
            if request.method == .HEAD {
                headers.add(name: "Docker-Content-Digest", value: digest.description)
                headers.add(name: "Content-Length", value: length)
                return .response(.ok, headers: headers, url: request.url)
            }
            return .response(.ok, headers: headers, body: manifest, url: request.url)
        }
        var configuration = RegistryClient.Configuration()
        configuration.endpoints["registry.test"] = URL(string: "https://registry.test")
        let client = try RegistryClient(configuration: configuration, credentials: StaticCredentials([:]), transport: transport)
        let descriptor = try await client.manifestDescriptor(for: try ImageReference(parsing: "registry.test/team/app:v1"))
        // The size comes from the manifest's own bytes (fetched and hashed), never from the nonsense header.
        #expect(descriptor.size == Int64(manifest.utf8.count))
        #expect(descriptor.digest == digest)
        #expect(transport.requests.contains { $0.method == .GET })
    }

    @Test("Blob totals of an image operation saturate instead of overflowing, and ignore negative sizes")
    func blobTallySaturates() async {
        let tally = BlobTally()
        await tally.downloaded(.max)
        await tally.downloaded(.max)
        await tally.record(.uploaded, size: .max)
        #expect(await tally.totals.bytes == .max)
        let other = BlobTally()
        await other.downloaded(10)
        await other.record(.uploaded, size: -7)
        #expect(await other.totals.bytes == 10)
        #expect(await other.totals.transferred == 2)
    }

    @Test("Running progress survives descriptor sizes at the ends of Int64")
    func progressTrackerExtremes() {
        let tracker = ProgressTracker(ImageTransferProgress(totalBytes: 100, totalBlobs: 2), emit: nil)
        let first = ContentDigest.sha256(of: Array("a".utf8))
        let second = ContentDigest.sha256(of: Array("b".utf8))
        tracker.handle(.progressed(digest: first, completed: 5, total: 10))
        // A size of Int64.min after 5 bytes was `Int64.min - 5`: a trap.
        tracker.handle(.skipped(digest: first, size: .min))
        tracker.handle(.skipped(digest: second, size: .max))
        tracker.handle(.finished(digest: second, size: .max))
        // Nothing trapped, and the totals stay in range.
        #expect(tracker.totals.bytes >= 0)
    }
}
