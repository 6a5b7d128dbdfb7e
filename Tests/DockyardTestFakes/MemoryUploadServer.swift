import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1

/// An in-memory upload endpoint that follows the distribution spec's session protocol closely enough to check
/// the client's side of it: relative and foreign-host `Location`s, `OCI-Chunk-Min-Length`, `Range` answers,
/// `GET` status of a session, and requests whose body breaks part-way (the same flows run against real registries
/// in DockyardIntegrationTests).
public final class MemoryUploadServer: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [UInt8] = []
    private var breakBodies: [Int?]
    private let minimumChunk: Int?
    public private(set) var log: [String] = []
    public private(set) var finished: ContentDigest?

    /// - Parameters:
    ///   - breakBodies: For each body-carrying request in turn, break after this many bytes (`nil`: don't).
    ///   - minimumChunk: The `OCI-Chunk-Min-Length` to announce.
    public init(breakBodies: [Int?] = [], minimumChunk: Int? = nil) {
        self.breakBodies = breakBodies
        self.minimumChunk = minimumChunk
    }

    public var bytes: [UInt8] { lock.withLock { stored } }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let url = request.url
        let path = url.path
        var headers: HTTPHeaders = [:]
        func answer(_ status: HTTPResponseStatus) -> TransportResponse {
            TransportResponse(status: status, headers: headers, body: .empty, url: url)
        }
        lock.withLock {
            log.append("\(request.method.rawValue) \(url.host ?? "")\(path)\(request.headers.first(name: "Content-Range").map { " " + $0 } ?? "")")
        }
        switch (request.method, path) {
        case (.HEAD, _):
            return answer(.notFound)
        case (.POST, "/v2/a/b/blobs/uploads"), (.POST, "/v2/a/b/blobs/uploads/"):
            headers.add(name: "Location", value: "/v2/a/b/blobs/uploads/session?_state=x%3D")
            if let minimumChunk { headers.add(name: "OCI-Chunk-Min-Length", value: String(minimumChunk)) }
            return answer(.accepted)
        case (.GET, _):
            let count = lock.withLock { stored.count }
            headers.add(name: "Range", value: "0-\(max(0, count - 1))")
            return answer(.noContent)
        case (.PATCH, _):
            if let range = request.headers.first(name: "Content-Range"),
                let start = range.split(separator: "-").first.flatMap({ Int($0) }), start != bytes.count
            {
                return answer(.init(statusCode: 416))
            }
            try await receive(request)
            let count = lock.withLock { stored.count }
            headers.add(name: "Location", value: "http://storage.test/upload/session?_state=\(count)")
            headers.add(name: "Range", value: "0-\(count - 1)")
            return answer(.accepted)
        case (.PUT, _):
            try await receive(request)
            let query = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
            let digest = query.first { $0.name == "digest" }?.value.flatMap { try? ContentDigest(parsing: $0) }
            let actual = ContentDigest.sha256(of: bytes)
            guard digest == actual else {
                return TransportResponse(
                    status: .badRequest, headers: [:],
                    body: ByteBufferSequence(single: ByteBuffer(string: #"{"errors":[{"code":"DIGEST_INVALID"}]}"#)), url: url)
            }
            lock.withLock { finished = actual }
            headers.add(name: "Docker-Content-Digest", value: actual.description)
            return answer(.created)
        default:
            return answer(.notFound)
        }
    }

    private func receive(_ request: TransportRequest) async throws {
        guard let body = request.body else { return }
        let limit = lock.withLock { breakBodies.isEmpty ? nil : breakBodies.removeFirst() }
        var received = 0
        for try await buffer in body.makeStream() {
            var chunk = Array(buffer.readableBytesView)
            if let limit, received + chunk.count > limit {
                chunk = Array(chunk.prefix(limit - received))
                lock.withLock { stored += chunk }
                throw TransportError(.connectionFailed, message: "connection reset by test")
            }
            received += chunk.count
            lock.withLock { stored += chunk }
        }
    }
}

