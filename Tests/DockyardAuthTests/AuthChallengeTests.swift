import DockyardAuth
import DockyardTestSupport
import Foundation
import NIOHTTP1
import Testing

/// One case of `vectors/challenge-vectors.json`.
struct ChallengeVector: Decodable, Sendable, CustomTestStringConvertible {
    struct Expected: Decodable, Sendable {
        var scheme: String
        var parameters: [String: String]
        var token68: String?
    }

    var name: String
    var source: String
    var headers: [String]
    var expected: [Expected]
    var consensus: Bool
    var note: String?

    var testDescription: String { name }

    static let all: [ChallengeVector] = {
        struct File: Decodable { var vectors: [ChallengeVector] }
        return (try? TestFixtures.decode(File.self, from: "vectors/challenge-vectors.json").vectors) ?? []
    }()
}

@Suite("AuthChallenge")
struct AuthChallengeTests {
    @Test("the vector file loads and covers both agreed and disputed cases")
    func vectorsLoad() {
        #expect(ChallengeVector.all.count >= 50)
        #expect(ChallengeVector.all.contains { !$0.consensus })
        #expect(ChallengeVector.all.filter { !$0.consensus }.allSatisfy { $0.note != nil })
    }

    @Test("upstream vectors", arguments: ChallengeVector.all)
    func vector(_ vector: ChallengeVector) {
        var headers = HTTPHeaders()
        for line in vector.headers { headers.add(name: "WWW-Authenticate", value: line) }
        let parsed = AuthChallenge.parse(headers: headers)
        // Where upstream clients disagree (consensus false), `note` states the behaviour Dockyard chose.
        let comment = Comment(rawValue: "\(vector.source)\(vector.note.map { " — chosen: \($0)" } ?? "")")
        #expect(parsed.count == vector.expected.count, comment)
        for (challenge, expected) in zip(parsed, vector.expected) {
            #expect(challenge.scheme.rawValue == expected.scheme, comment)
            #expect(challenge.parameters == expected.parameters, comment)
            #expect(challenge.token68 == expected.token68, comment)
        }
    }

