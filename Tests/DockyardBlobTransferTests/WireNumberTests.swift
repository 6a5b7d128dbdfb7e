import Foundation
import Testing

@testable import DockyardBlobTransfer

/// Issue 8: numbers from upload and download headers never trap; nonsense is a typed error.
@Suite("Wire numbers in blob headers")
struct WireNumberTests {
    static let max = String(Int64.max)

    @Test("A Range whose end is 2^63-1 or longer has no next offset (no overflow)", arguments: [
        "0-\(Int64.max)", "bytes=0-\(Int64.max)", "0-99999999999999999999", "0-+5", "0- 5", "0-0x10", "-0-5",
    ])
    func hugeRange(header: String) {
        #expect(BlobProtocol.uploadOffset(fromRange: header) == nil)
    }

    @Test("An upload offset past the bytes sent, or unusable, is BlobTransferError.invalidResponse", arguments: [
        ("0-\(Int64.max - 1)", Int64(1000)), ("0-1000", Int64(1000)), ("0-\(Int64.max)", Int64(1000)),
        ("nonsense", Int64(1000)),
    ] as [(String, Int64)])
    func offsetPastTotal(header: String, total: Int64) {
        #expect {
            try BlobProtocol.uploadOffset(range: header, total: total)
        } throws: { error in
            (error as? BlobTransferError)?.code == .invalidResponse
        }
    }

    @Test("An offset within the blob is accepted, the end included")
    func offsetWithinTotal() throws {
        #expect(try BlobProtocol.uploadOffset(range: "0-999", total: 1000) == 1000)
        #expect(try BlobProtocol.uploadOffset(range: "0-0", total: 1000) == 0)
    }

    @Test("OCI-Chunk-Min-Length: decimal up to 2^63-1, anything else is invalidResponse", arguments: [
        ("4096", Int64?.some(4096)), (String(Int64.max), Int64.max), ("0", 0), ("9223372036854775808", nil), ("-1", nil),
        ("+5", nil), ("", nil), ("1e6", nil),
    ] as [(String, Int64?)])
    func chunkMinimum(header: String, expected: Int64?) {
        if let expected {
            #expect((try? BlobProtocol.chunkMinimum(header)) == expected)
        } else {
            #expect(throws: BlobTransferError.self) { try BlobProtocol.chunkMinimum(header) }
        }
    }

    @Test("A chunk size near 2^63 is one chunk to the end of the blob, never an overflow")
    func hugeChunks() {
        let size = BlobProtocol.chunkSize(configured: 4096, minimum: Int64.max)
        #expect(size == Int64.max)
        #expect(BlobProtocol.nextChunk(offset: 0, total: 10_000, chunkSize: size) == 0..<10_000)
        #expect(BlobProtocol.nextChunk(offset: 5_000, total: 10_000, chunkSize: size) == 5_000..<10_000)
        #expect(BlobProtocol.nextChunk(offset: Int64.max - 1, total: Int64.max, chunkSize: size) == (Int64.max - 1)..<Int64.max)
        #expect(BlobProtocol.nextChunk(offset: -1, total: 10, chunkSize: 1) == nil)
        #expect(BlobProtocol.chunks(total: 10_000, chunkSize: size) == [0..<10_000])
    }

    @Test("Content-Range numbers past 2^63-1 are not a range")
    func hugeContentRange() {
        #expect(BlobProtocol.contentRangeStart("bytes 0-99999999999999999999/5") == nil)
        #expect(BlobProtocol.contentRangeStart("bytes 0-\(Int64.max)/\(Int64.max)")?.first == 0)
    }
}
