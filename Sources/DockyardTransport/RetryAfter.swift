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
///
/// A small strict parser of its own rather than `DateFormatter`: the three formats are fixed ASCII layouts, a
/// formatter costs an ICU set-up per call (the `retry-after` fuzz target ran at 38 inputs a second through it), and
/// Foundation's formatter trapped on some non-ASCII input (a combining mark after a digit, found by that target).
/// Every number is at most four digits, so no arithmetic here can overflow.
enum HTTPDate {
    private static let shortDays: Set<Substring> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDays: Set<Substring> = [
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    ]
    private static let months: [Substring] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Parses an HTTP date in any of the three formats; `nil` when it is none of them.
    ///
    /// Accepted: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`, a two-digit year below 70 read as 20yy) and ANSI C's `asctime()` form
    /// (`Sun Nov  6 08:49:37 1994`). Runs of spaces count as one. Only printable ASCII of at most 64 bytes is read.
    static func parse(_ text: String) -> Date? {
        guard !text.isEmpty, text.utf8.count <= 64, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let fields = text.split(separator: " ", omittingEmptySubsequences: true)
        switch fields.count {
        case 6:  // IMF-fixdate: "Sun," "06" "Nov" "1994" "08:49:37" "GMT"
            guard weekday(fields[0], in: shortDays), fields[5] == "GMT",
                let day = number(fields[1], digits: 2...2), let month = month(fields[2]),
                let year = number(fields[3], digits: 4...4)
            else { return nil }
            return date(year: year, month: month, day: day, time: fields[4])
        case 4:  // RFC 850: "Sunday," "06-Nov-94" "08:49:37" "GMT"
            let parts = fields[1].split(separator: "-", omittingEmptySubsequences: false)
            guard weekday(fields[0], in: longDays), fields[3] == "GMT", parts.count == 3,
                let day = number(parts[0], digits: 2...2), let month = month(parts[1]),
                let shortYear = number(parts[2], digits: 2...2)
            else { return nil }
            return date(year: shortYear < 70 ? 2000 + shortYear : 1900 + shortYear, month: month, day: day, time: fields[2])
        case 5:  // asctime: "Sun" "Nov" "6" "08:49:37" "1994"
            guard shortDays.contains(fields[0]), let month = month(fields[1]),
                let day = number(fields[2], digits: 1...2), let year = number(fields[4], digits: 4...4)
            else { return nil }
            return date(year: year, month: month, day: day, time: fields[3])
        default:
            return nil
        }
    }

    private static func weekday(_ field: Substring, in names: Set<Substring>) -> Bool {
        field.last == "," && names.contains(field.dropLast())
    }

    private static func month(_ field: Substring) -> Int? {
        months.firstIndex(of: field).map { $0 + 1 }
    }

    /// A decimal number of `digits` ASCII digits (at most four, so it cannot overflow).
    private static func number(_ field: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(field.utf8.count), field.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return field.utf8.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// The instant of a validated calendar date (proleptic Gregorian, UTC) at `time` (`HH:MM:SS`).
    private static func date(year: Int, month: Int, day: Int, time: Substring) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3,
            let hour = number(clock[0], digits: 2...2), let minute = number(clock[1], digits: 2...2),
            let second = number(clock[2], digits: 2...2),
            hour < 24, minute < 60, second <= 60,  // 60: a leap second, as RFC 9110 allows
            day >= 1, day <= daysInMonth(month, year: year)
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (years 0...9999 here).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
