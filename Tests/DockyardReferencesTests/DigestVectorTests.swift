import DockyardReferences
import Testing
import DockyardTestSupport

/// Every case of `digest-vectors.json` (go-digest's `TestParseDigest` and FIPS 180-2 known answers).
///
/// Documented exception (issue 2): `algorithmSet` — Dockyard supports exactly sha256 and sha512, so cases that
/// rely on upstream's test registering sha384 or blake3 get `digestUnsupported`, as go-digest reports when the
/// algorithm is not registered. sha512 is supported.
@Suite("Digest vectors")
struct DigestVectorTests {
    @Test func vectorFileLoadsWithEveryCase() throws {
        let document = try Vectors.document(Vectors.digestFile)
        guard case .array(let items)? = document["cases"] else {
            Issue.record("no cases array")
            return
        }
        #expect(items.count == 29)
        for item in items {
            if let exception = item["exception"]?.string {
                #expect(Vectors.allowedExceptions.contains(exception), "undocumented exception \(exception)")
            }
        }
    }

    @Test("parse", arguments: Vectors.cases(Vectors.digestFile, modes: ["parse"]))
    func parse(_ vector: VectorCase) throws {
        let expect = vector.expect
        do throws(ReferenceError) {
            let digest = try ContentDigest(parsing: vector.input)
            #expect(expect["valid"]?.bool == true, "expected an error, parsed \(digest)")
            check(expect, "algorithm", digest.algorithm.rawValue)
            check(expect, "encoded", digest.encoded)
            #expect(digest.description == vector.input)
            #expect(try ContentDigest(parsing: digest.description) == digest)
            #expect(try ContentDigest(algorithm: digest.algorithm, encoded: digest.encoded) == digest)
        } catch {
            #expect(expect["valid"]?.bool == false, "unexpected \(error.code)")
            check(expect, "error", error.code)
        }
    }

    @Test("compute", arguments: Vectors.cases(Vectors.digestFile, modes: ["compute"]))
    func compute(_ vector: VectorCase) throws {
        let algorithm = try #require(ContentDigest.Algorithm(rawValue: vector.raw["algorithm"]?.string ?? ""))
        let text = vector.raw["text"]?.string ?? ""
        let repeatCount = vector.raw["repeat"]?.int ?? 1
        let bytes = [UInt8](String(repeating: text, count: repeatCount).utf8)
        let expected = try ContentDigest(parsing: try #require(vector.expect["digest"]?.string))

        #expect(ContentDigest.compute(algorithm, of: bytes) == expected)
        #expect(expected.matches(bytes))

        // Incrementally, in uneven chunks, without copying.
        var hasher = DigestHasher(algorithm: algorithm)
        var offset = 0
        var chunk = 1
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let end = min(buffer.count, offset + chunk)
                hasher.update(bytes: UnsafeRawBufferPointer(rebasing: buffer[offset..<end]))
                offset = end
                chunk = chunk * 3 + 1
            }
        }
        #expect(hasher.finalize() == expected)
        #expect(hasher.byteCount == Int64(bytes.count))
    }
}
