import Foundation

/// Whether and how far ``RedirectingTransport`` follows redirects.
public struct RedirectPolicy: Sendable, Hashable {
    /// The most redirects followed for one request; `0` follows none.
    public var maxHops: Int

    /// Creates a policy following at most `maxHops` redirects.
    ///
    /// - Parameter maxHops: The most redirects followed for one request.
    public init(maxHops: Int) {
        self.maxHops = max(0, maxHops)
    }

    /// Follows up to `max` redirects.
    ///
    /// - Parameter max: The most redirects followed for one request.
    /// - Returns: The policy.
    public static func follow(max: Int = 10) -> RedirectPolicy { RedirectPolicy(maxHops: max) }

    /// Follows no redirect: a 3xx response is returned as it is.
    public static let disallow = RedirectPolicy(maxHops: 0)

    /// Follows up to 10 redirects, as the docker CLI does.
    public static let `default` = RedirectPolicy.follow(max: 10)
}

/// The origin of a URL (RFC 6454): scheme, host and port.
///
/// Credentials are sent only to the origin of the request they were made for.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    /// The scheme, lowercased.
    public let scheme: String
    /// The host, lowercased, without brackets.
    public let host: String
    /// The port, the scheme's default when the URL gives none.
    public let port: Int

    /// The origin of a URL, or `nil` when it has no scheme or host.
    ///
    /// - Parameter url: An absolute URL.
    public init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), var host = url.host?.lowercased(), !host.isEmpty else {
            return nil
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        self.scheme = scheme
        self.host = host
        switch (url.port, scheme) {
        case (let port?, _): self.port = port
        case (nil, "http"): self.port = 80
        case (nil, "https"): self.port = 443
        default: self.port = -1
        }
    }

    /// `scheme://host:port`.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }
}

/// Where credentials may go: the rules that bind them to an origin.
public enum OriginPolicy {
    /// Whether two URLs have the same origin (scheme, host and port; RFC 6454).
    ///
    /// - Parameters:
    ///   - first: A URL.
    ///   - second: Another URL.
    ///   - allowingPlainHTTP: Whether `http` and `https` on the same host count as one origin: for a registry the
    ///     client found to speak plain HTTP after HTTPS failed (loopback and insecure registries only), whose
    ///     answers come from `http://host` although it was addressed as `https://host`.
    /// - Returns: `true` when credentials meant for one may be sent to the other.
    public static func isSameOrigin(_ first: URL, _ second: URL, allowingPlainHTTP: Bool = false) -> Bool {
        guard let a = Origin(first), let b = Origin(second) else { return false }
        if a == b { return true }
        guard allowingPlainHTTP, a.host == b.host, Set([a.scheme, b.scheme]) == ["http", "https"] else { return false }
        // The same host: an explicit port must match; default ports differ by scheme.
        return first.port == second.port
    }
}
