import DockyardReferences
import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@testable import DockyardBlobTransfer

enum ContentDigestFixture {
    static var digest: ContentDigest { get throws { ContentDigest.sha256(of: Array("hello".utf8)) } }
}

@Suite("Blob downloads: verification, resume and clean-up")
struct BlobDownloadTests {
    static let blob: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    static var digest: ContentDigest { ContentDigest.sha256(of: blob) }
    static let base = URL(string: "http://registry.test/v2/a/b/")!

    func client(_ server: MemoryBlobServer, resumes: Int = 5) -> BlobClient {
        BlobClient(transport: server, repositoryURL: Self.base, configuration: .init(maxResumeAttempts: resumes))
    }

    func collect(_ stream: BlobStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in stream { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test("A clean stream yields the blob and verifies")
    func clean() async throws {
        let server = MemoryBlobServer(blob: Self.blob)
        let events = EventLog()
        let bytes = try await collect(client(server).stream(Self.digest, size: Int64(Self.blob.count), progress: events.record))
        #expect(bytes == Self.blob)
        #expect(server.ranges == [nil])
        #expect(events.all.first == .started(digest: Self.digest, size: 10_000))
        #expect(events.all.last == .verified(digest: Self.digest, size: 10_000))
    }

    @Test("A broken connection resumes with Range and fetches no byte twice")
    func resumes() async throws {
        let server = MemoryBlobServer(blob: Self.blob, faults: [.init(breakAfter: 4_500), .init(breakAfter: 2_000)])
        let bytes = try await collect(client(server).stream(Self.digest, size: Int64(Self.blob.count)))
        #expect(bytes == Self.blob)
        #expect(server.ranges == [nil, "bytes=4500-", "bytes=6500-"])
        #expect(server.bytesSent == Self.blob.count)
    }

    @Test("A server that ignores Range is read again from the start, and the prefix skipped")
    func ignoredRange() async throws {
        let server = MemoryBlobServer(blob: Self.blob, faults: [.init(breakAfter: 3_000), .init(ignoreRange: true)])
        let bytes = try await collect(client(server).stream(Self.digest, size: Int64(Self.blob.count)))
        #expect(bytes == Self.blob)
        #expect(server.ranges == [nil, "bytes=3000-"])
    }

    @Test("Resume attempts are bounded")
    func bounded() async throws {
        let faults = Array(repeating: MemoryBlobServer.Fault(breakAfter: 100), count: 10)
        let server = MemoryBlobServer(blob: Self.blob, faults: faults)
        let error = await #expect(throws: BlobTransferError.self) {
            _ = try await collect(client(server, resumes: 2).stream(Self.digest))
        }
        #expect(error?.code == .resumeFailed)
        #expect(server.ranges.count == 3)
    }

    @Test("A corrupted byte fails with digestMismatch at the end")
    func corrupt() async throws {
        let server = MemoryBlobServer(blob: Self.blob, corruptAt: 1234)
        let error = await #expect(throws: BlobTransferError.self) {
            _ = try await collect(client(server).stream(Self.digest, size: Int64(Self.blob.count)))
        }
        #expect(error?.code == .digestMismatch)
        #expect(error?.digest == Self.digest)
    }

