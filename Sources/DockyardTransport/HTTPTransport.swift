import Foundation
import NIOCore
import NIOHTTP1

/// The streaming HTTP layer that every Dockyard client sends its requests through.
///
/// Dockyard's clients never talk to an HTTP library directly: they build a ``TransportRequest`` and hand it to
/// an `HTTPTransport`. The default implementation, ``AsyncHTTPTransport``, sits on AsyncHTTPClient; a test can
/// wrap a transport to observe or alter traffic, and another platform can add its own without touching the
/// layers above.
///
/// - Important: The body of the returned ``TransportResponse`` is read only while it is iterated. A caller
///   must either consume it or drop it; it must not outlive the transport.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the response head with a streaming body.
    ///
    /// A transport does not follow redirects and does not retry: those are policies of ``RedirectingTransport``
    /// and ``RetryingTransport``, which wrap a transport.
    ///
    /// - Parameter request: The request to send.
    /// - Returns: The response, whose body has not been read yet.
    /// - Throws: ``TransportError`` when no response could be had.
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

/// One HTTP request: method, absolute URL, headers and an optional streaming body.
public struct TransportRequest: Sendable {
    /// The HTTP method.
    public var method: HTTPMethod
    /// The absolute URL, including the query.
    public var url: URL
    /// The request headers.
    public var headers: HTTPHeaders
    /// The body, or `nil` for none.
    public var body: RequestBody?
    /// The latest moment the whole exchange, body included, may finish; `nil` uses the transport's default.
    public var deadline: ContinuousClock.Instant?

    /// Creates a request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method; `GET` by default.
    ///   - url: The absolute URL.
    ///   - headers: The request headers.
    ///   - body: The body, if any.
    ///   - deadline: An optional deadline for the whole exchange.
    public init(
        method: HTTPMethod = .GET,
        url: URL,
        headers: HTTPHeaders = [:],
        body: RequestBody? = nil,
        deadline: ContinuousClock.Instant? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.deadline = deadline
    }

    /// Whether the method is idempotent by RFC 9110 §9.2.2, so that it may be retried after a failure.
    public var isIdempotent: Bool {
        switch method {
        case .GET, .HEAD, .PUT, .DELETE, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}

/// A request body that can be produced again, so that a request can be retried or redirected.
///
/// A body is either bytes in memory (small documents: manifests, JSON) or a stream of byte buffers made on
/// demand by a factory. The factory is called once per attempt; a stream that cannot be replayed should make a
/// second call throw.
public struct RequestBody: Sendable {
    /// The body's length in bytes, when known. A known length is sent as `Content-Length`.
    public let length: Int64?
    /// Makes a fresh sequence of the body's bytes for one attempt.
    public let makeStream: @Sendable () -> ByteBufferSequence

    /// Creates a streaming body.
    ///
    /// - Parameters:
    ///   - length: The total length in bytes, if known.
    ///   - makeStream: Makes a fresh sequence of the bytes for each attempt.
    public init(length: Int64?, makeStream: @escaping @Sendable () -> ByteBufferSequence) {
        self.length = length
        self.makeStream = makeStream
    }

    /// A body of bytes already in memory.
    ///
    /// - Parameter buffer: The bytes.
    /// - Returns: A body that can be replayed any number of times.
    public static func bytes(_ buffer: ByteBuffer) -> RequestBody {
        RequestBody(length: Int64(buffer.readableBytes)) { ByteBufferSequence(single: buffer) }
    }

    /// A body of bytes already in memory.
    ///
    /// - Parameter data: The bytes.
    /// - Returns: A body that can be replayed any number of times.
    public static func bytes(_ data: some Sequence<UInt8>) -> RequestBody {
        .bytes(ByteBuffer(bytes: data))
    }
}

/// The head of an HTTP response and its body, which streams.
public struct TransportResponse: Sendable {
    /// The status code.
    public var status: HTTPResponseStatus
    /// The response headers.
    public var headers: HTTPHeaders
    /// The body; read only while iterated.
    public var body: ByteBufferSequence
    /// The URL that produced this response (after any redirect a wrapping transport followed).
    public var url: URL

    /// Creates a response.
    ///
    /// - Parameters:
    ///   - status: The status code.
    ///   - headers: The response headers.
    ///   - body: The body.
    ///   - url: The URL that produced the response.
    public init(status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBufferSequence, url: URL) {
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url
    }
}

/// An asynchronous sequence of byte buffers: a streaming body, read only while it is iterated.
///
/// It erases the concrete sequence behind a closure so that any transport's body fits, on every platform.
public struct ByteBufferSequence: AsyncSequence, Sendable {
    /// Each element is one chunk of the body, as it arrived.
    public typealias Element = ByteBuffer

    private let make: @Sendable () -> AsyncIterator

    /// Wraps any sendable sequence of byte buffers.
    ///
    /// - Parameter base: The sequence to wrap.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == ByteBuffer {
        self.make = {
            let box = IteratorBox(base.makeAsyncIterator())
            return AsyncIterator { try await box.next() }
        }
    }

    /// A sequence of one buffer.
    ///
    /// - Parameter buffer: The only element.
    public init(single buffer: ByteBuffer) {
        self.make = {
            let box = SingleBox(buffer)
            return AsyncIterator { box.take() }
        }
    }

    /// A sequence with no elements.
    public static var empty: ByteBufferSequence { ByteBufferSequence(single: ByteBuffer()) }

    /// Makes an iterator over the body's buffers.
    ///
    /// - Returns: A fresh iterator; for a transport's response body, iterate it once only.
    public func makeAsyncIterator() -> AsyncIterator { make() }

    /// The iterator of a ``ByteBufferSequence``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let nextBuffer: () async throws -> ByteBuffer?

        init(_ next: @escaping () async throws -> ByteBuffer?) { self.nextBuffer = next }

        /// Returns the next buffer of the body.
        ///
        /// - Returns: The next buffer, or `nil` at the end of the body.
        /// - Throws: ``TransportError`` when the connection breaks or a deadline passes while reading, or the
        ///   error of the underlying sequence.
        public mutating func next() async throws -> ByteBuffer? { try await nextBuffer() }
    }

