import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Answers requests from a closure and records them: a unit-test stand-in for token services whose behaviour
/// localhub does not have (404 on POST, odd bodies). Real-server behaviour is tested in `LocalHubAuthTests`.
public final class StubTransport: HTTPTransport {
    private let requests = Mutex<[TransportRequest]>([])
    private let answer: @Sendable (TransportRequest) -> (HTTPResponseStatus, String)

    public init(_ answer: @escaping @Sendable (TransportRequest) -> (HTTPResponseStatus, String)) { self.answer = answer }

    public var sent: [TransportRequest] { requests.withLock { $0 } }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        requests.withLock { $0.append(request) }
        let (status, body) = answer(request)
        return TransportResponse(
            status: status, headers: ["Content-Type": "application/json"],
            body: ByteBufferSequence(single: ByteBuffer(string: body)), url: request.url)
    }
}

