import Foundation
import NIOCore
import NIOHTTP1

/// A request as the router sees it: head fields, parsed path and query.
struct Request {
    var method: String
    var target: String
    var path: String
    var query: [(name: String, value: String)]
    var headers: HTTPHeaders
    var remote: String
    var user: String?

    init(head: HTTPRequestHead, remote: String) {
        method = head.method.rawValue
        target = head.uri
        headers = head.headers
        self.remote = remote
        let parts = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let rawPath = parts.first.map(String.init) ?? "/"
        path = rawPath.removingPercentEncoding ?? rawPath
        query = parts.count == 2 ? Self.parseQuery(parts[1]) : []
    }

    /// The fields of a query string or an `application/x-www-form-urlencoded` body, in order.
    static func parseQuery(_ text: Substring) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        for item in text.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let plus = text.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            fields.append((decode(pair[0]), pair.count == 2 ? decode(pair[1]) : ""))
        }
        return fields
    }

    func queryValue(_ name: String) -> String? { query.first { $0.name == name }?.value }
    func queryValues(_ name: String) -> [String] { query.filter { $0.name == name }.map(\.value) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A response: status, headers and a body that is empty, a buffer, or streamed by a closure.
struct Response {
    enum Body {
        case none
        case buffer(ByteBuffer)
        /// Streams exactly the `Content-Length` the headers announce.
        case stream((ResponseBodyWriter) async throws -> Void)
    }

    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: Body
    /// Close the connection after this response (for instance when the request body was not read).
    var close = false

    init(_ status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: Body = .none) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Writes a streamed response body with backpressure: `write` suspends while the socket is not writable.
struct ResponseBodyWriter {
    let outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>
    let counter: ByteCounter

    func write(_ buffer: ByteBuffer) async throws {
        counter.count += Int64(buffer.readableBytes)
        try await outbound.write(.body(.byteBuffer(buffer)))
    }
}

final class ByteCounter {
    var count: Int64 = 0
}

/// The request body, read on demand from the connection (so an upload streams with backpressure).
final class RequestBody {
    private var iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator
    private var inBody = false
    /// Body bytes read so far for the current request.
    private(set) var received: Int64 = 0
    /// Whether reading the connection failed (a malformed request, or a client that left in the middle of a body).
    /// NIO's protocol error handler has then answered the request itself (400) or the connection is gone, so no
    /// response of ours may follow: a second response to one request is a protocol violation (and traps NIO's
    /// pipeline handler in debug builds).
    private(set) var failed = false

    init(_ iterator: NIOAsyncChannelInboundStream<HTTPServerRequestPart>.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next request head; skips what is left of the previous body.
    func nextHead() async throws -> HTTPRequestHead? {
        while let part = try await iterator.next() {
            if case .head(let head) = part {
                inBody = true
                received = 0
                return head
            }
        }
        return nil
    }

    /// The next piece of the body, nil at its end.
    func next() async throws -> ByteBuffer? {
        guard inBody else { return nil }
        let part: HTTPServerRequestPart?
        do {
            part = try await iterator.next()
        } catch {
            inBody = false
            failed = true
            throw error
        }
        guard let part else {
            inBody = false
            throw RequestBodyError.connectionClosed
        }
        switch part {
        case .body(let buffer):
            received += Int64(buffer.readableBytes)
            return buffer
        case .end:
            inBody = false
            return nil
        case .head:
            inBody = false
            throw RequestBodyError.connectionClosed
        }
    }

    var isComplete: Bool { !inBody }

    /// Reads and drops the rest of the body; false when more than `limit` bytes were left.
    func drain(limit: Int64) async throws -> Bool {
        var dropped: Int64 = 0
        while let buffer = try await next() {
            dropped += Int64(buffer.readableBytes)
            if dropped > limit { return false }
        }
        return true
    }

    /// The whole body, or nil when it is longer than `limit` (the rest stays unread).
    func collect(limit: Int) async throws -> ByteBuffer? {
        var result = ByteBuffer()
        while let buffer = try await next() {
            guard result.readableBytes + buffer.readableBytes <= limit else { return nil }
            var buffer = buffer
            result.writeBuffer(&buffer)
        }
        return result
    }
}

enum RequestBodyError: Error {
    case connectionClosed
}

/// One client connection: reads requests in order, lets the router answer each, writes the responses.
struct HTTPConnection {
    let channel: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    let router: RegistryRouter

    func serve() async {
        let remote = channel.channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "-"
        try? await channel.executeThenClose { inbound, outbound in
            let body = RequestBody(inbound.makeAsyncIterator())
            while let head = try await body.nextHead() {
                let started = ContinuousClock.now
                if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                    try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .continue)))
                }
                var request = Request(head: head, remote: remote)
                var response = await router.handle(&request, body: body)
                // Whatever the handler left unread is dropped, within a bound; beyond it the connection closes.
                if !body.isComplete {
                    if (try? await body.drain(limit: 1 << 20)) != true { response.close = true }
                }
                // The connection failed under the request (see `RequestBody.failed`): nothing more is written.
                if body.failed {
                    router.log(request, status: 400, bytesIn: body.received, bytesOut: 0, duration: started.duration(to: .now))
                    return
                }
                let keepAlive = head.isKeepAlive && !response.close
                var headers = response.headers
                headers.replaceOrAdd(name: "Docker-Distribution-API-Version", value: "registry/2.0")
                if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
                let counter = ByteCounter()
                var outcome: (any Error)?
                do {
                    switch response.body {
                    case .none:
                        if headers["content-length"].isEmpty { headers.add(name: "Content-Length", value: "0") }
                        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
                    case .buffer(let buffer):
                        headers.replaceOrAdd(name: "Content-Length", value: String(buffer.readableBytes))
                        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
                        if head.method != .HEAD, buffer.readableBytes > 0 {
                            counter.count = Int64(buffer.readableBytes)
                            try await outbound.write(.body(.byteBuffer(buffer)))
                        }
                    case .stream(let produce):
                        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
                        try await produce(ResponseBodyWriter(outbound: outbound, counter: counter))
                    }
                    try await outbound.write(.end(nil))
                } catch {
                    outcome = error
                }
                router.log(
                    request, status: Int(response.status.code), bytesIn: body.received, bytesOut: counter.count,
                    duration: started.duration(to: .now)
                )
                if let outcome { throw outcome }
                // Without keep-alive the client closes once it has read the response. Closing here instead would
                // drop whatever the socket has not sent yet (a large blob's tail), so the loop waits for that close.
                _ = keepAlive
            }
        }
    }
}