    /// Reads the whole body into one buffer, refusing more than `maxBytes`.
    ///
    /// - Parameter maxBytes: The most bytes to accept.
    /// - Returns: The body's bytes.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/bodyTooLarge`` past the limit, or the
    ///   transport's error.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        for try await var chunk in self {
            guard result.readableBytes + chunk.readableBytes <= maxBytes else {
                throw TransportError(.bodyTooLarge, message: "response body exceeds \(maxBytes) bytes")
            }
            result.writeBuffer(&chunk)
        }
        return result
    }

    /// Reads the first `maxBytes` of the body and stops: for bodies that are only shown to people, such as the
    /// text of an error answer.
    ///
    /// Unlike ``collect(upTo:)``, a longer body is not an error; whatever follows the limit is left unread.
    ///
    /// - Parameter maxBytes: The most bytes to keep.
    /// - Returns: At most `maxBytes` bytes from the start of the body.
    /// - Throws: The transport's error when the body breaks before the limit is reached.
    public func collectPrefix(_ maxBytes: Int) async throws -> ByteBuffer {
        var result = ByteBuffer()
        guard maxBytes > 0 else { return result }
        for try await var chunk in self {
            let take = Swift.min(chunk.readableBytes, maxBytes - result.readableBytes)
            if var slice = chunk.readSlice(length: take) { result.writeBuffer(&slice) }
            if result.readableBytes >= maxBytes { break }
        }
        return result
    }

    /// The most bytes ``drain()`` reads to keep a connection reusable: 64 KiB.
    public static let drainLimit = 64 << 10

    /// Reads and discards the rest of a body nobody needs, so that the connection can be reused, but never more
    /// than ``drainLimit`` bytes: past that the body is left unread, and dropping it closes the connection
    /// instead (a hostile server's gigabytes are never read).
    public func drain() async {
        await discard(upTo: Self.drainLimit)
    }

    /// Reads and drops a body nobody wants (of a redirect or a failed attempt), stopping once `limit` bytes
    /// have gone by; a read error ends it quietly, as the response is discarded anyway.
    ///
    /// - Parameter limit: The most bytes worth reading to keep the connection reusable; ``drainLimit`` by default.
    func discard(upTo limit: Int = ByteBufferSequence.drainLimit) async {
        var remaining = limit
        do {
            for try await chunk in self {
                remaining -= chunk.readableBytes
                if remaining <= 0 { break }
            }
        } catch {
            // The response is dropped anyway; a broken connection is closed by the client.
        }
    }
}

private final class IteratorBox<Base: AsyncIteratorProtocol>: @unchecked Sendable where Base.Element == ByteBuffer {
    // Iterated by one task at a time, as AsyncIteratorProtocol requires.
    private var base: Base
    init(_ base: Base) { self.base = base }
    func next() async throws -> ByteBuffer? { try await base.next() }
}

private final class SingleBox: @unchecked Sendable {
    private var buffer: ByteBuffer?
    init(_ buffer: ByteBuffer) { self.buffer = buffer.readableBytes > 0 ? buffer : nil }
    func take() -> ByteBuffer? {
        defer { buffer = nil }
        return buffer
    }
}
