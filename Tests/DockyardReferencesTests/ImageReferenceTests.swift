import DockyardReferences
import Foundation
import Testing

/// Hand-written cases beyond the upstream vectors: IPv6, limits, unicode, empty strings, whitespace, building.
@Suite("ImageReference")
struct ImageReferenceTests {
    static let sha = "sha256:" + String(repeating: "a", count: 64)

    // MARK: IPv6 domains

    @Test(arguments: [
        ("[::1]:5000/app:1", "[::1]:5000", "app", "1"),
        ("[::1]/app", "[::1]", "app", nil),
        ("[fc00::1]:5000/team/app", "[fc00::1]:5000", "team/app", nil),
        ("[FC00::ABCD]:443/app:latest", "[FC00::ABCD]:443", "app", "latest"),
        ("[2001:db8:0:0:0:0:0:1]:5000/a/b/c:t", "[2001:db8:0:0:0:0:0:1]:5000", "a/b/c", "t"),
    ] as [(String, String, String, String?)])
    func ipv6Domains(input: String, domain: String, path: String, tag: String?) throws {
        let reference = try ImageReference(normalizing: input)
        #expect(reference.domain == domain)
        #expect(reference.path == path)
        #expect(reference.tag == tag)
        #expect(reference.description == input)
        #expect(reference.familiar == input, "a non-Hub domain stays in the familiar form")
        #expect(try ImageReference(canonical: input) == reference)
    }

