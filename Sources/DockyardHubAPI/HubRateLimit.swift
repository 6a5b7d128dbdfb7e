import DockyardTransport
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

}

/// Docker Hub's rate-limit headers as a transport policy: it records `X-RateLimit-*` of every answer in the
/// client's session, and gives a `429` that names its wait only in `X-Retry-After` (a unix time, Docker Hub's own
/// header) the standard `Retry-After`, so that the shared `RetryingTransport` above it waits as the Hub asked.
struct HubRateLimitPolicy: HTTPTransport {
    let base: any HTTPTransport
    let session: HubSession

    init(wrapping base: any HTTPTransport, session: HubSession) {
        self.base = base
        self.session = session
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        var response = try await base.send(request)
        if let rateLimit = HubRateLimit(headers: response.headers) { await session.record(rateLimit) }
        if response.status.code == 429, !response.headers.contains(name: "Retry-After"),
           let wait = HubRateLimitPolicy.xRetryAfter(in: response.headers)
        {
            response.headers.add(name: "Retry-After", value: String(wait.components.seconds))
        }
        return response
    }

    /// The wait a response asks for: `Retry-After` (seconds or an HTTP date, read by the shared parser), else
    /// Docker Hub's `X-Retry-After`.
    static func retryAfter(in headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let value = headers.first(name: "Retry-After"), let wait = RetryAfter.parse(value, now: now) { return wait }
        return xRetryAfter(in: headers, now: now)
    }

    /// `X-Retry-After`: the unix time at which the window reopens, as a wait from `now` (never negative, at most a
    /// year, so that an absurd value cannot overflow).
    static func xRetryAfter(in headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        guard let value = headers.first(name: "X-Retry-After")?.trimmingCharacters(in: .whitespaces),
              let timestamp = Double(value), timestamp.isFinite
        else { return nil }
        let seconds = min(max(0, timestamp - now.timeIntervalSince1970), 365 * 24 * 3600)
        return .seconds(Int64(seconds.rounded(.up)))
    }
}
