import DockyardReferences
import Testing

/// Go `path.Match` semantics, beyond upstream's `TestMatch` vectors.
@Suite("FamiliarPattern")
struct FamiliarPatternTests {
    @Test(arguments: [
        ("*", "ubuntu", true), ("*", "team/app", false), ("*/*", "team/app", true), ("team/*", "team/app", true),
        ("ub?ntu", "ubuntu", true), ("ub?ntu", "ub/ntu", false), ("[a-c]at", "bat", true), ("[^a-c]at", "bat", false),
        ("[^a-c]at", "rat", true), ("\\*", "*", true), ("\\*", "a", false), ("a*b*c", "axxbyyc", true),
        ("a*b", "a/b", false), ("", "", true), ("", "a", false), ("[\\]]", "]", true), ("[z-a]", "m", false),
        ("app:*", "app:1.0", true), ("*:1.*", "app:1.2", true), ("[/]", "/", true), ("a*", "a/b", false),
    ])
    func matches(pattern: String, text: String, expected: Bool) throws {
        #expect(try FamiliarPattern(pattern).matches(text) == expected)
    }

    @Test(arguments: ["[", "[]", "[^]", "[a-", "[a", "\\", "a\\", "[-x]", "[x-]", "[]a]"])
    func malformedPatterns(pattern: String) {
        #expect(throws: ReferenceError.invalidPattern) { try FamiliarPattern(pattern) }
    }

    @Test func referencesMatchByFamiliarStringOrName() throws {
        let reference = try ImageReference(normalizing: "docker.io/library/ubuntu:24.04")
        #expect(try reference.matches(familiarPattern: "ubuntu"))
        #expect(try reference.matches(familiarPattern: "ubuntu:24.*"))
        #expect(try !reference.matches(familiarPattern: "library/*"))
        let digest = try AnyReference(parsing: String(repeating: "ab", count: 32))
        #expect(try digest.matches(familiarPattern: "sha256:*"))
    }
}
