import DockyardTransport
import NIOCore
import Testing

@Suite("ByteBufferSequence bounded reads")
struct ByteBufferSequenceTests {
    /// A body of `count` bytes delivered in chunks of `chunk` bytes.
    static func body(count: Int, chunk: Int) -> ByteBufferSequence {
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
        let stream = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + chunk)
                continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            continuation.finish()
        }
        return ByteBufferSequence(stream)
    }

    @Test("collectPrefix keeps the first bytes of a longer body, across chunk boundaries, without an error")
    func prefixOfLongerBody() async throws {
        let prefix = try await Self.body(count: 10_000, chunk: 3_000).collectPrefix(4_500)
        #expect(Array(prefix.readableBytesView) == (0..<4_500).map { UInt8(truncatingIfNeeded: $0) })
    }

    @Test("collectPrefix returns a shorter body whole, and nothing for a limit of zero")
    func shorterBody() async throws {
        let whole = try await Self.body(count: 700, chunk: 256).collectPrefix(4_096)
        #expect(whole.readableBytes == 700)
        #expect(try await Self.body(count: 700, chunk: 256).collectPrefix(0).readableBytes == 0)
    }

    @Test("collect(upTo:) refuses the same longer body that collectPrefix truncates")
    func collectStillRefuses() async throws {
        let error = await #expect(throws: TransportError.self) {
            _ = try await Self.body(count: 10_000, chunk: 3_000).collect(upTo: 4_500)
        }
        #expect(error?.code == .bodyTooLarge)
    }
}
