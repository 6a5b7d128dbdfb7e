import DockyardReferences
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import DockyardBlobTransfer

/// An in-memory upload endpoint that follows the distribution spec's session protocol closely enough to check
/// the client's side of it: relative and foreign-host `Location`s, `OCI-Chunk-Min-Length`, `Range` answers,
/// `GET` status of a session, and requests whose body breaks part-way (the same flows run against real registries
/// in DockyardIntegrationTests).
final class MemoryUploadServer: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [UInt8] = []
    private var breakBodies: [Int?]
    private let minimumChunk: Int?
    private(set) var log: [String] = []
    private(set) var finished: ContentDigest?

    /// - Parameters:
    ///   - breakBodies: For each body-carrying request in turn, break after this many bytes (`nil`: don't).
    ///   - minimumChunk: The `OCI-Chunk-Min-Length` to announce.
    init(breakBodies: [Int?] = [], minimumChunk: Int? = nil) {
        self.breakBodies = breakBodies
        self.minimumChunk = minimumChunk
    }

    var bytes: [UInt8] { lock.withLock { stored } }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
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

@Suite("Blob uploads: sessions, chunks and resume")
struct BlobUploadTests {
    static let base = URL(string: "http://registry.test/v2/a/b/")!
    static let blob: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }

    func source() -> BlobUploadSource {
        let blob = Self.blob
        return BlobUploadSource(size: Int64(blob.count)) { range in
            ByteBufferSequence(single: ByteBuffer(bytes: blob[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
    }

    @Test("Chunked uploads follow each Location, honour OCI-Chunk-Min-Length and close with PUT ?digest=")
    func chunked() async throws {
        let server = MemoryUploadServer(minimumChunk: 40_000)
        let client = BlobClient(transport: server, repositoryURL: Self.base, configuration: .init(uploadStrategy: .chunked(size: 10_000)))
        let digest = ContentDigest.sha256(of: Self.blob)
        let result = try await client.upload(digest, from: source())
        #expect(result.outcome == .uploaded)
        #expect(server.finished == digest)
        #expect(server.log == [
            "HEAD registry.test/v2/a/b/blobs/\(digest)",
            "POST registry.test/v2/a/b/blobs/uploads",
            "PATCH registry.test/v2/a/b/blobs/uploads/session 0-39999",
            "PATCH storage.test/upload/session 40000-79999",
            "PATCH storage.test/upload/session 80000-99999",
            "PUT storage.test/upload/session",
        ])
    }

    @Test("A chunk that breaks part-way resumes from the offset the registry reports")
    func chunkResumes() async throws {
        let server = MemoryUploadServer(breakBodies: [nil, 5_000])
        let client = BlobClient(transport: server, repositoryURL: Self.base, configuration: .init(uploadStrategy: .chunked(size: 30_000)))
        let digest = ContentDigest.sha256(of: Self.blob)
        let events = EventLog()
        try await client.upload(digest, from: source(), progress: events.record)
        #expect(server.bytes == Self.blob)
        #expect(server.log.contains("GET storage.test/upload/session"))
        #expect(server.log.contains("PATCH storage.test/upload/session 35000-64999"))
        #expect(events.all.contains(.resumed(digest: digest, offset: 35_000)))
    }

    @Test("A monolithic PUT that breaks part-way continues with PATCH from the reported offset, then PUT")
    func monolithicResumes() async throws {
        let server = MemoryUploadServer(breakBodies: [60_000])
        let client = BlobClient(transport: server, repositoryURL: Self.base)
        let digest = ContentDigest.sha256(of: Self.blob)
        try await client.upload(digest, from: source())
        #expect(server.bytes == Self.blob)
        #expect(server.finished == digest)
        #expect(server.log.suffix(3) == [
            "GET registry.test/v2/a/b/blobs/uploads/session",
            "PATCH registry.test/v2/a/b/blobs/uploads/session 60000-99999",
            "PUT storage.test/upload/session",
        ])
    }

    @Test("Resume attempts for uploads are bounded")
    func bounded() async throws {
        let server = MemoryUploadServer(breakBodies: Array(repeating: 10, count: 20))
        let client = BlobClient(transport: server, repositoryURL: Self.base, configuration: .init(maxResumeAttempts: 2))
        let error = await #expect(throws: BlobTransferError.self) {
            try await client.upload(ContentDigest.sha256(of: Self.blob), from: source())
        }
        #expect(error?.code == .resumeFailed)
    }

    @Test("Bytes that do not match the digest are refused with digestMismatch")
    func wrongDigest() async throws {
        let server = MemoryUploadServer()
        let client = BlobClient(transport: server, repositoryURL: Self.base)
        let error = await #expect(throws: BlobTransferError.self) {
            try await client.upload(ContentDigest.sha256(of: Array("other".utf8)), from: source())
        }
        #expect(error?.code == .digestMismatch)
    }
}
