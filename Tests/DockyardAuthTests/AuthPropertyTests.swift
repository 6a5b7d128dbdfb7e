@testable import DockyardAuth
import DockyardTestSupport
import Foundation
import Testing

/// Seeded property tests (issue 8): challenges and config.json round-trip for generated values.
@Suite("Auth round trips (seeded)")
struct AuthPropertyTests {
    static let seeds: [UInt64] = [7, 0xA11C_E5EC_12E7, 0x0123_4567_89AB_CDEF]

    /// A string of printable ASCII, quotes and backslashes included.
    static func text(_ generator: inout SeededGenerator, maxLength: Int = 24) -> String {
        let alphabet = Array(#"abcXYZ019 -_./:,;="\@+%~"#)
        let length = Int(generator.next() % UInt64(maxLength + 1))
        return String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
    }

    @Test("A challenge prints as text that parses back to it", arguments: seeds)
    func challengeRoundTrip(seed: UInt64) {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<1_000 {
            var parameters: [String: String] = ["realm": "https://" + Self.text(&generator)]
            if generator.next() % 2 == 0 { parameters["service"] = Self.text(&generator) }
            if generator.next() % 2 == 0 { parameters["scope"] = "repository:" + Self.text(&generator) + ":pull" }
            let challenge = AuthChallenge(scheme: generator.next() % 2 == 0 ? .bearer : .basic, parameters: parameters)
            let parsed = AuthChallenge.parse(challenge.description)
            #expect(parsed == [challenge], "\(challenge.description)")
        }
    }

    @Test("config.json keeps every stored login through an encode and decode", arguments: seeds)
    func configRoundTrip(seed: UInt64) throws {
        var generator = SeededGenerator(state: seed)
        for _ in 0..<200 {
            var config = DockerConfig()
            for index in 0..<Int(generator.next() % 5) {
                let user = "u" + Self.text(&generator).replacingOccurrences(of: ":", with: "")
                let secret = Self.text(&generator)
                config.auths["r\(index).example"] = DockerConfig.AuthEntry(
                    credentials: generator.next() % 3 == 0 ? .identityToken(secret + "t") : .basic(username: user, password: secret))
            }
            if generator.next() % 2 == 0 { config.credentialsStore = "pass" }
            let decoded = try DockerConfig(data: try config.encoded())
            #expect(decoded == config)
            for (key, entry) in config.auths {
                #expect(try decoded.auths[key]?.credentials(key: key) == entry.credentials(key: key))
            }
        }
    }
}
