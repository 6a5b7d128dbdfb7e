import Foundation
import NIOHTTP1

/// Docker Hub's pull rate limit, as reported on registry responses.
///
/// Docker Hub sends these headers on manifest requests (a `HEAD` reads them without counting as a pull):
///
/// ```
/// ratelimit-limit: 100;w=21600
/// ratelimit-remaining: 76;w=21600
/// docker-ratelimit-source: 192.0.2.1
/// ```
///
/// The number is the count of pulls, `w` the window in seconds, and the source the IP address or account the
/// limit applies to. Registries other than Docker Hub send none of them.
public struct RateLimit: Sendable, Hashable, CustomStringConvertible {
    /// The most pulls allowed in one window.
    public var limit: Int
    /// The pulls left in the current window.
    public var remaining: Int
    /// The window's length, when the header gives it.
    public var window: Duration?
    /// What the limit is counted against (an IP address or an account id), when the header gives it.
    public var source: String?

    /// Creates a rate limit.
    ///
    /// - Parameters:
    ///   - limit: The most pulls allowed in one window.
    ///   - remaining: The pulls left.
    ///   - window: The window's length.
    ///   - source: What the limit is counted against.
    public init(limit: Int, remaining: Int, window: Duration? = nil, source: String? = nil) {
        self.limit = limit
        self.remaining = remaining
        self.window = window
        self.source = source
    }

    /// Reads Docker Hub's rate-limit headers.
    ///
    /// - Parameter headers: Response headers.
    /// - Returns: The limit, or `nil` when `ratelimit-limit` or `ratelimit-remaining` is missing or malformed.
    public init?(headers: HTTPHeaders) {
        guard let limit = headers.first(name: "ratelimit-limit").flatMap(Self.parse),
            let remaining = headers.first(name: "ratelimit-remaining").flatMap(Self.parse)
        else { return nil }
        self.limit = limit.count
        self.remaining = remaining.count
        self.window = (limit.window ?? remaining.window).map { .seconds($0) }
        let source = headers.first(name: "docker-ratelimit-source")?.trimmingCharacters(in: .whitespaces)
        self.source = source?.isEmpty == false ? source : nil
    }

    /// `remaining/limit`, with the window in hours or seconds.
    public var description: String {
        var text = "\(remaining) of \(limit) pulls remaining"
        if let window {
            let seconds = window.components.seconds
            text += seconds % 3600 == 0 ? " per \(seconds / 3600)h" : " per \(seconds)s"
        }
        if let source { text += " (source \(source))" }
        return text
    }

    /// Parses `N` or `N;w=SECONDS` (further `;name=value` parameters are ignored).
    static func parse(_ value: String) -> (count: Int, window: Int64?)? {
        let parts = value.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let count = Int(first), count >= 0 else { return nil }
        var window: Int64?
        for parameter in parts.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "w", let seconds = Int64(pair[1]), seconds > 0 {
                window = seconds
            }
        }
        return (count, window)
    }
}

extension TransportResponse {
    /// Docker Hub's rate limit as this response reports it, or `nil` when the response has no such headers.
    public var rateLimit: RateLimit? { RateLimit(headers: headers) }
}