    @Test(arguments: ["[::1]", "[::1]:5000", "[]:5000/app", "[::1%lo]:5000/app", "[::g]/app", "[::1]:/app", "::1:5000/app"])
    func invalidIPv6(input: String) {
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(normalizing: input) }
    }

    // MARK: Limits

    @Test func nameOfExactly255CharactersIsAccepted() throws {
        let name = "example.com/" + String(repeating: "a", count: 255 - 12)
        #expect(name.count == 255)
        let reference = try ImageReference(parsing: name + ":tag")
        #expect(reference.name == name)
        #expect(throws: ReferenceError.nameTooLong) { try ImageReference(parsing: name + "a:tag") }
        #expect(throws: ReferenceError.nameTooLong) { try Repository(parsing: name + "a") }
        #expect(try Repository(parsing: name).name == name)
    }

    @Test func normalizationCountsTheAddedPrefix() throws {
        // docker.io/library/ is 18 characters.
        let fits = String(repeating: "b", count: 255 - 18)
        #expect(try ImageReference(normalizing: fits).name.count == 255)
        #expect(throws: ReferenceError.nameTooLong) { try ImageReference(normalizing: fits + "b") }
    }

    @Test func tagOf128CharactersIsTheMaximum() throws {
        let tag = "v" + String(repeating: "1", count: 127)
        #expect(try ImageReference(normalizing: "app:" + tag).tag == tag)
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(normalizing: "app:" + tag + "1") }
        let repository = try Repository(normalizing: "app")
        #expect(throws: ReferenceError.tagInvalidFormat) { try ImageReference(repository: repository, tag: tag + "1") }
        #expect(try ImageReference(repository: repository, tag: tag).tag == tag)
    }

    @Test(arguments: ["-tag", ".tag", "", "ta g", "tag/x", "täg", "tag:x", "tag@x"])
    func invalidTags(tag: String) throws {
        let reference = try ImageReference(normalizing: "app")
        #expect(throws: ReferenceError.tagInvalidFormat) { try reference.withTag(tag) }
    }

    @Test(arguments: ["_tag", "TAG", "1.0", "a-b_c.d", "x"])
    func validTags(tag: String) throws {
        #expect(try ImageReference(normalizing: "app").withTag(tag).tag == tag)
    }

    // MARK: Unicode, empty strings, whitespace

    @Test(arguments: ["ubüntu", "🐳", "app:tâg", "ünïcode/app", "xn--7o8h.com/🐳", "app\u{0}", "ａｐｐ"])
    func unicodeIsRefused(input: String) {
        for mode in ReferenceParseMode.allCases {
            #expect(throws: ReferenceError.invalidFormat, "\(mode)") { try AnyReference(parsing: input, mode: mode) }
        }
    }

    @Test func uppercaseLettersWithASCIILowercaseAreReportedAsUppercase() {
        // Go's strings.ToLower maps U+0130 (İ) to "i" and the Kelvin sign to "k".
        #expect(throws: ReferenceError.nameContainsUppercase) { try ImageReference(parsing: "\u{130}mage:tag") }
        #expect(throws: ReferenceError.nameContainsUppercase) { try ImageReference(parsing: "\u{212A}ube:tag") }
        #expect(throws: ReferenceError.nameContainsUppercase) { try ImageReference(normalizing: "ÜBUNTU") }
    }

    @Test func emptyStrings() {
        #expect(throws: ReferenceError.nameEmpty) { try ImageReference(parsing: "") }
        // Upstream normalizes "" to "docker.io/library/", which the grammar refuses.
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(normalizing: "") }
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(dockerNormalizing: "") }
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(canonical: "") }
        #expect(throws: ReferenceError.invalidFormat) { try AnyReference(parsing: "") }
        #expect(throws: ReferenceError.nameEmpty) { try Repository(parsing: "") }
        #expect(throws: ReferenceError.nameEmpty) { try Repository(domain: "", path: "") }
        #expect(throws: ReferenceError.digestInvalidFormat) { try ContentDigest(parsing: "") }
    }

    @Test(arguments: [" ubuntu", "ubuntu ", "\tubuntu", "ubuntu\n", "ubuntu: latest", "ubuntu :latest", "team /app", " ", "ubuntu@ " + sha])
    func whitespaceIsRefused(input: String) {
        for mode in ReferenceParseMode.allCases {
            #expect(throws: ReferenceError.self, "\(mode)") { try AnyReference(parsing: input, mode: mode) }
        }
        #expect(throws: ReferenceError.invalidFormat) { try ImageReference(parsing: input) }
    }

    // MARK: Normalization and forms

    @Test func normalizationDefaults() throws {
        let reference = try ImageReference(normalizing: "ubuntu")
        #expect(reference.domain == "docker.io")
        #expect(reference.path == "library/ubuntu")
        #expect(reference.repository.isDockerHub)
        #expect(reference.tag == nil)
        #expect(reference.isNameOnly)
        #expect(reference.familiar == "ubuntu")
        #expect(reference.withDefaultTag().description == "docker.io/library/ubuntu:latest")
        #expect(try ImageReference(normalizing: "localhost/app").domain == "localhost")
        #expect(try ImageReference(normalizing: "localhost:5000/app").familiar == "localhost:5000/app")
        #expect(try ImageReference(normalizing: "index.docker.io/team/app").description == "docker.io/team/app")
        #expect(try ImageReference(normalizing: "docker.io/library/foo/bar").familiar == "library/foo/bar")
    }

    @Test func strictParsingKeepsTheNameAsWritten() throws {
        let reference = try ImageReference(parsing: "ubuntu:24.04")
        #expect(reference.domain == "")
        #expect(reference.path == "ubuntu")
        #expect(reference.familiar == "ubuntu:24.04")
        #expect(try reference.normalized().description == "docker.io/library/ubuntu:24.04")
    }

    @Test func bareIdentifierIsNotAName() throws {
        let id = String(repeating: "0123456789abcdef", count: 4)
        #expect(throws: ReferenceError.nameIsIdentifier) { try ImageReference(normalizing: id) }
        #expect(try AnyReference(parsing: id) == .digest(try ContentDigest(parsing: "sha256:" + id)))
        #expect(try ImageReference(normalizing: "docker.io/" + id).path == "library/" + id)
    }

    @Test func dockerConventionDropsTheTagBesideADigest() throws {
        let reference = try ImageReference(dockerNormalizing: "app:1@" + Self.sha)
        #expect(reference.tag == nil)
        #expect(reference.digest?.description == Self.sha)
        #expect(try ImageReference(dockerNormalizing: "app").tag == "latest")
    }

    @Test func canonicalRefusesShortForms() throws {
        #expect(throws: ReferenceError.nameNotCanonical) { try ImageReference(canonical: "ubuntu:24.04") }
        #expect(try ImageReference(canonical: "docker.io/library/ubuntu:24.04").tag == "24.04")
    }

    // MARK: Building

    @Test func buildingFromParts() throws {
        let repository = try Repository(domain: "registry.example.com:5000", path: "team/app")
        let digest = try ContentDigest(parsing: Self.sha)
        let reference = try ImageReference(repository: repository, tag: "1.0", digest: digest)
        #expect(reference.description == "registry.example.com:5000/team/app:1.0@" + Self.sha)
        #expect(reference.withoutTag().description == "registry.example.com:5000/team/app@" + Self.sha)
        #expect(reference.withoutDigest().description == "registry.example.com:5000/team/app:1.0")
        #expect(try ImageReference(parsing: reference.description) == reference)
        #expect(throws: ReferenceError.invalidFormat) { try Repository(domain: "bad_domain", path: "app") }
        #expect(throws: ReferenceError.nameContainsUppercase) { try Repository(domain: "", path: "Team/app") }
        #expect(throws: ReferenceError.unexpectedTagOrDigest) { try Repository(normalizing: "ubuntu:24.04") }
    }

    // MARK: Codable

    @Test func codableRoundTrips() throws {
        let values = [
            try ImageReference(normalizing: "ubuntu:24.04"),
            try ImageReference(parsing: "app"),
            try ImageReference(normalizing: "[::1]:5000/app@" + Self.sha),
        ]
        let data = try JSONEncoder().encode(values)
        #expect(try JSONDecoder().decode([ImageReference].self, from: data) == values)
        #expect(String(decoding: data, as: UTF8.self).contains("\"docker.io\\/library\\/ubuntu:24.04\""))

        let any: [AnyReference] = [.digest(try ContentDigest(parsing: Self.sha)), .image(values[0])]
        #expect(try JSONDecoder().decode([AnyReference].self, from: try JSONEncoder().encode(any)) == any)

        let repositories = [try Repository(normalizing: "team/app"), try Repository(parsing: "app")]
        #expect(try JSONDecoder().decode([Repository].self, from: try JSONEncoder().encode(repositories)) == repositories)
    }

    @Test(arguments: [
        ("[\"Upper:tag\"]", ReferenceError.nameContainsUppercase),
        ("[\"\"]", ReferenceError.nameEmpty),
        ("[\"app@sha256:abc\"]", ReferenceError.invalidFormat),
        ("[\"app@sha256:\(String(repeating: "a", count: 40))\"]", ReferenceError.digestInvalidLength),
    ])
    func invalidDecodeThrowsDecodingError(json: String, underlying: ReferenceError) {
        do {
            _ = try JSONDecoder().decode([ImageReference].self, from: Data(json.utf8))
            Issue.record("decoded \(json)")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.underlyingError as? ReferenceError == underlying)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nonStringDecodeThrowsTypeMismatch() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ImageReference].self, from: Data("[42]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ContentDigest].self, from: Data("[null]".utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Repository].self, from: Data("[\"a//b\"]".utf8)) }
    }

    @Test func everyErrorHasACodeAndAMessage() {
        for error in ReferenceError.allCases {
            #expect(!error.code.isEmpty)
            #expect(error.description.count > 20)
            #expect("\(error)" == error.description)
        }
        #expect(Set(ReferenceError.allCases.map(\.code)).count == ReferenceError.allCases.count)
    }
}
