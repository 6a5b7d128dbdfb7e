import DockyardReferences
import DockyardTestSupport
import Foundation
import Testing

/// Random inputs built from the grammar's characters: no parser may crash, and whatever parses must round-trip.
@Suite("Round-trip properties")
struct RoundTripPropertyTests {
    static let pieces = [
        "a", "b", "z", "0", "9", "A", "Z", ".", "_", "__", "-", "--", "/", ":", "@", "[", "]", "::1", "5000",
        "docker.io", "index.docker.io", "library", "localhost", "sha256:", "sha512:", String(repeating: "ab", count: 32),
        String(repeating: "0f", count: 64), "é", " ", "%", "latest", "ubuntu", "example.com",
    ]

    static func randomInput(_ generator: inout SeededGenerator) -> String {
        let count = Int.random(in: 1...8, using: &generator)
        return (0..<count).map { _ in pieces.randomElement(using: &generator) ?? "" }.joined()
    }

    /// CPU-bound: it yields now and then, so that on a 2-core machine the tests running beside it keep their share
    /// of Swift's executor (a loop that never suspends held both of its threads for half a minute).
    @Test(arguments: [1, 2, 3, 4] as [UInt64])
    func parsedReferencesRoundTrip(seed: UInt64) async throws {
        var generator = SeededGenerator(state: seed)
        var parsed = 0
        for iteration in 0..<5_000 {
            if iteration.isMultiple(of: 100) { await Task.yield() }
            let input = Self.randomInput(&generator)
            if let strict = try? ImageReference(parsing: input) {
                parsed += 1
                #expect(strict.description == input, "Parse keeps the text: \(input) (seed \(seed))")
                #expect(try ImageReference(parsing: strict.description) == strict)
            }
            if let normalized = try? ImageReference(normalizing: input) {
                parsed += 1
                #expect(try ImageReference(canonical: normalized.description) == normalized, "\(input)")
                if ReferenceGrammar.isIdentifier(normalized.familiar) {
                    // As upstream: docker.io/library/<64 hex> is familiar as the bare hex, which reads as an image ID.
                    #expect(throws: ReferenceError.nameIsIdentifier) { try ImageReference(normalizing: normalized.familiar) }
                } else {
                    #expect(try ImageReference(normalizing: normalized.familiar) == normalized, "familiar round trip: \(input)")
                }
                #expect(try normalized.normalized() == normalized)
                let docker = try ImageReference(dockerNormalizing: input)
                #expect(docker.tag != nil || docker.digest != nil)
                #expect(!(docker.tag != nil && docker.digest != nil))
            }
            if let any = try? AnyReference(parsing: input) {
                let data = try JSONEncoder().encode([any])
                #expect(try JSONDecoder().decode([AnyReference].self, from: data) == [any], "\(input)")
            }
            if let digest = try? ContentDigest(parsing: input) {
                #expect(digest.description == input)
            }
        }
        #expect(parsed > 100, "the generator produces valid references too (seed \(seed))")
    }
}
