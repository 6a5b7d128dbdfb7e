import DockyardTransport
import Testing

/// `WireNumber`, the one strict parser of numbers in headers (`Content-Length`, `Range`, `OCI-Chunk-Min-Length`).
@Suite("WireNumber")
struct WireNumberParsingTests {
    @Test("Accepts unsigned decimals that fit Int64", arguments: [
        ("0", Int64(0)), ("42", 42), ("0007", 7), ("9223372036854775807", .max),
    ])
    func accepts(text: String, value: Int64) {
        #expect(WireNumber.decimal(Substring(text)) == value)
    }

    @Test("Refuses signs, spaces, non-digits, empty values and numbers past Int64", arguments: [
        "", "-5", "+5", " 5", "5 ", "1e3", "0x10", "12a", "9223372036854775808", "99999999999999999999",
        "١٢", "5\u{0}",
    ])
    func refuses(text: String) {
        #expect(WireNumber.decimal(Substring(text)) == nil)
    }

    @Test("A whole header value may have surrounding spaces and tabs, nothing else", arguments: [
        (" 12 ", Int64?.some(12)), ("\t7", 7), ("- 1", nil), (" -1", nil), ("", nil), ("   ", nil),
    ])
    func header(text: String, value: Int64?) {
        #expect(WireNumber.decimal(header: text) == value)
    }
}
