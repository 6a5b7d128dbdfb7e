import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// A registry that answers every request with one status and a large error body (some proxies and CDNs send
/// whole HTML pages).
public struct LargeErrorBodyServer: HTTPTransport {
    /// Creates a server answering `status` with a body of `bodySize` bytes.
    public init(status: HTTPResponseStatus, bodySize: Int = 200 << 10) {
        self.status = status
        self.bodySize = bodySize
    }

    public var status: HTTPResponseStatus
    public var bodySize: Int

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bodySize)
        return TransportResponse(
            status: status, headers: ["Content-Length": String(bodySize)], body: ByteBufferSequence(single: body),
            url: request.url)
    }
}

