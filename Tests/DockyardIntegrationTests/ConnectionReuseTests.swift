import DockyardTestSupport
import DockyardTransport
import Foundation
import Testing
import DockyardHTTPClient
import NIOCore
import NIOHTTP1

/// A minimal keep-alive HTTP/1.1 server on loopback that counts the connections it accepts.
///
/// Only the number of TCP connections is observed here, which no real registry reports; the registries
/// themselves are exercised in `LocalHubTransportTests`.
final class CountingServer: @unchecked Sendable {
    private let fd: Int32
    let port: Int
    private let lock = NSLock()
    private var _connections = 0

    var connections: Int { lock.withLock { _connections } }

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listenFD = fd
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listenFD, $0, length) == 0 && getsockname(listenFD, $0, &length) == 0 && listen(listenFD, 16) == 0
            }
        }
        try #require(ready, "could not listen on loopback")
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            lock.withLock { _connections += 1 }
            Thread.detachNewThread { Self.serve(client) }
        }
    }

    /// Answers every request head on the connection with `200 {}` until the client closes it.
    private static func serve(_ client: Int32) {
        defer { close(client) }
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8)
        let terminator = Array("\r\n\r\n".utf8)
        while true {
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            pending += buffer[0..<count]
            while let end = pending.firstRange(of: terminator) {
                pending.removeSubrange(pending.startIndex..<end.upperBound)
                _ = response.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            }
        }
    }
}

@Suite("Connection reuse", .tags(.integration))
struct ConnectionReuseTests {
    @Test("sequential requests share one pooled connection")
    func sequentialRequestsReuse() async throws {
        let server = try CountingServer()
        defer { server.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(server.port)/v2/"))
        try await withTransport { transport in
            for _ in 0..<5 {
                let response = try await transport.send(TransportRequest(url: url))
                #expect(response.status == .ok)
                #expect(String(buffer: try await response.body.collect(upTo: 64)) == "{}")
            }
        }
        #expect(server.connections == 1)
    }

    @Test("a new transport opens its own connection")
    func separateTransports() async throws {
        let server = try CountingServer()
        defer { server.stop() }
        let url = try #require(URL(string: "http://127.0.0.1:\(server.port)/v2/"))
        for _ in 0..<2 {
            try await withTransport { transport in
                let response = try await transport.send(TransportRequest(url: url))
                await response.body.drain()
                #expect(response.status == .ok)
            }
        }
        #expect(server.connections == 2, "the counter counts connections, so the reuse test can fail")
    }
}
