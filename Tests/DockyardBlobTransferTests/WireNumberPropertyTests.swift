import DockyardTestSupport
import Foundation
import Testing

@testable import DockyardBlobTransfer

/// Seeded property tests (issue 8): the blob header arithmetic round-trips and stays in bounds for any numbers.
@Suite("Wire number properties (seeded)")
struct WireNumberPropertyTests {
    static let seeds: [UInt64] = [1, 0xD0C4_7A2D, 0xFEED_FACE_CAFE_BEEF]

    /// A number spread over every magnitude up to `Int64.max`, edges included.
    static func number(_ generator: inout SeededGenerator) -> Int64 {
        switch generator.next() % 8 {
        case 0: return Int64.max
        case 1: return Int64.max - Int64(generator.next() % 4)
        case 2: return Int64(generator.next() % 4)
        default:
            let bits = Int(generator.next() % 63) + 1
            return Int64(generator.next() >> UInt64(64 - bits)) & Int64.max
        }
    }

    @Test("The Range a chunk upload sends reads back as the offset after it", arguments: seeds)
    func rangeRoundTrip(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<2_000 {
            let end = Swift.max(2, Self.number(&generator))
            // What a registry answers after receiving [0, end): "0-(end-1)".
            let header = BlobProtocol.chunkContentRange(0..<end)
            #expect(BlobProtocol.uploadOffset(fromRange: header) == end, "\(header)")
            #expect(BlobProtocol.uploadOffset(fromRange: "bytes=" + header) == end)
            #expect((try? BlobProtocol.uploadOffset(range: header, total: end)) == end)
            if end < Int64.max {
                #expect(throws: BlobTransferError.self) { try BlobProtocol.uploadOffset(range: header, total: end - 1) }
            }
        }
    }

    @Test("Chunks never leave the blob, whatever the offset, size and minimum", arguments: seeds)
    func chunksInBounds(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<5_000 {
            let total = Self.number(&generator)
            let offset = Self.number(&generator)
            let size = BlobProtocol.chunkSize(
                configured: Int(truncatingIfNeeded: Self.number(&generator)), minimum: Self.number(&generator))
            #expect(size >= 1)
            if let chunk = BlobProtocol.nextChunk(offset: offset, total: total, chunkSize: size) {
                #expect(chunk.lowerBound == offset && chunk.upperBound <= total && !chunk.isEmpty)
            } else {
                #expect(offset >= total)
            }
        }
    }

    @Test("Content-Range of a 206 reads back", arguments: seeds)
    func contentRangeRoundTrip(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<2_000 {
            let first = Self.number(&generator)
            let last = Swift.max(first, Self.number(&generator))
            let total = Self.number(&generator)
            let parsed = BlobProtocol.contentRangeStart("bytes \(first)-\(last)/\(total)")
            #expect(parsed?.first == first)
            #expect(parsed?.total == total)
            #expect(BlobProtocol.contentRangeStart("bytes \(first)-\(last)/*")?.total == nil)
        }
    }
}
