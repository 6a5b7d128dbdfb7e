import Crypto
import Foundation

/// One entry of a token's `access` claim (distribution `docs/spec/auth/jwt.md`): a resource and the actions
/// granted on it, such as `repository` `team/app` `[pull, push]` or `registry` `catalog` `[*]`.
struct TokenAccess: Codable, Hashable, Sendable {
    var type: String
    var name: String
    var actions: [String]

    /// Parses the scopes of a token request: each value is one scope or several separated by spaces (OAuth2), and
    /// a scope is `type:name:action,action`, where the name may itself hold `:` (so the type ends at the first
    /// colon and the actions start after the last). Malformed scopes are skipped, as distribution does.
    static func parse(_ values: [String]) -> [TokenAccess] {
        var result: [TokenAccess] = []
        for value in values {
            for scope in value.split(separator: " ") where scope.utf8.count <= 1024 {
                guard let first = scope.firstIndex(of: ":"), let last = scope.lastIndex(of: ":"), first < last else {
                    continue
                }
                var type = String(scope[..<first])
                // A resource class such as `repository(plugin)` is not part of the type.
                if let open = type.firstIndex(of: "(") { type = String(type[..<open]) }
                let name = String(scope[scope.index(after: first)..<last])
                let actions = scope[scope.index(after: last)...].split(separator: ",").map(String.init)
                guard !name.isEmpty, !actions.isEmpty else { continue }
                result.append(TokenAccess(type: type, name: name, actions: actions))
            }
        }
        return result
    }

    /// The scope as a challenge names it: `repository:team/app:pull,push`.
    var scope: String { "\(type):\(name):\(actions.joined(separator: ","))" }
}

/// The claims of a token the embedded token service issues (a JWT signed with HMAC-SHA256).
struct TokenClaims: Codable, Sendable {
    var iss: String
    /// The user; empty for an anonymous token.
    var sub: String
    var aud: String
    var exp: Int64
    var nbf: Int64
    var iat: Int64
    var jti: String
    var access: [TokenAccess]

    /// Whether the token grants an action on a resource.
    func allows(type: String, name: String, action: String) -> Bool {
        access.contains { $0.type == type && $0.name == name && ($0.actions.contains(action) || $0.actions.contains("*")) }
    }
}

/// Issues and verifies the embedded registry's bearer tokens.
struct TokenIssuer: Sendable {
    let settings: EmbeddedRegistry.TokenAuthentication
    private let key: SymmetricKey
    static let issuer = "dockyard-embedded-registry"

    init(settings: EmbeddedRegistry.TokenAuthentication) {
        self.settings = settings
        // A new key on every start: tokens from an earlier run are refused, and the key never leaves the process.
        key = SymmetricKey(size: .bits256)
    }

    /// The part of the requested access a user (nil: anonymous) holds; resources with no granted action are left
    /// out, so a user who asks for more than they may do gets a token for what they may do.
    func grant(_ requested: [TokenAccess], to user: String?) -> [TokenAccess] {
        let access = settings.access(for: user)
        var granted: [TokenAccess] = []
        for entry in requested {
            switch entry.type {
            case "repository":
                guard RegistryNames.isValidRepository(entry.name) else { continue }
                let held = access.actions(on: entry.name)
                let actions: [String]
                if entry.actions.contains("*") {
                    actions = EmbeddedRegistry.TokenAuthentication.Action.allCases.filter(held.contains).map(\.rawValue)
                } else {
                    actions = entry.actions.filter { action in
                        EmbeddedRegistry.TokenAuthentication.Action(rawValue: action).map(held.contains) ?? false
                    }
                }
                var unique: [String] = []
                for action in actions where !unique.contains(action) { unique.append(action) }
                if !unique.isEmpty { granted.append(TokenAccess(type: "repository", name: entry.name, actions: unique)) }
            case "registry":
                if entry.name == "catalog", entry.actions.contains("*"), access.catalog {
                    granted.append(TokenAccess(type: "registry", name: "catalog", actions: ["*"]))
                }
            default:
                continue
            }
        }
        return granted
    }

    /// A signed token for a user and the access granted, valid for the configured lifetime from `now`.
    func issue(user: String?, access: [TokenAccess], now: Date = Date()) -> (token: String, expiresIn: Int, issuedAt: String) {
        let issued = Int64(now.timeIntervalSince1970.rounded(.down))
        let lifetime = max(1, settings.lifetime.components.seconds)
        let claims = TokenClaims(
            iss: Self.issuer, sub: user ?? "", aud: settings.service, exp: issued + lifetime, nbf: issued - 1,
            iat: issued, jti: UUID().uuidString, access: access
        )
        let header = Self.base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = Self.base64URL((try? encoder.encode(claims)) ?? Data("{}".utf8))
        let signingInput = "\(header).\(payload)"
        let signature = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: key)
        let formatter = ISO8601DateFormatter()
        return ("\(signingInput).\(Self.base64URL(Data(signature)))", Int(lifetime), formatter.string(from: now))
    }

    /// The claims of a token this issuer signed that is valid now for this service; nil for anything else
    /// (malformed, forged, expired, not yet valid, or for another service).
    func verify(_ token: String, now: Date = Date()) -> TokenClaims? {
        guard token.utf8.count <= 64 * 1024 else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let signature = Self.decodeBase64URL(parts[2]),
            HMAC<SHA256>.isValidAuthenticationCode(
                signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key),
            let payload = Self.decodeBase64URL(parts[1]),
            let claims = try? JSONDecoder().decode(TokenClaims.self, from: payload)
        else { return nil }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        guard claims.iss == Self.issuer, claims.aud == settings.service, claims.exp > seconds, claims.nbf <= seconds
        else { return nil }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        let remainder = base64.utf8.count % 4
        if remainder == 1 { return nil }
        if remainder > 0 { base64 += String(repeating: "=", count: 4 - remainder) }
        return Data(base64Encoded: base64)
    }
}
