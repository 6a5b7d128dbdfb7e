import Foundation
import NIOHTTP1

/// Docker Hub's rate-limit state, from a response's `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset` headers.
public struct HubRateLimit: Sendable, Hashable, Codable {
    /// Requests allowed per window.
    public var limit: Int
    /// Requests left in the current window.
    public var remaining: Int
    /// When the current window ends.
    public var reset: Date?

    /// Creates a rate-limit state.
    ///
    /// - Parameters:
    ///   - limit: Requests allowed per window.
    ///   - remaining: Requests left.
    ///   - reset: When the window ends.
    public init(limit: Int, remaining: Int, reset: Date?) {
        self.limit = limit
        self.remaining = remaining
        self.reset = reset
    }

    /// Reads the `X-RateLimit-*` headers.
    ///
    /// - Parameter headers: Response headers.
    /// - Returns: The state, or `nil` when the response carries no rate-limit headers.
    public init?(headers: HTTPHeaders) {
        guard let limit = headers.first(name: "X-RateLimit-Limit").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
              let remaining = headers.first(name: "X-RateLimit-Remaining").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
        else { return nil }
        self.limit = limit
        self.remaining = remaining
        self.reset = headers.first(name: "X-RateLimit-Reset")
            .flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            .map { Date(timeIntervalSince1970: $0) }
    }

    /// How long a 429 response asks the client to wait: `Retry-After` in seconds (or an HTTP date), else
    /// `X-Retry-After` as a unix timestamp.
    ///
    /// - Parameters:
    ///   - headers: The response headers.
    ///   - now: The current time.
    /// - Returns: The wait, never negative, or `nil` when neither header is usable.
    public static func retryAfter(in headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(value), seconds.isFinite { return wait(seconds: seconds) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) {
                return wait(seconds: date.timeIntervalSince(now))
            }
        }
        if let value = headers.first(name: "X-Retry-After")?.trimmingCharacters(in: .whitespaces),
           let timestamp = Double(value), timestamp.isFinite {
            return wait(seconds: timestamp - now.timeIntervalSince1970)
        }
        return nil
    }

    /// The longest wait a header can name: a year. Larger values (a server may send `1e300`) are clamped so the
    /// conversion to milliseconds cannot overflow; the client refuses such a wait anyway (``HubClient/Retry/maxDelay``).
    static let longestWait: Double = 365 * 24 * 3600

    /// A finite number of seconds as a wait, never negative and never beyond ``longestWait``.
    static func wait(seconds: Double) -> Duration {
        .milliseconds(Int64(min(max(0, seconds), longestWait) * 1000))
    }
}
