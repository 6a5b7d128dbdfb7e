import Foundation

/// The `Retry-After` response header (RFC 9110 §10.2.3).
///
/// Its value is either a number of seconds (`Retry-After: 120`) or an HTTP date
/// (`Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`). Docker Hub sends it with `429 Too Many Requests`, and
/// registries with `503 Service Unavailable`.
public enum RetryAfter {
    /// Reads a `Retry-After` value as a wait from `now`.
    ///
    /// Both forms of RFC 9110 §10.2.3 are accepted: `delay-seconds` (a non-negative decimal integer) and
    /// `HTTP-date` in any of the three formats of §5.6.7 (IMF-fixdate, the obsolete RFC 850 form and ANSI C's
    /// `asctime()` form). A date in the past means no wait.
    ///
    /// - Parameters:
    ///   - value: The header's value.
    ///   - now: The current time, against which a date is measured.
    /// - Returns: How long to wait, or `nil` when the value is neither form.
    public static func parse(_ value: String, now: Date = Date()) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        if trimmed.allSatisfy(\.isASCIIDigit) {
            // Absurdly long values are clamped rather than rejected: they still mean "not soon".
            guard let seconds = Int64(trimmed) else { return .seconds(Int64.max / 2) }
            return .seconds(seconds)
        }
        guard let date = HTTPDate.parse(trimmed) else { return nil }
        let interval = date.timeIntervalSince(now)
        guard interval > 0 else { return .zero }
        // A date far in the future is clamped like a huge number of seconds: `Int64(_:)` would trap past its range.
        let milliseconds = (interval * 1000).rounded(.up)
        guard milliseconds < Double(Int64.max / 2) else { return .seconds(Int64.max / 2) }
        return .milliseconds(Int64(milliseconds))
    }
}

/// Parsing of HTTP dates (RFC 9110 §5.6.7).
enum HTTPDate {
    private static let formats = [
        "EEE, dd MMM yyyy HH:mm:ss 'GMT'",  // IMF-fixdate
        "EEEE, dd-MMM-yy HH:mm:ss 'GMT'",  // obsolete RFC 850
        "EEE MMM d HH:mm:ss yyyy",  // asctime
    ]

    /// Parses an HTTP date in any of the three formats; `nil` when it is none of them.
    ///
    /// Only printable ASCII of at most 64 bytes reaches `DateFormatter`: an HTTP date is nothing else, and Foundation's
    /// formatter traps on some non-ASCII input (a combining mark after a digit; found by the `retry-after` fuzz
    /// target), which a hostile server must not be able to send.
    static func parse(_ text: String) -> Date? {
        guard !text.isEmpty, text.utf8.count <= 64, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        // asctime pads a one-digit day with a space ("Nov  6"): collapse runs of spaces.
        let normalised = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        for format in formats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: normalised) { return date }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
