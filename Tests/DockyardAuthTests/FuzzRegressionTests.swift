@testable import DockyardAuth
import Foundation
import Testing

/// Inputs the fuzz targets (Fuzz/Targets) found, kept as regression tests (issue 8).
@Suite("Fuzz regressions: auth")
struct AuthFuzzRegressionTests {
    /// `challenge` target: a backslash followed by a combining mark (one Character, two scalars) was not escaped by
    /// `description`, so the printed challenge parsed back to another value.
    @Test("A challenge value with a backslash before a combining mark round-trips")
    func backslashBeforeCombiningMark() {
        let input = "BRBea,re=\"hvt" + String(repeating: "\\\\", count: 7) + "\\\u{05A3}B\" "
        let parsed = AuthChallenge.parse(input)
        #expect(!parsed.isEmpty)
        for challenge in parsed {
            #expect(AuthChallenge.parse(challenge.description) == [challenge], "\(challenge.description)")
        }
        let value = "a\\\u{0301}b\"\u{0301}c"
        let challenge = AuthChallenge(scheme: .bearer, parameters: ["realm": value])
        #expect(AuthChallenge.parse(challenge.description).first?.realm == value)
    }
}
