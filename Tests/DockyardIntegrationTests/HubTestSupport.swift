import DockyardHTTPClient
import DockyardHubAPI
import DockyardTestSupport
import DockyardTransport
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with a `HubClient` on hubsim and shuts its transport down afterwards.
func withHubClient<T>(
    _ hub: HubSim,
    pageSize: Int = 100,
    retry: RetryPolicy = .default,
    userAgent: String = "dockyard-tests/hub",
    _ body: (HubClient) async throws -> T
) async throws -> T {
    let transport = try AsyncHTTPTransport()
    do {
        let configuration = HubClient.Configuration(baseURL: hub.url, pageSize: pageSize, retry: retry, userAgent: userAgent)
        let client = try HubClient(configuration: configuration, transport: transport)
        let value = try await body(client)
        await transport.shutdown()
        return value
    } catch {
        await transport.shutdown()
        throw error
    }
}

/// A unique lowercase name for objects a test creates.
func uniqueHubName(_ prefix: String) -> String {
    prefix + "-" + UUID().uuidString.lowercased().prefix(8)
}

/// A tiny HTTP/1.1 server on 127.0.0.1 for receiving webhook deliveries in a test: each request's body is
/// handed to the stream and answered `200 OK`.
final class LoopbackReceiver: @unchecked Sendable {
    /// One request received.
    struct Request: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: [UInt8]
    }

    let port: Int
    let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation
    private let socket: Int32
    private let lock = NSLock()
    private var closed = false

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError("socket() failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ReceiverError("bind/listen failed")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: actual.sin_port))
        socket = fd
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/hook") ?? URL(fileURLWithPath: "/") }

    func stop() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        shutdown(socket, Int32(SHUT_RDWR))
        close(socket)
        continuation.finish()
    }

    deinit { stop() }

    private func acceptLoop() {
        while true {
            let client = accept(socket, nil, nil)
            if client < 0 { return }
            if let request = readRequest(client) {
                let answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"
                _ = answer.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                continuation.yield(request)
            }
            close(client)
        }
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            data += buffer[0..<n]
            if headerEnd == nil, let end = LoopbackReceiver.find([13, 10, 13, 10], in: data) {
                headerEnd = end + 4
                let head = String(decoding: data[0..<end], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
            if let headerEnd, data.count >= headerEnd + contentLength { break }
        }
        guard let headerEnd else { return nil }
        let head = String(decoding: data[0..<(headerEnd - 4)], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let body = Array(data[headerEnd..<min(data.count, headerEnd + contentLength)])
        return Request(
            method: requestLine.first.map(String.init) ?? "",
            path: requestLine.dropFirst().first.map(String.init) ?? "",
            headers: headers, body: body)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where Array(haystack[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }
}

struct ReceiverError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Waits for the first element of a stream, failing after `timeout`.
func firstElement<Element: Sendable>(of stream: AsyncStream<Element>, timeout: Duration) async throws -> Element {
    try await withThrowingTaskGroup(of: Element?.self) { group in
        group.addTask {
            for await element in stream { return element }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else { throw ReceiverError("nothing arrived within \(timeout)") }
        return first
    }
}

/// Reads a child process's output line by line, with a timeout per line.
final class LineReader: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var ended = false

    init(_ handle: FileHandle) {
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 10) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    lock.withLock { lines.append(line) }
                }
            }
            lock.withLock { ended = true }
        }
        thread.start()
    }

    /// The next line, or an error after `timeout` or at the end of the output.
    func next(timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let (line, done): (String?, Bool) = lock.withLock {
                lines.isEmpty ? (nil, ended) : (lines.removeFirst(), false)
            }
            if let line { return line }
            if done { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ReceiverError("no output line within \(timeout)")
    }
}
