import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// A client that leaves in the middle of a request body: NIO's protocol error handler answers the request itself
/// (400, `Connection: close`), so the registry must not write a response of its own after it. Before the fix it did,
/// and NIO's pipeline handler trapped the process ("Received second response while waiting for first one to
/// complete") — the registry runs inside the test process, so that ended the whole run.
@Suite("EmbeddedRegistry connections cut mid-body")
struct EmbeddedRegistryConnectionTests {
    /// Sends `request` with `Content-Length: 1000` but only 10 body bytes, shuts the socket for writing, and prints
    /// everything the server answered until it closes.
    static let client = """
        import socket, sys
        port, method, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(f"{method} {path} HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Type: application/octet-stream\\r\\nContent-Length: 1000\\r\\n\\r\\n".encode() + b"a" * 10)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        sys.stdout.write(data.decode("latin-1"))
        """

    /// The trap depended on which of the two answers came first, so each case is cut 25 times.
    @Test("A manifest PUT, a monolithic blob upload and a chunk cut short get at most one response, and the registry lives on",
          arguments: ["manifest", "monolithic", "chunk"])
    func cutMidBody(kind: String) async throws {
        try await EmbeddedRegistry.withRegistry(.init()) { registry in
            for _ in 0..<25 { try await Self.cut(kind, registry) }
        }
    }

    static func cut(_ kind: String, _ registry: EmbeddedRegistry) async throws {
            let port = try #require(registry.url.port)
            let path: String
            switch kind {
            case "manifest":
                path = "/v2/team/cut/manifests/v1"
            default:
                let start = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/cut/blobs/uploads/"))
                #expect(start.status == 202)
                let location = try #require(start.headers["location"])
                let session = try #require(URL(string: location, relativeTo: registry.url)?.absoluteURL)
                var components = try #require(URLComponents(url: session, resolvingAgainstBaseURL: false))
                if kind == "monolithic" {
                    components.queryItems = (components.queryItems ?? [])
                        + [URLQueryItem(name: "digest", value: "sha256:" + String(repeating: "0", count: 64))]
                }
                path = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
            }
            let method = kind == "chunk" ? "PATCH" : "PUT"
            let result = try await ProcessRunner.run("python3", arguments: ["-c", Self.client, String(port), method, path])
            #expect(result.status == 0, "\(result.stderrText)")
            let statusLines = result.stdoutText.components(separatedBy: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
            #expect(statusLines.count <= 1, "\(result.stdoutText)")
            if let line = statusLines.first { #expect(line.hasPrefix("HTTP/1.1 400"), "\(line)") }

            let ping = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/"))
            #expect(ping.status == 200)
            // Nothing was stored under the tag.
            let manifest = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/team/cut/manifests/v1"))
            #expect(manifest.status == 404)
    }
}
