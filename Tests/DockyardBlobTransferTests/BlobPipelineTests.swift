import DockyardReferences
import DockyardTestFakes
import DockyardTransport
import Foundation
import NIOCore
import Testing

@testable import DockyardBlobTransfer

/// The download pipeline: reads gathered into large buffers, hashed on a task of their own, and a ring of buffers
/// that is the stream's byte budget.
@Suite("Blob download pipeline: gathered buffers, concurrent hashing, buffer ring")
struct BlobPipelineTests {
    static let base = URL(string: "http://registry.test/v2/a/b/")!

    /// `count` bytes from a seeded generator.
    static func blob(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// Where a buffer's bytes live (its storage's address, as a number).
    static func address(_ buffer: ByteBuffer) -> Int {
        buffer.withVeryUnsafeBytes { Int(bitPattern: $0.baseAddress) }
    }

    @Test("The server's 1000-byte reads reach the consumer as buffers of the delivery size, in order, verified")
    func gathered() async throws {
        let blob = Self.blob(3 * BlobStream.deliverySize + 12_345, seed: 13)
        let server = MemoryBlobServer(blob: blob)
        let client = BlobClient(transport: server, repositoryURL: Self.base)
        var sizes: [Int] = []
        var bytes: [UInt8] = []
        for try await buffer in client.stream(ContentDigest.sha256(of: blob), size: Int64(blob.count)) {
            sizes.append(buffer.readableBytes)
            bytes += buffer.readableBytesView
        }
        #expect(bytes == blob)
        #expect(sizes.dropLast().allSatisfy { $0 == BlobStream.deliverySize })
        #expect(sizes.count == 4)
        #expect(sizes.last == 12_345)
    }

    @Test("A corrupted byte in the last buffer still fails the stream, after the hasher has taken every buffer")
    func corruptLast() async throws {
        let blob = Self.blob(2 * BlobStream.deliverySize + 500, seed: 14)
        let server = MemoryBlobServer(blob: blob, corruptAt: blob.count - 1)
        let client = BlobClient(transport: server, repositoryURL: Self.base)
        var delivered = 0
        let error = await #expect(throws: BlobTransferError.self) {
            for try await buffer in client.stream(ContentDigest.sha256(of: blob), size: Int64(blob.count)) {
                delivered += buffer.readableBytes
            }
        }
        #expect(error?.code == .digestMismatch)
        #expect(delivered == blob.count)
    }

    @Test("A consumer that keeps every buffer gets the whole blob: the ring stops waiting for it", .timeLimit(.minutes(1)))
    func consumerKeepsBuffers() async throws {
        let blob = Self.blob((BlobStream.ringSize + 3) * BlobStream.deliverySize, seed: 15)
        let server = MemoryBlobServer(blob: blob)
        let client = BlobClient(transport: server, repositoryURL: Self.base)
        var kept: [ByteBuffer] = []
        for try await buffer in client.stream(ContentDigest.sha256(of: blob), size: Int64(blob.count)) {
            kept.append(buffer)
        }
        #expect(kept.flatMap { Array($0.readableBytesView) } == blob)
        // Every buffer kept is a buffer of its own: none was refilled under the consumer.
        #expect(Set(kept.map(Self.address)).count == kept.count)
    }

    @Test("The ring refills a buffer once nobody holds it: the same memory comes back")
    func ringReuses() async throws {
        var ring = BufferRing(count: 2, capacity: 4096)
        var first = try await ring.acquire()
        first.writeBytes([1, 2, 3])
        ring.handOut(first)
        let firstAddress = Self.address(first)
        first = ByteBuffer()
        var second = try await ring.acquire()
        second.writeBytes([4])
        ring.handOut(second)
        second = ByteBuffer()
        let third = try await ring.acquire()
        #expect(third.readableBytes == 0)
        #expect(third.capacity >= 4096)
        #expect(Self.address(third) == firstAddress)
    }

    @Test("The ring waits for a buffer that is still held, and refills that same buffer once it is let go", .timeLimit(.minutes(1)))
    func ringWaitsForHeldBuffer() async throws {
        let (waiting, signal) = AsyncStream<Void>.makeStream()
        let holder = BufferHolder()
        let acquiring = Task {
            var ring = BufferRing(count: 1, capacity: 4096, patience: .seconds(600)) { signal.yield() }
            var held = try await ring.acquire()
            held.writeBytes([9])
            ring.handOut(held)
            let heldAddress = Self.address(held)
            holder.keep(held)
            held = ByteBuffer()
            let again = try await ring.acquire()
            return (heldAddress, Self.address(again), ring.waits)
        }
        // The ring has found the buffer held and waits for it.
        for await _ in waiting { break }
        holder.release()
        let (heldAddress, address, stillWaits) = try await acquiring.value
        #expect(heldAddress != 0)
        #expect(address == heldAddress)
        #expect(stillWaits)
    }

    @Test("A wait longer than the ring's patience turns waiting off and gives a new buffer")
    func ringGivesUp() async throws {
        var ring = BufferRing(count: 1, capacity: 4096, patience: .milliseconds(20))
        var held = try await ring.acquire()
        held.writeBytes([7])
        ring.handOut(held)
        let fresh = try await ring.acquire()
        #expect(Self.address(fresh) != Self.address(held))
        #expect(!ring.waits)
        #expect(held.readableBytes == 1)
    }

    @Test("The hashing stage's digest is the digest of every buffer fed, in order", arguments: [1, 3])
    func stageDigest(limit: Int) async throws {
        let blob = Self.blob(200_000, seed: 16)
        let stage = HashingStage(algorithm: .sha256, limit: limit)
        var offset = 0
        var size = 1
        while offset < blob.count {
            let end = min(blob.count, offset + size)
            try await stage.feed(ByteBuffer(bytes: blob[offset..<end]))
            offset = end
            size = size * 3 + 1
        }
        let hasher = await stage.finish()
        #expect(hasher.finalize() == ContentDigest.sha256(of: blob))
        #expect(hasher.byteCount == Int64(blob.count))
    }

    @Test("Closing the hashing stage releases a producer waiting for room", .timeLimit(.minutes(1)))
    func stageCloseReleasesProducer() async throws {
        let stage = HashingStage(algorithm: .sha256, limit: 1)
        // The hasher may take the first buffer at once; feeding more than the limit makes the producer wait.
        let producer = Task {
            for _ in 0..<1_000 { try await stage.feed(ByteBuffer(repeating: 1, count: 1 << 20)) }
        }
        stage.close()
        await #expect(throws: CancellationError.self) { try await producer.value }
    }
}

/// Holds one buffer for a test, from any task.
private final class BufferHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: ByteBuffer?

    func keep(_ buffer: ByteBuffer) { lock.withLock { self.buffer = buffer } }
    func release() { lock.withLock { buffer = nil } }
}
