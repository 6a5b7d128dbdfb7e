import DockyardReferences
import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import DockyardBlobTransfer

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
