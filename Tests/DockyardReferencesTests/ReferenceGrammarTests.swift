import DockyardReferences
import Testing

@Suite("ReferenceGrammar")
struct ReferenceGrammarTests {
    @Test func ociDigestGrammarIsLooserThanParsing() {
        #expect(ReferenceGrammar.isOCIDigest("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"))
        #expect(!ReferenceGrammar.isOCIDigest("SHA256:abc"))
        #expect(!ReferenceGrammar.isOCIDigest("sha256__x:abc"))
        #expect(ReferenceGrammar.isReferenceDigest("sha256:" + String(repeating: "A", count: 32)))
        #expect(!ReferenceGrammar.isReferenceDigest("sha256:" + String(repeating: "a", count: 31)))
    }

    @Test func pathsAndTags() {
        #expect(ReferenceGrammar.isPath("a__b/c---d/e.f"))
        #expect(!ReferenceGrammar.isPath("a___b"))
        #expect(!ReferenceGrammar.isPath(""))
        #expect(ReferenceGrammar.isTag(String(repeating: "x", count: 128)))
        #expect(!ReferenceGrammar.isTag(String(repeating: "x", count: 129)))
    }
}
