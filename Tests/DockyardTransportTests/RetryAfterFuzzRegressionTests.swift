import Foundation
import Testing

@testable import DockyardTransport

/// Inputs the `retry-after` fuzz target found (issue 8), kept as regression tests.
@Suite("Fuzz regressions: Retry-After")
struct RetryAfterFuzzRegressionTests {
    /// Foundation's DateFormatter trapped ("Incorrect range CFRange") on this value: a hostile registry could crash the
    /// client with a `Retry-After` header.
    @Test("A Retry-After date with a combining mark is no date, not a trap")
    func combiningMark() throws {
        let bytes: [UInt8] = [
            0x53, 0x75, 0x20, 0x30, 0x36, 0x2D, 0x4E, 0x6F, 0x76, 0x2D, 0xCD, 0x8A, 0xCF, 0x36, 0x2D, 0x4E,
            0x6F, 0x76, 0x2D, 0x39, 0x34, 0x20, 0x30, 0x38, 0x3A, 0x34, 0x3A, 0x33, 0x37, 0x3A, 0x2A, 0x3A,
            0x33, 0x37, 0x3A, 0x2A, 0x3A, 0x33, 0x37, 0x20, 0x47, 0x4D, 0x54,
        ]
        let value = String(decoding: bytes, as: UTF8.self)
        #expect(RetryAfter.parse(value) == nil)
        #expect(HTTPDate.parse(value) == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT\u{0301}") == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") != nil)
    }
}
