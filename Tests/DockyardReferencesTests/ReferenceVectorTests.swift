import DockyardReferences
import Foundation
import Testing
import DockyardTestSupport

/// Every case of `reference-vectors.json` (distribution/reference's Go test tables).
///
/// Documented exceptions (issue 2), written in the vector file as `exception` with Dockyard's verdict:
/// - sha512 digests are supported (a reference-level sha512 case of upstream's passes as upstream expects);
/// - `wrongLengthDigest`: `WithDigest`/`WithTag` cases that use a digest of the wrong length are refused with
///   `digestInvalidLength`, because a `ContentDigest` is always fully validated.
@Suite("Reference vectors")
struct ReferenceVectorTests {
    static let parseModes: Set<String> = ["strict", "normalized", "docker", "any", "canonical"]

    @Test func vectorFileLoadsWithEveryCase() throws {
        let document = try Vectors.document(Vectors.referenceFile)
        guard case .array(let items)? = document["cases"] else {
            Issue.record("no cases array")
            return
        }
        #expect(items.count == 333)
        let ids = items.compactMap { $0["id"]?.string }
        #expect(Set(ids).count == items.count, "case ids are unique")
        for item in items {
            if let exception = item["exception"]?.string {
                #expect(Vectors.allowedExceptions.contains(exception), "undocumented exception \(exception)")
                #expect(item["dockyard"] != nil, "an exception states Dockyard's verdict")
            }
        }
    }

    @Test("parse modes", arguments: Vectors.cases(Vectors.referenceFile, modes: parseModes))
    func parse(_ vector: VectorCase) throws {
        let mode = try #require(ReferenceParseMode(rawValue: vector.mode))
        let expect = vector.expect
        let result = Result { () throws(ReferenceError) in try AnyReference(parsing: vector.input, mode: mode) }
        switch (result, expect["valid"]?.bool) {
        case (.success(let reference), true):
            let image = reference.imageReference
            check(expect, "domain", image?.domain ?? "")
            check(expect, "path", image?.path)
            check(expect, "name", image?.name)
            check(expect, "tag", image?.tag)
            check(expect, "digest", reference.digest?.description)
            check(expect, "string", reference.description)
            let normalized = try? image?.normalized()
            check(expect, "familiar", normalized?.familiar)
            check(expect, "normalized", normalized?.description)
        case (.failure(let error), false):
            check(expect, "error", error.code)
        case (.success(let reference), _):
            Issue.record("expected an error, parsed \(reference)")
        case (.failure(let error), _):
            Issue.record("expected success, got \(error.code): \(error)")
        }
    }

    @Test("WithName", arguments: Vectors.cases(Vectors.referenceFile, modes: ["withName"]))
    func withName(_ vector: VectorCase) {
        let expect = vector.expect
        do throws(ReferenceError) {
            let repository = try Repository(parsing: vector.input)
            #expect(expect["valid"]?.bool == true, "expected an error, parsed \(repository)")
            check(expect, "domain", repository.domain)
            check(expect, "path", repository.path)
        } catch {
            #expect(expect["valid"]?.bool == false, "unexpected \(error.code)")
            check(expect, "error", error.code)
        }
    }

    @Test("WithTag and WithDigest", arguments: Vectors.cases(Vectors.referenceFile, modes: ["withTag", "withDigest"]))
    func build(_ vector: VectorCase) {
        let expect = vector.expect
        let name = vector.raw["name"]?.string ?? ""
        let tag = vector.raw["tag"]?.string
        let digest = vector.raw["digest"]?.string
        do throws(ReferenceError) {
            let repository = vector.raw["nameMode"]?.string == "normalized"
                ? try Repository(normalizing: name) : try Repository(parsing: name)
            var reference = try ImageReference(repository: repository)
            // Upstream's order: TestWithTag adds the digest first, TestWithDigest the tag first.
            if vector.mode == "withTag" {
                if let digest { reference = reference.withDigest(try ContentDigest(parsing: digest)) }
                if let tag { reference = try reference.withTag(tag) }
            } else {
                if let tag { reference = try reference.withTag(tag) }
                if let digest { reference = reference.withDigest(try ContentDigest(parsing: digest)) }
            }
            #expect(expect["valid"]?.bool == true, "expected an error, built \(reference)")
            check(expect, "string", reference.description)
        } catch {
            #expect(expect["valid"]?.bool == false, "unexpected \(error.code)")
            check(expect, "error", error.code)
        }
    }

