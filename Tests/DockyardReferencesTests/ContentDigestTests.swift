import DockyardReferences
import Foundation
import Testing

@Suite("ContentDigest and DigestHasher")
struct ContentDigestTests {
    static let emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func computesFromAnyByteSequence() throws {
        let expected = try ContentDigest(parsing: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(ContentDigest.sha256(of: Array("abc".utf8)) == expected)
        #expect(ContentDigest.sha256(of: Data("abc".utf8)) == expected)
        #expect(ContentDigest.sha256(of: "abc".utf8) == expected, "non-contiguous path")
        #expect(ContentDigest.sha256(of: [UInt8]()).description == Self.emptySHA256)
        #expect(ContentDigest.sha512(of: [UInt8]()).encoded.count == 128)
    }

    @Test func nonContiguousSequencesAreHashedInChunks() {
        let count = 100_003  // several internal 16 KiB chunks and a remainder
        let lazyBytes = (0..<count).lazy.map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let array = Array(lazyBytes)
        #expect(ContentDigest.sha256(of: lazyBytes) == ContentDigest.sha256(of: array))
        #expect(ContentDigest.sha512(of: lazyBytes) == ContentDigest.sha512(of: array))
        var hasher = DigestHasher()
        hasher.update(sequence: lazyBytes)
        #expect(hasher.byteCount == Int64(count))
        #expect(ContentDigest.sha256(of: array) != ContentDigest.sha256(of: array.dropLast()))
    }

    @Test func hasherForksAndContinues() {
        var hasher = DigestHasher()
        hasher.update(Data("ab".utf8))
        var fork = hasher
        hasher.update(Data("c".utf8))
        fork.update(Data("x".utf8))
        #expect(hasher.finalize() == ContentDigest.sha256(of: Array("abc".utf8)))
        #expect(fork.finalize() == ContentDigest.sha256(of: Array("abx".utf8)))
        #expect(hasher.byteCount == 3)
        // finalize does not end the stream
        hasher.update(Data("d".utf8))
        #expect(hasher.finalize() == ContentDigest.sha256(of: Array("abcd".utf8)))
        #expect(hasher.byteCount == 4)
    }

    @Test func emptyUpdatesChangeNothing() {
        var hasher = DigestHasher(algorithm: .sha512)
        hasher.update(bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        hasher.update(Data())
        #expect(hasher.byteCount == 0)
        #expect(hasher.finalize() == ContentDigest.sha512(of: [UInt8]()))
        #expect(hasher.algorithm == .sha512)
    }

    @Test func buildsFromHashBytes() throws {
        let digest = ContentDigest.sha256(of: Array("abc".utf8))
        var bytes: [UInt8] = []
        var index = digest.encoded.startIndex
        while index < digest.encoded.endIndex {
            let next = digest.encoded.index(index, offsetBy: 2)
            bytes.append(try #require(UInt8(digest.encoded[index..<next], radix: 16)))
            index = next
        }
        #expect(try ContentDigest(algorithm: .sha256, hashBytes: bytes) == digest)
        #expect(throws: ReferenceError.digestInvalidLength) { try ContentDigest(algorithm: .sha512, hashBytes: bytes) }
        #expect(throws: ReferenceError.digestInvalidFormat) {
            try ContentDigest(algorithm: .sha256, encoded: digest.encoded.uppercased())
        }
    }

    static let invalid: [(String, ReferenceError)] = [
        ("sha256", ReferenceError.digestInvalidFormat),
        ("sha256:", .digestInvalidFormat),
        (":abc", .digestInvalidFormat),
        ("SHA256:" + String(repeating: "a", count: 64), .digestInvalidFormat),
        ("sha384:" + String(repeating: "a", count: 96), .digestUnsupported),
        ("md5:d41d8cd98f00b204e9800998ecf8427e", .digestUnsupported),
        ("sha512:" + String(repeating: "a", count: 64), .digestInvalidLength),
        ("sha256:" + String(repeating: "g", count: 64), .digestInvalidFormat),
        ("sha256: " + String(repeating: "a", count: 63), .digestInvalidFormat),
        ("sha256:" + String(repeating: "a", count: 64) + "\n", .digestInvalidLength),
        ("sha256:" + String(repeating: "é", count: 32), .digestInvalidFormat),
    ]

    @Test(arguments: invalid)
    func invalidDigests(input: String, error: ReferenceError) {
        #expect(throws: error) { try ContentDigest(parsing: input) }
    }

    @Test func codableAsString() throws {
        let digest = try ContentDigest(parsing: Self.emptySHA256)
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(Self.emptySHA256)\"]")
        #expect(try JSONDecoder().decode([ContentDigest].self, from: data) == [digest])
        do {
            _ = try JSONDecoder().decode([ContentDigest].self, from: Data("[\"sha256:abc\"]".utf8))
            Issue.record("decoded a short digest")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.underlyingError as? ReferenceError == .digestInvalidLength)
        }
    }
}
