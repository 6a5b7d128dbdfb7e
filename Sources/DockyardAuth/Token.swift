import Foundation

/// An access token from a token service, with its lifetime.
///
/// A token prints without its secret: `Token(expires in 297s, refresh token: yes)`, also through `dump(_:)`,
/// `String(reflecting:)` and debuggers.
public struct Token: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The bearer token to send as `Authorization: Bearer <value>`.
    public let value: String
    /// How long the token lives from when it was issued: the response's `expires_in`, or 60 seconds when it
    /// has none (distribution token spec, `docs/spec/auth/token.md`).
    public let lifetime: Duration
    /// When the token service says it issued the token (`issued_at`), if it said.
    public let issuedAt: Date?
    /// When the token stops being usable, measured on this machine's monotonic clock from the moment the
    /// request was sent (so a skewed server clock cannot make a stale token look fresh).
    public let expiresAt: ContinuousClock.Instant
    /// The OAuth2 refresh token the service returned (for `offline_token=true` or `access_type=offline`), if any.
    public let refreshToken: String?

    /// Creates a token.
    ///
    /// - Parameters:
    ///   - value: The bearer token.
    ///   - lifetime: Its lifetime.
    ///   - issuedAt: When the service issued it, if known.
    ///   - expiresAt: When it stops being usable on the monotonic clock.
    ///   - refreshToken: A refresh token, if one came with it.
    public init(
        value: String,
        lifetime: Duration,
        issuedAt: Date? = nil,
        expiresAt: ContinuousClock.Instant,
        refreshToken: String? = nil
    ) {
        self.value = value
        self.lifetime = lifetime
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.refreshToken = refreshToken
    }

    /// The value of the `Authorization` header: `Bearer <token>`.
    public var authorization: String { "Bearer \(value)" }

    /// How long before expiry a token is renewed: a tenth of its lifetime, at most 10 seconds.
    public var renewalMargin: Duration { min(lifetime / 10, .seconds(10)) }

    /// Whether the token should be used at an instant, rather than renewed: it has more than ``renewalMargin``
    /// left to live.
    ///
    /// - Parameter instant: The moment to judge; now by default.
    /// - Returns: `true` while the token is comfortably valid.
    public func isFresh(at instant: ContinuousClock.Instant = .now) -> Bool {
        instant < expiresAt - renewalMargin
    }

    /// A description without the token: its remaining lifetime and whether it has a refresh token.
    public var description: String {
        let remaining = expiresAt - ContinuousClock.now
        let seconds = max(0, remaining.components.seconds)
        return "Token(expires in \(seconds)s, refresh token: \(refreshToken == nil ? "no" : "yes"))"
    }

    /// The same as ``description``: no token.
    public var debugDescription: String { description }

    /// A mirror that shows no secret, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
