import DockyardHTTPClient
import DockyardTestSupport
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 8: TLS 1.2 is the minimum by default.
///
/// A real HTTPS server (`Fixtures/hostile/tlsserver.py`, Python's `ssl` over the system OpenSSL) is limited to
/// TLS 1.0–1.1, or to 1.2, with a certificate made for the test and trusted through `additionalTrustRoots`, so
/// that the only difference between the two runs is the protocol version. Debian's OpenSSL 3 still serves
/// TLS 1.1 once the cipher list is opened to security level 0, which the server does.
@Suite("TLS 1.2 minimum", .tags(.integration))
struct TLSMinimumVersionTests {
    @Test("A server that offers only TLS 1.0/1.1 is refused with a typed TLS error; the server sees the refusal")
    func oldTLSRefused() async throws {
        try await TLSVersionServer.with(maxVersion: "1.1") { server in
            let transport = try AsyncHTTPTransport(configuration: server.trustingConfiguration)
            defer { Task { await transport.shutdown() } }
            let error = await #expect(throws: TransportError.self) {
                _ = try await transport.send(TransportRequest(url: server.url.appendingPathComponent("v2/")))
            }
            #expect(error?.code == .tlsFailed, "\(String(describing: error))")
            #expect(error?.message.contains("TLS 1.2") == true, "the error says why: \(String(describing: error))")
            // The handshake failed on the protocol version (OpenSSL: UNSUPPORTED_PROTOCOL, or a protocol_version
            // alert), not on trust or anything else, and nothing was answered.
            // The server writes its log line after its side of the handshake ends, which can be after the client's.
            try await Waiting.until("the server's handshake log") { try !server.handshakes().isEmpty }
            let log = try server.handshakes()
            #expect(!log.isEmpty)
            #expect(log.allSatisfy { !$0.ok }, "\(log)")
            #expect(log.contains { ($0.error ?? "").localizedCaseInsensitiveContains("protocol") }, "\(log)")
        }
    }

    @Test("The same server limited to TLS 1.2 is accepted")
    func tls12Accepted() async throws {
        try await TLSVersionServer.with(maxVersion: "1.2") { server in
            let transport = try AsyncHTTPTransport(configuration: server.trustingConfiguration)
            defer { Task { await transport.shutdown() } }
            let response = try await transport.send(TransportRequest(url: server.url.appendingPathComponent("v2/")))
            let body = try await response.body.collect(upTo: 4096)
            #expect(response.status == .ok)
            #expect(String(buffer: body).contains("TLSv1.2"), "\(String(buffer: body))")
            #expect(try server.handshakes().map(\.version) == ["TLSv1.2"])
        }
    }
}

/// One run of `tlsserver.py` with a fresh self-signed certificate for `127.0.0.1`.
private struct TLSVersionServer {
    struct Handshake: Decodable, CustomStringConvertible {
        var ok: Bool
        var version: String?
        var error: String?
        var description: String { ok ? "ok \(version ?? "?")" : "failed: \(error ?? "?")" }
    }

    let url: URL
    let certificate: URL
    let log: URL

    /// A transport configuration that trusts the server's certificate, so that only the TLS version matters.
    var trustingConfiguration: AsyncHTTPTransport.Configuration {
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.additionalTrustRoots = [certificate]
        configuration.timeout.connect = .seconds(30)
        return configuration
    }

    func handshakes() throws -> [Handshake] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Handshake.self, from: Data($0.utf8)) }
    }

    static func with(maxVersion: String, _ body: (TLSVersionServer) async throws -> Void) async throws {
        let scratch = try TemporaryDirectory(prefix: "tls-version")
        defer { scratch.remove() }
        let key = scratch.appending("key.pem")
        let certificate = scratch.appending("cert.pem")
        try await ProcessRunner.check(
            "openssl",
            arguments: [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2", "-keyout", key.path,
                "-out", certificate.path, "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
            timeout: .seconds(120))
        let ready = scratch.appending("ready.json")
        let log = scratch.appending("handshakes.jsonl")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", TestFixtures.url("hostile/tlsserver.py").path, "--cert", certificate.path, "--key", key.path,
            "--max-version", maxVersion, "--ready", ready.path, "--log", log.path,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
        var url: URL?
        for _ in 0..<600 where url == nil {
            if let data = try? Data(contentsOf: ready),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let text = object["url"] as? String
            {
                url = URL(string: text)
            } else {
                guard process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let started = try #require(url, "tlsserver.py did not start")
        try await body(TLSVersionServer(url: started, certificate: certificate, log: log))
    }
}
