import DockyardAuth
import DockyardTransport
import Foundation
import NIOHTTP1

// Where a RegistryClient's credentials may go (issue 8): only to the origin a request was addressed to, never to
// a host a server names, never over plain HTTP off loopback unless the user allowed it.

extension RegistryClient {
    /// Throws when a `401` or `403` came from another origin than the request's (a CDN or storage host the
    /// registry redirected to): such a challenge is never answered and changes no cached challenge or token.
    ///
    /// - Throws: ``AuthError`` with code ``AuthError/Code/foreignOrigin``.
    func checkOrigin(of response: TransportResponse, for request: TransportRequest, registry: String) throws {
        guard response.status == .unauthorized || response.status == .forbidden,
            !isRegistryOrigin(response.url, of: request.url, registry: registry)
        else { return }
        throw AuthError.foreignOrigin(
            status: Int(response.status.code), requested: request.url, answered: response.url, registry: registry)
    }

    /// Whether `url` (where an answer came from) is the same origin as `requested`: the same scheme, host and port,
    /// or the same host over plain HTTP for a registry found to speak it.
    func isRegistryOrigin(_ url: URL, of requested: URL, registry: String) -> Bool {
        OriginPolicy.isSameOrigin(url, requested, allowingPlainHTTP: plainHTTPRegistries.contains(registry))
    }

    /// Sends a request to a host the registry named (an upload `Location` or `Link` on another host) with no
    /// credentials; a `401` or `403` from it is an error, never a challenge to answer.
    ///
    /// - Throws: ``RegistryError`` for a refused URL, ``AuthError`` with code ``AuthError/Code/foreignOrigin``
    ///   for a `401` or `403`, or the transport's error.
    func sendWithoutCredentials(_ request: TransportRequest, registry: String) async throws -> TransportResponse {
        try checkTarget(request.url, registry: request.url.authority)
        var anonymous = request
        anonymous.headers.remove(name: "Authorization")
        let response = try await exchange(anonymous, registry: request.url.authority)
        guard response.status == .unauthorized || response.status == .forbidden else { return response }
        throw AuthError.foreignOrigin(
            status: Int(response.status.code), requested: request.url, answered: response.url, registry: registry)
    }

    /// Checks a URL before a request goes to it: a URL a server handed back (an upload `Location`, a `Link`) is
    /// refused when it uses plain HTTP to a host that is neither loopback nor allowed by the user, or points to a
    /// link-local or cloud metadata address. The registry's configured endpoints and mirrors are the user's
    /// choice and always allowed.
    ///
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidResponse``.
    func checkTarget(_ url: URL, registry: String) throws {
        if configuration.isConfiguredOrigin(url) { return }
        let plainAllowed = plainHTTPRegistries.contains(registry) && url.authority.lowercased() == registry.lowercased()
        guard let reason = configuration.serverNamedURLPolicy.refusal(of: url, plainHTTPAllowed: plainAllowed) else {
            return
        }
        throw RegistryError(
            code: .invalidResponse, method: "-", url: url, subject: registry,
            message: "refused to contact \(url.loggableDescription), which the registry named: \(reason). Dockyard "
                + "sends nothing there; if the host is trusted, configure it as an endpoint or insecure registry")
    }
}

extension RegistryClient.Configuration {
    /// The configuration of the client's authenticator: plain-HTTP token realms are allowed on the hosts of
    /// insecure registries.
    var authenticatorConfiguration: RegistryAuthenticator.Configuration {
        var result = RegistryAuthenticator.Configuration()
        result.tokenService.insecureRegistries = insecureRegistries
        result.tokenService.userAgent = userAgent
        return result
    }

    /// The rule for URLs a server names (redirect targets, upload locations, links): plain HTTP only to loopback,
    /// insecure registries and endpoints the user configured over HTTP.
    var serverNamedURLPolicy: HostPolicy {
        var names = insecureRegistries
        for url in Array(endpoints.values) + Array(mirrors.values.joined())
        where url.scheme?.lowercased() == "http" {
            names.insert(url.authority.lowercased())
        }
        return HostPolicy(insecureRegistries: names)
    }

    /// Whether a URL is on the origin of a configured endpoint or mirror.
    func isConfiguredOrigin(_ url: URL) -> Bool {
        (Array(endpoints.values) + mirrors.values.joined()).contains { OriginPolicy.isSameOrigin($0, url) }
    }
}
