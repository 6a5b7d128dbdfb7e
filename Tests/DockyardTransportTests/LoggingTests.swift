import DockyardHTTPClient
import DockyardTestSupport
import DockyardTransport
import Foundation
import Logging
import NIOHTTP1
import Testing

/// Collects every log message and its metadata as text.
final class CapturedLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }

    var logger: Logger {
        var logger = Logger(label: "dockyard.transport.test") { _ in CapturingHandler(log: self) }
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        log.append("\(event.level) \(event.message) \(rendered)")
    }
}

@Suite("Logging against localhub", .requiresLocalHub, .tags(.integration))
struct LoggingTests {
    @Test("trace logs show the request, HTTP/2 over TLS, and never the credentials")
    func noCredentialsInLogs() async throws {
        let hub = try LocalHub.required()
        let captured = CapturedLog()
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.additionalTrustRoots = [hub.tlsCA]
        configuration.logger = captured.logger
        let secret = "s3cr3t-token-value-\(UInt64.random(in: 0...UInt64.max))"
        try await withTransport(configuration) { transport in
            let retrying = RetryingTransport(wrapping: transport, policy: .default, logger: captured.logger)
            let redirecting = RedirectingTransport(wrapping: retrying, logger: captured.logger)
            let url = try #require(URL(string: "\(hub.tls.url.absoluteString)/v2/?signature=\(secret)"))
            let response = try await redirecting.send(
                TransportRequest(url: url, headers: ["Authorization": "Bearer \(secret)", "Cookie": secret]))
            #expect(response.status == .ok)
            await response.body.drain()
        }

        let text = captured.text
        #expect(text.contains("\(hub.tls.url.absoluteString)/v2/"), "the request is logged")
        #expect(text.contains("Bearer <redacted>"), "headers are logged at trace level, redacted")
        #expect(text.contains("version=HTTP/2"), "HTTP/2 is negotiated with a TLS server that offers it:\n\(text)")
        #expect(!text.contains(secret), "no credential, cookie or signed query in the log")
    }

    @Test("HTTP/1.1 only when HTTP/2 is switched off")
    func http1Only() async throws {
        let hub = try LocalHub.required()
        let captured = CapturedLog()
        var configuration = AsyncHTTPTransport.Configuration()
        configuration.tls.additionalTrustRoots = [hub.tlsCA]
        configuration.allowsHTTP2 = false
        configuration.logger = captured.logger
        try await withTransport(configuration) { transport in
            let response = try await transport.send(TransportRequest(url: hub.tls.v2()))
            await response.body.drain()
            #expect(response.status == .ok)
        }
        #expect(captured.text.contains("version=HTTP/1.1"))
        #expect(!captured.text.contains("version=HTTP/2"))
    }
}
