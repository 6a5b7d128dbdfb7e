import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// An in-memory blob server for unit tests of the verification, resume and clean-up logic (the same paths run
/// against real registries in DockyardIntegrationTests).
public final class MemoryBlobServer: HTTPTransport, @unchecked Sendable {
    public struct Fault {
        /// Creates a fault.
        public init(breakAfter: Int? = nil, ignoreRange: Bool = false) {
            self.breakAfter = breakAfter
            self.ignoreRange = ignoreRange
        }

        /// Break the body (throw) after this many bytes of the response.
        public var breakAfter: Int?
        /// Answer a ranged request with the full body (200).
        public var ignoreRange = false
    }

    private let lock = NSLock()
    private let blob: [UInt8]
    private var faults: [Fault]
    private var corruptAt: Int?
    public private(set) var ranges: [String?] = []
    public private(set) var bytesSent = 0

    public init(blob: [UInt8], faults: [Fault] = [], corruptAt: Int? = nil) {
        self.blob = blob
        self.faults = faults
        self.corruptAt = corruptAt
    }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let (fault, range): (Fault, String?) = lock.withLock {
            let range = request.headers.first(name: "Range")
            ranges.append(range)
            return (faults.isEmpty ? Fault() : faults.removeFirst(), range)
        }
        var start = 0
        var status = HTTPResponseStatus.ok
        var headers: HTTPHeaders = [:]
        if let range, !fault.ignoreRange,
            let first = range.dropFirst("bytes=".count).split(separator: "-").first.flatMap({ Int($0) })
        {
            start = first
            status = .partialContent
            headers.add(name: "Content-Range", value: "bytes \(first)-\(blob.count - 1)/\(blob.count)")
        }
        var body = Array(blob[start...])
        if let corruptAt, corruptAt >= start, corruptAt < blob.count { body[corruptAt - start] ^= 0xFF }
        headers.add(name: "Content-Length", value: String(body.count))
        let limit = fault.breakAfter
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            var offset = 0
            while offset < body.count {
                let end = min(body.count, offset + 1000)
                if let limit, end > limit {
                    if limit > offset { continuation.yield(ByteBuffer(bytes: body[offset..<limit])) }
                    self.count(max(0, limit - offset))
                    continuation.finish(throwing: TransportError(.connectionFailed, message: "reset by test"))
                    return
                }
                continuation.yield(ByteBuffer(bytes: body[offset..<end]))
                self.count(end - offset)
                offset = end
            }
            continuation.finish()
        }
        return TransportResponse(status: status, headers: headers, body: ByteBufferSequence(stream), url: request.url)
    }

    private func count(_ n: Int) { lock.withLock { bytesSent += n } }
}