    @Test("A size different from the descriptor's fails with sizeMismatch", arguments: [Int64(9_999), 10_001])
    func wrongSize(expected: Int64) async throws {
        let server = MemoryBlobServer(blob: Self.blob)
        let error = await #expect(throws: BlobTransferError.self) {
            _ = try await collect(client(server).stream(Self.digest, size: expected))
        }
        #expect(error?.code == .sizeMismatch)
    }

    @Test("A download lands atomically and leaves no temporary file")
    func downloadFile() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("blob")
        let server = MemoryBlobServer(blob: Self.blob, faults: [.init(breakAfter: 5_000)])
        let info = try await client(server).download(Self.digest, size: Int64(Self.blob.count), to: target)
        #expect(info.size == 10_000)
        #expect(try [UInt8](Data(contentsOf: target)) == Self.blob)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["blob"])
    }

    @Test("A failed download leaves nothing at the final path and no temporary file")
    func failedDownload() async throws {
        let directory = try makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("blob")
        let server = MemoryBlobServer(blob: Self.blob, corruptAt: 9_999)
        await #expect(throws: BlobTransferError.self) {
            try await client(server).download(Self.digest, size: Int64(Self.blob.count), to: target)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("A range stream returns exactly the range, unverified")
    func range() async throws {
        let server = MemoryBlobServer(blob: Self.blob, faults: [.init(breakAfter: 500)])
        let bytes = try await collect(client(server).stream(Self.digest, range: 1_000..<10_000))
        #expect(bytes == Array(Self.blob[1_000...]))
        #expect(server.ranges == ["bytes=1000-9999", "bytes=1500-9999"])
    }

    @Test("A range stream from a server that ignores Range still returns exactly the range")
    func rangeIgnored() async throws {
        let server = MemoryBlobServer(blob: Self.blob, faults: [.init(ignoreRange: true)])
        let bytes = try await collect(client(server).stream(Self.digest, range: 2_500..<7_777))
        #expect(bytes == Array(Self.blob[2_500..<7_777]))
    }

    private func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("blob-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

@Suite("Upload sources")
struct BlobUploadSourceTests {
    @Test("A file source streams any range and its digest matches the file's")
    func fileSource() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("source-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        let bytes = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try Data(bytes).write(to: url)
        let source = try BlobUploadSource.file(url, readSize: 4096)
        #expect(source.size == 50_000)
        var middle: [UInt8] = []
        for try await buffer in try source.bytes(in: 10_000..<20_001) {
            #expect(buffer.readableBytes <= 4096)
            middle += buffer.readableBytesView
        }
        #expect(middle == Array(bytes[10_000..<20_001]))
        #expect(try await BlobClient.digest(of: source) == ContentDigest.sha256(of: bytes))
    }

    @Test("A missing file is a fileSystem error")
    func missing() {
        let error = #expect(throws: BlobTransferError.self) {
            _ = try BlobUploadSource.file(URL(fileURLWithPath: "/nonexistent/\(UUID().uuidString)"))
        }
        #expect(error?.code == .fileSystem)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [TransferEvent] = []
    var all: [TransferEvent] { lock.withLock { events } }
    var record: TransferEventHandler { { event in self.lock.withLock { self.events.append(event) } } }
}

@Suite("Upload read pacing")
struct ReadPacerTests {
    // No clock in these checks: whether a wait ran out shows in the pacer's state (a wait that runs out turns
    // pacing off), so they hold however loaded the machine is.
    @Test("Does not wait once the tracked buffers are released")
    func releases() async throws {
        var pacer = ReadPacer(limit: 2)
        var kept: [ByteBuffer] = [ByteBuffer(repeating: 1, count: 16), ByteBuffer(repeating: 2, count: 16)]
        for buffer in kept { pacer.track(buffer) }
        #expect(pacer.trackedCount == 2)
        kept.removeAll()
        try await pacer.waitForRoom()
        #expect(!pacer.disabled, "the wait ran out although the buffers were released")
        #expect(pacer.trackedCount == 0)
    }

    @Test("Gives up on a transport that keeps its buffers, and then stops pacing")
    func keeps() async throws {
        var pacer = ReadPacer(limit: 1)
        let kept = ByteBuffer(repeating: 1, count: 16)
        pacer.track(kept)
        try await pacer.waitForRoom()
        #expect(pacer.disabled, "a buffer that stays alive must end the wait by giving up")
        pacer.track(kept)
        #expect(pacer.trackedCount == 0, "a pacer that gave up tracks nothing more")
        try await pacer.waitForRoom()
        #expect(kept.readableBytes == 16)
    }
}