    private struct Field: Codable {
        var Field: ImageReference
    }

    @Test("JSON serialization", arguments: Vectors.cases(Vectors.referenceFile, modes: ["codable"]))
    func serialization(_ vector: VectorCase) throws {
        let expect = vector.expect
        let json = try JSONSerialization.data(withJSONObject: ["Field": vector.input])
        do {
            let decoded = try JSONDecoder().decode(Field.self, from: json)
            #expect(expect["valid"]?.bool == true)
            check(expect, "name", decoded.Field.name)
            check(expect, "tag", decoded.Field.tag)
            check(expect, "digest", decoded.Field.digest?.description)
            check(expect, "string", decoded.Field.description)
            let reencoded = try JSONEncoder().encode(decoded)
            let again = try JSONDecoder().decode(Field.self, from: reencoded)
            #expect(again.Field == decoded.Field)
            #expect(String(decoding: reencoded, as: UTF8.self).contains(vector.input.replacingOccurrences(of: "/", with: "\\/"))
                || String(decoding: reencoded, as: UTF8.self).contains(vector.input))
        } catch let DecodingError.dataCorrupted(context) {
            #expect(expect["valid"]?.bool == false)
            let underlying = try #require(context.underlyingError as? ReferenceError)
            check(expect, "error", underlying.code)
        }
    }

    @Test("FamiliarMatch", arguments: Vectors.cases(Vectors.referenceFile, modes: ["familiarMatch"]))
    func familiarMatch(_ vector: VectorCase) throws {
        let expect = vector.expect
        let reference = try AnyReference(parsing: vector.input)
        let pattern = vector.raw["pattern"]?.string ?? ""
        do throws(ReferenceError) {
            let matched = try reference.matches(familiarPattern: pattern)
            #expect(expect["valid"]?.bool == true, "expected an error")
            #expect(matched == expect["matched"]?.bool)
        } catch {
            #expect(expect["valid"]?.bool == false, "unexpected \(error.code)")
            check(expect, "error", error.code)
        }
    }

    @Test("grammar", arguments: Vectors.cases(
        Vectors.referenceFile, modes: ["grammar.domain", "grammar.name", "grammar.reference", "grammar.identifier"]))
    func grammar(_ vector: VectorCase) {
        let expect = vector.expect
        let matches = expect["matches"]?.bool
        switch vector.mode {
        case "grammar.domain":
            #expect(ReferenceGrammar.isDomain(vector.input) == matches)
        case "grammar.identifier":
            #expect(ReferenceGrammar.isIdentifier(vector.input) == matches)
        case "grammar.name":
            let split = ReferenceGrammar.splitName(vector.input)
            #expect((split != nil) == matches)
            if let split {
                check(expect, "domain", split.domain)
                check(expect, "path", split.path)
            }
        case "grammar.reference":
            let split = ReferenceGrammar.splitReference(vector.input)
            #expect((split != nil) == matches)
            if let split {
                check(expect, "name", split.name)
                check(expect, "tag", split.tag)
                check(expect, "digest", split.digest)
            }
        default:
            Issue.record("unknown mode \(vector.mode)")
        }
    }

    @Test func everyModeIsExercised() {
        let modes = Set(Vectors.cases(Vectors.referenceFile).map(\.mode))
        let known: Set<String> = Self.parseModes.union([
            "withName", "withTag", "withDigest", "codable", "familiarMatch",
            "grammar.domain", "grammar.name", "grammar.reference", "grammar.identifier",
        ])
        #expect(modes == known)
    }
}
