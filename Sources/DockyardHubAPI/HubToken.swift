import Foundation

/// A Docker Hub session token (a JWT) with what can be read from it.
///
/// The Hub answers a login with a JWT; its payload's `exp` claim says when it expires. The client renews the token
/// ahead of that moment (see ``HubClient/Configuration/renewalMargin``).
///
/// - Important: The token is a secret: it is never part of `description`.
public struct HubToken: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The JWT sent as `Authorization: Bearer …`.
    public var accessToken: String
    /// The refresh token the Hub gave with a `/v2/users/login?refresh_token=true` login, if any.
    public var refreshToken: String?
    /// The `exp` claim, when the payload carried one.
    public var expiresAt: Date?
    /// The `username` claim, when present.
    public var username: String?
    /// How the token was obtained: `password`, `pat` or `oat` (the `source.type` claim), when present.
    public var source: String?

    /// Reads a JWT's payload without verifying its signature (the Hub verifies it; the client only needs `exp`).
    ///
    /// - Parameters:
    ///   - accessToken: The JWT.
    ///   - refreshToken: A refresh token that came with it.
    public init(accessToken: String, refreshToken: String? = nil) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        let claims = HubToken.claims(of: accessToken)
        if let exp = claims["exp"] as? NSNumber {
            expiresAt = Date(timeIntervalSince1970: exp.doubleValue)
        }
        username = claims["username"] as? String
        source = (claims["source"] as? [String: Any])?["type"] as? String
    }

    /// Whether the token expires within `margin` of `now` (a token without `exp` never does).
    ///
    /// - Parameters:
    ///   - margin: How early a token counts as expiring.
    ///   - now: The current time.
    /// - Returns: `true` when it should be renewed.
    public func expires(within margin: Duration, now: Date = Date()) -> Bool {
        guard let expiresAt else { return false }
        let seconds = Double(margin.components.seconds) + Double(margin.components.attoseconds) / 1e18
        return expiresAt.timeIntervalSince(now) <= seconds
    }

    /// A description without the secret.
    public var description: String {
        "HubToken(username: \(username ?? "?"), expires: \(expiresAt.map { ISO8601DateFormatter().string(from: $0) } ?? "never"))"
    }

    /// The decoded JSON payload of a JWT, or an empty dictionary if it is not one.
    static func claims(of jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return [:] }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object
    }
}
