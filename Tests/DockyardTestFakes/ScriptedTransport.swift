import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// A transport answering from a script, recording what it was sent. Used only in addition to the
/// real-server tests, for cases no server can be made to produce on demand.
public final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    public typealias Reply = @Sendable (TransportRequest, Int) async throws -> TransportResponse

    private let lock = NSLock()
    private var _requests: [TransportRequest] = []
    private var _bodies: [[UInt8]] = []
    private var _drained: Int = 0
    private let reply: Reply

    public init(_ reply: @escaping Reply) { self.reply = reply }

    /// A transport answering each request with a status, headers and a small text body.
    ///
    /// - Parameters:
    ///   - path: A URL path whose requests wait `delay` before the answer (a slow login, say), or `nil`.
    ///   - delay: How long requests to `path` wait.
    ///   - answer: The status code, headers and body for a request.
    public convenience init(
        delaying path: String? = nil,
        by delay: Duration = .zero,
        answer: @escaping @Sendable (TransportRequest) -> (Int, HTTPHeaders, String)
    ) {
        self.init { request, _ in
            if let path, request.url.path == path, delay > .zero { try await Task.sleep(for: delay) }
            let (status, headers, body) = answer(request)
            return .response(HTTPResponseStatus(statusCode: status), headers: headers, body: body, url: request.url)
        }
    }

    /// Every request sent, in order.
    public var requests: [TransportRequest] { lock.withLock { _requests } }
    /// The request body of each attempt, as the transport read it.
    public var bodies: [[UInt8]] { lock.withLock { _bodies } }
    /// How many response bodies were read to their end.
    public var drained: Int { lock.withLock { _drained } }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var bytes: [UInt8] = []
        if let body = request.body {
            for try await chunk in body.makeStream() { bytes += chunk.readableBytesView }
        }
        let index = lock.withLock {
            _requests.append(request)
            _bodies.append(bytes)
            return _requests.count - 1
        }
        var response = try await reply(request, index)
        let inner = response.body
        response.body = ByteBufferSequence(CountingSequence(base: inner) { [weak self] in
            self?.lock.withLock { self?._drained += 1 }
        })
        return response
    }
}

extension TransportResponse {
    /// A response with a small in-memory body, for scripts.
    public static func response(
        _ status: HTTPResponseStatus,
        headers: HTTPHeaders = [:],
        body: String = "",
        url: URL
    ) -> TransportResponse {
        TransportResponse(
            status: status,
            headers: headers,
            body: ByteBufferSequence(single: ByteBuffer(string: body)),
            url: url
        )
    }
}

/// Calls `onEnd` when iteration reaches the end.
private struct CountingSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: ByteBufferSequence
    let onEnd: @Sendable () -> Void

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), onEnd: onEnd) }

    struct Iterator: AsyncIteratorProtocol {
        var base: ByteBufferSequence.AsyncIterator
        let onEnd: @Sendable () -> Void
        var ended = false
        mutating func next() async throws -> ByteBuffer? {
            let value = try await base.next()
            if value == nil, !ended {
                ended = true
                onEnd()
            }
            return value
        }
    }
}
