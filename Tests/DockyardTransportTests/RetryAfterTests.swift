import DockyardTransport
import Foundation
import Testing

@Suite("RetryAfter")
struct RetryAfterTests {
    /// 1994-11-06 08:49:37 UTC, the instant of RFC 9110's example dates.
    static let exampleInstant = Date(timeIntervalSince1970: 784_111_777)

    @Test("delay-seconds", arguments: [
        ("0", Duration.zero),
        ("1", .seconds(1)),
        ("120", .seconds(120)),
        ("  7 ", .seconds(7)),
    ])
    func delaySeconds(value: String, expected: Duration) {
        #expect(RetryAfter.parse(value, now: Self.exampleInstant) == expected)
    }

    @Test("the three HTTP-date formats of RFC 9110 §5.6.7", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",  // IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  // obsolete RFC 850
        "Sun Nov  6 08:49:37 1994",  // asctime
    ])
    func httpDateFormats(value: String) {
        let tenSecondsBefore = Self.exampleInstant.addingTimeInterval(-10)
        #expect(RetryAfter.parse(value, now: tenSecondsBefore) == .seconds(10))
    }

    @Test("a date in the past means no wait")
    func pastDate() {
        let later = Self.exampleInstant.addingTimeInterval(3600)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: later) == .zero)
    }

    @Test("garbage is rejected", arguments: ["", "soon", "-5", "1.5", "Sun, 32 Nov 1994 08:49:37 GMT", "0x10"])
    func invalid(value: String) {
        #expect(RetryAfter.parse(value, now: Self.exampleInstant) == nil)
    }

    @Test("a huge number of seconds is clamped, not rejected")
    func huge() throws {
        let wait = try #require(RetryAfter.parse("99999999999999999999999", now: Self.exampleInstant))
        #expect(wait > .seconds(1_000_000_000))
    }
}
