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
            if let seconds = Double(value), seconds.isFinite { return .milliseconds(Int64(max(0, seconds) * 1000)) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            if let date = formatter.date(from: value) {
                return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
            }
        }
        if let value = headers.first(name: "X-Retry-After")?.trimmingCharacters(in: .whitespaces),
           let timestamp = Double(value), timestamp.isFinite {
            return .milliseconds(Int64(max(0, timestamp - now.timeIntervalSince1970) * 1000))
        }
        return nil
    }
}
