import Foundation
import NIOCore
import NIOHTTP1

/// The path of the token service on the registry's own listener.
let tokenServicePath = "/token"

extension RegistryRouter {
    /// The scope a request needs under token authentication: nil when any valid token will do (the base endpoint)
    /// or the router answers without touching content (unknown paths, invalid names).
    static func requiredAccess(_ endpoint: Endpoint, method: String) -> (access: TokenAccess, challenge: String)? {
        func repository(_ name: String, _ action: String, challenge: String? = nil) -> (TokenAccess, String) {
            let access = TokenAccess(type: "repository", name: name, actions: [action])
            return (access, "repository:\(name):\(challenge ?? action)")
        }
        switch endpoint {
        case .base, .invalidName, .unknown:
            return nil
        case .catalog:
            return (TokenAccess(type: "registry", name: "catalog", actions: ["*"]), "registry:catalog:*")
        case .tags(let name), .referrers(let name, _):
            return repository(name, "pull")
        case .manifest(let name, _), .blob(let name, _):
            switch method {
            case "PUT", "POST", "PATCH": return repository(name, "push", challenge: "pull,push")
            case "DELETE": return repository(name, "delete")
            default: return repository(name, "pull")
            }
        case .uploadStart(let name), .upload(let name, _):
            return repository(name, "push", challenge: "pull,push")
        }
    }

    /// The `realm` of challenges: the token service on the host the client used to reach the registry (so the
    /// realm is loopback when the client came over loopback), or the listening address.
    func realm(for request: Request) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        let hostHeader = request.header("Host").flatMap { host in
            !host.isEmpty && host.count <= 255 && host.allSatisfy(allowed.contains) ? host : nil
        }
        return "http://\(hostHeader ?? registryHost)\(tokenServicePath)"
    }

    /// Checks the bearer token of a registry request. Returns nil when the request may go on (and sets its user);
    /// otherwise the `401` to answer.
    func authorizeBearer(_ request: inout Request, endpoint: Endpoint, issuer: TokenIssuer) -> Response? {
        let needed = Self.requiredAccess(endpoint, method: request.method)
        func challenge(_ error: String?, _ message: String) -> Response {
            var response = Response.error(.unauthorized, .unauthorized, message)
            var value = "Bearer realm=\"\(realm(for: request))\",service=\"\(issuer.settings.service)\""
            if let needed { value += ",scope=\"\(needed.challenge)\"" }
            if let error { value += ",error=\"\(error)\"" }
            response.headers.add(name: "WWW-Authenticate", value: value)
            return response
        }
        guard let authorization = request.header("Authorization") else {
            return challenge(nil, "authentication required")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            let claims = issuer.verify(parts[1].trimmingCharacters(in: .whitespaces))
        else {
            return challenge("invalid_token", "the token is missing, malformed, expired or not from this registry")
        }
        request.user = claims.sub.isEmpty ? nil : claims.sub
        if let needed, let action = needed.access.actions.first,
            !claims.allows(type: needed.access.type, name: needed.access.name, action: action)
        {
            return challenge("insufficient_scope", "the token does not grant \(needed.access.scope)")
        }
        // A mount from a repository the token cannot pull is not a mount: distribution starts an ordinary upload.
        if case .uploadStart = endpoint, let from = request.queryValue("from"),
            !claims.allows(type: "repository", name: from, action: "pull")
        {
            request.query.removeAll { $0.name == "mount" || $0.name == "from" }
        }
        return nil
    }

    /// The token service: `GET /token?service=…&scope=…` with optional Basic credentials (the docker CLI's way),
    /// or `POST /token` with an OAuth2 password grant.
    func tokenEndpoint(_ request: inout Request, body: RequestBody, issuer: TokenIssuer) async throws -> Response {
        var fields = request.query
        var user: String?
        var password: String?
        switch request.method {
        case "GET":
            if let (name, secret) = Authenticator.basicCredentials(request.header("Authorization")) {
                user = name
                password = secret
            }
        case "POST":
            guard let form = try await body.collect(limit: 64 * 1024) else {
                return oauthError(.payloadTooLarge, "invalid_request", "the form is larger than 64 KiB")
            }
            let text = String(decoding: form.readableBytesView, as: UTF8.self)
            fields = Request.parseQuery(Substring(text))
            let grant = fields.first { $0.name == "grant_type" }?.value
            guard grant == "password" else {
                return oauthError(
                    .badRequest, "unsupported_grant_type",
                    "only the password grant is supported (no refresh tokens are issued)")
            }
            user = fields.first { $0.name == "username" }?.value
            password = fields.first { $0.name == "password" }?.value ?? ""
        default:
            return .error(.methodNotAllowed, .unsupported, "the token service takes GET and POST")
        }
        if let service = fields.first(where: { $0.name == "service" })?.value, service != issuer.settings.service {
            return oauthError(.badRequest, "invalid_request", "unknown service '\(service)'")
        }
        if let name = user {
            guard await authenticator.check(user: name, password: password ?? "") else {
                var response = Response.error(.unauthorized, .unauthorized, "incorrect username or password")
                response.headers.add(name: "WWW-Authenticate", value: "Basic realm=\"Dockyard registry token service\"")
                return response
            }
            request.user = name
        } else if !issuer.settings.anonymousPull {
            var response = Response.error(.unauthorized, .unauthorized, "credentials required")
            response.headers.add(name: "WWW-Authenticate", value: "Basic realm=\"Dockyard registry token service\"")
            return response
        }
        let requested = TokenAccess.parse(fields.filter { $0.name == "scope" }.map(\.value))
        let granted = issuer.grant(requested, to: user)
        let issued = issuer.issue(user: user, access: granted)
        return .json(TokenAnswer(
            token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt
        ))
    }

    private func oauthError(_ status: HTTPResponseStatus, _ error: String, _ description: String) -> Response {
        .json(["error": error, "error_description": description], status: status)
    }
}

/// The token service's answer (distribution `token.md`, "Token Response Fields").
private struct TokenAnswer: Encodable {
    var token: String
    var access_token: String
    var expires_in: Int
    var issued_at: String
}
