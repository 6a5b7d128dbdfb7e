@testable import DockyardTransport
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

@Suite("HTTPDate")
struct HTTPDateTests {
    @Test("dates across the calendar match Foundation's own calendar", arguments: [
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("Tue, 29 Feb 2000 12:00:00 GMT", 951_825_600.0),
        ("Fri, 31 Dec 1999 23:59:59 GMT", 946_684_799.0),
        ("Mon, 01 Mar 2100 00:00:00 GMT", 4_107_542_400.0),
        ("Thursday, 01-Jan-70 00:00:00 GMT", 0.0),
        ("Saturday, 05-Dec-26 10:00:00 GMT", 1_796_464_800.0),
        ("Thu Jan  1 00:00:00 1970", 0.0),
        ("Thu Dec 31 23:59:59 2099", 4_102_444_799.0),
    ])
    func knownInstants(text: String, seconds: Double) throws {
        let date = try #require(HTTPDate.parse(text), "\(text) should parse")
        #expect(date.timeIntervalSince1970 == seconds, "\(text)")
    }

    @Test("impossible dates and malformed layouts are no dates", arguments: [
        "Sun, 29 Feb 1900 00:00:00 GMT",  // 1900 is not a leap year
        "Sun, 31 Apr 1994 00:00:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06 Nov 1994 08:49:37 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 8:49:37 GMT",
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov +994 08:49:37 GMT",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 006 08:49:37 1994",
        "Sun Nov 6 08:49:37 94",
    ])
    func rejected(text: String) {
        #expect(HTTPDate.parse(text) == nil, "\(text)")
    }
}
