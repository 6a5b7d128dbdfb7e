import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import NIOConcurrencyHelpers
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

    /// A chunked PATCH whose second chunk size is not a number, on a connection that stays open: NIO answers it `400`
    /// itself, so the registry must not answer as well (a second response trapped NIO's pipeline handler, which ended
    /// the debug test process, before the fix that EmbeddedRegistryConnectionTests covers for bodies cut short).
    @Test("A malformed chunk in a PATCH body gets NIO's one 400, is logged 400 with the bytes before it, and the registry lives on")
    func malformedChunk() async throws {
        let records = NIOLockedValueBox<[EmbeddedRegistry.RequestRecord]>([])
        let configuration = EmbeddedRegistry.Configuration(requestLog: { record in records.withLockedValue { $0.append(record) } })
        try await EmbeddedRegistry.withRegistry(configuration) { registry in
            let start = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"))
            #expect(start.status == 202)
            let location = try #require(start.headers["location"])
            let session = try #require(URL(string: location, relativeTo: registry.url)?.absoluteURL)
            let target = session.path + (session.query.map { "?" + $0 } ?? "")
            let script = """
                import socket, sys
                host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
                s = socket.create_connection((host, port), timeout=10)
                head = "PATCH %s HTTP/1.1\\r\\nHost: %s:%d\\r\\nContent-Type: application/octet-stream\\r\\n" % (target, host, port)
                s.sendall((head + "Transfer-Encoding: chunked\\r\\n\\r\\n3e8\\r\\n").encode() + b"x" * 1000 + b"\\r\\nzz\\r\\n")
                data = b""
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                except ConnectionResetError:
                    pass
                s.close()
                sys.stdout.write(data.decode("latin-1"))
                """
            let port = try #require(registry.url.port)
            let cut = try await ProcessRunner.run("python3", arguments: ["-c", script, "127.0.0.1", String(port), target])
            #expect(cut.succeeded, "\(cut.stderrText)")
            let statusLines = cut.stdoutText.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statusLines == ["HTTP/1.1 400 Bad Request"], "\(cut.stdoutText)")
            let ping = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/"))
            #expect(ping.status == 200)
            let status = try await ControlHTTP.get(session)
            #expect(status.status == 204, "\(status.status) \(status.text)")
            let patches = records.withLockedValue { $0 }.filter { $0.method == "PATCH" }
            #expect(patches.map(\.status) == [400], "\(patches)")
            #expect(patches.first?.bytesIn == 1000)
        }
    }
}
