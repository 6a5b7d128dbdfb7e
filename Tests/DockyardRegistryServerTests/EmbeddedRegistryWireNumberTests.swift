import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// Issue 8 audit, on the server side: a client's numbers never trap the embedded registry (it runs inside the test
/// process, so a trap would end the whole run rather than fail one test).
@Suite("EmbeddedRegistry wire numbers")
struct EmbeddedRegistryWireNumberTests {
    @Test("A PATCH with Content-Range 0-(2^63-1) and a Content-Length is refused with 416, and the registry lives on",
          arguments: ["0-9223372036854775807", "bytes 0-9223372036854775807", "0-9223372036854775807/*"])
    func hugeContentRange(range: String) async throws {
        try await EmbeddedRegistry.withRegistry(.init()) { registry in
            let start = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"))
            #expect(start.status == 202)
            let location = try #require(start.headers["location"])
            let session = try #require(URL(string: location, relativeTo: registry.url)?.absoluteURL)
            let patch = try await ControlHTTP.send(
                "PATCH", session, body: Data("hello".utf8),
                headers: ["Content-Range": range, "Content-Type": "application/octet-stream"])
            #expect(patch.status == 416, "\(patch.status) \(patch.text)")
            let ping = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/"))
            #expect(ping.status == 200)
        }
    }
}