    /// No consensus (distribution/containerd read only the first challenge of a line).
    /// Chosen: RFC 9110 §11.6.1 — every challenge in the line is returned, in order.
    @Test func severalChallengesInOneLineAreAllReturned() throws {
        let parsed = AuthChallenge.parse(#"Basic realm="basic", Bearer realm="https://a.example/token",service="s""#)
        try #require(parsed.map(\.scheme) == [.basic, .bearer])
        #expect(parsed[1].realm == "https://a.example/token")
        #expect(parsed[1].service == "s")
    }

    /// No consensus (distribution drops everything from an empty quoted value on).
    /// Chosen: an empty quoted value is kept and parsing continues.
    @Test func emptyQuotedValueIsKept() {
        let parsed = AuthChallenge.parse(#"Bearer realm="r",empty="",service="s""#)
        #expect(parsed.first?.parameters == ["realm": "r", "empty": "", "service": "s"])
    }

    /// No consensus (greenbytes calls a repeated parameter invalid). Chosen: the last value wins, like Go's maps.
    @Test func repeatedParameterKeepsLastValue() {
        #expect(AuthChallenge.parse(#"Basic realm="foo", realm="bar""#).first?.realm == "bar")
    }

    /// No consensus (distribution and containerd refuse white space around `=`). Chosen: RFC 9110 BWS is allowed.
    @Test func whiteSpaceAroundEqualsIsAllowed() {
        #expect(AuthChallenge.parse("Bearer realm =  \"x\" , service= y").first?.parameters == ["realm": "x", "service": "y"])
    }

    /// No consensus (containerd drops unknown schemes, distribution keeps them without a token68).
    /// Chosen: unknown schemes are kept, and a lone token after the scheme is its token68.
    @Test func unknownSchemeWithToken68() throws {
        let parsed = AuthChallenge.parse("Negotiate abc123+/==, Basic realm=\"x\"")
        try #require(parsed.count == 2)
        #expect(parsed[0].scheme.rawValue == "negotiate")
        #expect(parsed[0].token68 == "abc123+/==")
        #expect(parsed[1].scheme == .basic)
    }

    @Test func accessorsReadTheDistributionParameters() throws {
        let challenge = try #require(
            AuthChallenge.parse(
                #"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull repository:c:pull,push",error="insufficient_scope""#
            ).first)
        #expect(challenge.realm == "https://auth.docker.io/token")
        #expect(challenge.service == "registry.docker.io")
        #expect(challenge.error == "insufficient_scope")
        #expect(challenge.scopes.map(\.description) == ["repository:a/b:pull", "repository:c:pull,push"])
    }

    @Test func headerNameIsCaseInsensitive() {
        let headers = HTTPHeaders([("www-authenticate", #"Bearer realm="x""#)])
        #expect(AuthChallenge.parse(headers: headers).first?.realm == "x")
    }

    @Test func descriptionIsCanonicalAndReparses() throws {
        let challenge = AuthChallenge(scheme: .bearer, parameters: ["Service": "s", "realm": #"a"b\c"#])
        #expect(challenge.description == #"bearer realm="a\"b\\c",service="s""#)
        #expect(AuthChallenge.parse(challenge.description) == [challenge])
    }

    @Test(
        "malformed input never traps",
        arguments: [
            "", " ", ",", "\"", "\\", "=", "Bearer \"", "Bearer realm=\"\\", "Bearer realm=\"a\\\"", "Bearer ,=,=,",
            "Bearer realm", "Bearer =x", "\u{0}\u{1}\u{7f}", "Bearer realm=\"é\u{0}\"", String(repeating: ",Basic ", count: 500),
            "Basic realm=\"a\" \"b\" c=\"d", "Bearer a=b=c,d==e", "===Basic", "Basic realm=\"x\"junk, Bearer realm=y",
        ])
    func neverTraps(_ input: String) {
        let parsed = AuthChallenge.parse(input)
        #expect(parsed.count <= input.utf8.count)
    }

    /// Seeded random noise: whatever the input, the parse is bounded by it (no more challenges than bytes) and
    /// every scheme and parameter name it reports is a lowercased token taken from the input.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func noiseParsesToTokensFromTheInput(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        let alphabet = Array("Bb earr=\",\\ \trealm\"scope:/,=".utf8) + [0xC3, 0xA9, 0x00]
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x20 }
            let input = String(decoding: bytes, as: UTF8.self)
            let parsed = AuthChallenge.parse(input)
            #expect(parsed.count <= length, "seed \(seed), input \(input.debugDescription)")
            for challenge in parsed {
                let names = [challenge.scheme.rawValue] + Array(challenge.parameters.keys)
                for name in names {
                    #expect(!name.isEmpty && name.allSatisfy(tokenCharacters.contains), "seed \(seed), input \(input.debugDescription): \(name.debugDescription)")
                    #expect(input.lowercased().contains(name), "seed \(seed), input \(input.debugDescription): \(name) is not from the input")
                }
            }
        }
    }

    /// Seeded random values, quoted and escaped as RFC 9110 says: the parse gives back exactly the values written.
    @Test(arguments: [11, 12, 13] as [UInt64])
    func quotedValuesRoundTrip(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        let characters = Array("abcXYZ019 ,=;:/._-\"\\é")
        func value() -> String {
            String((0..<Int.random(in: 0..<24, using: &generator)).map { _ in characters.randomElement(using: &generator) ?? "a" })
        }
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        for _ in 0..<500 {
            let (realm, service, scope) = (value(), value(), value())
            let header = "Bearer realm=\(quoted(realm)), service=\(quoted(service)),scope=\(quoted(scope)), Basic realm=\(quoted(service))"
            let parsed = AuthChallenge.parse(header)
            #expect(parsed.count == 2, "seed \(seed), header \(header)")
            #expect(parsed.first?.scheme == .bearer)
            #expect(parsed.first?.realm == realm, "seed \(seed), header \(header)")
            #expect(parsed.first?.service == service, "seed \(seed), header \(header)")
            #expect(parsed.first?.parameters["scope"] == scope, "seed \(seed), header \(header)")
            #expect(parsed.last?.scheme == .basic)
            #expect(parsed.last?.realm == service, "seed \(seed), header \(header)")
        }
    }
}
