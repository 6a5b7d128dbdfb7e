import Foundation
import NIOHTTP1

extension HTTPHeaders {
    /// The names of headers whose values are secrets.
    static let credentialHeaderNames: Set<String> = [
        "authorization", "proxy-authorization", "cookie", "set-cookie", "x-registry-auth", "x-registry-config",
    ]

    /// A copy of the headers safe to log: credential values are replaced by `<redacted>`.
    ///
    /// `Authorization` and `Proxy-Authorization` keep their scheme (`Bearer <redacted>`) so that a log still
    /// shows how a request authenticated; `Cookie`, `Set-Cookie` and Docker's `X-Registry-Auth` lose their
    /// whole value.
    ///
    /// - Returns: The headers with every credential hidden.
    public func redactingCredentials() -> HTTPHeaders {
        var result = HTTPHeaders()
        for (name, value) in self {
            let lowered = name.lowercased()
            guard Self.credentialHeaderNames.contains(lowered) else {
                result.add(name: name, value: value)
                continue
            }
            if lowered.hasSuffix("authorization"), let space = value.firstIndex(of: " ") {
                result.add(name: name, value: "\(value[..<space]) <redacted>")
            } else {
                result.add(name: name, value: "<redacted>")
            }
        }
        return result
    }
}

extension URL {
    /// The URL without user information, query or fragment, safe for logs and error messages.
    ///
    /// Pre-signed CDN URLs carry their signature in the query, and a URL may embed `user:password@`; both are
    /// left out.
    public var loggableDescription: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: true) else {
            return "<invalid URL>"
        }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "<invalid URL>"
    }

    /// `host` or `host:port` of the URL, with IPv6 addresses in brackets, for messages.
    package var hostAndPort: String {
        guard var host = host else { return "<no host>" }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        if let port { return "\(host):\(port)" }
        return host
    }
}

extension TransportRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The method, the URL without user information or query, and the headers with credentials hidden:
    /// `GET https://registry-1.docker.io/v2/ [Accept: application/json, Authorization: Bearer <redacted>]`.
    public var description: String {
        let shown = headers.redactingCredentials().map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        return "\(method.rawValue) \(url.loggableDescription) [\(shown)]"
    }

    /// The same as ``description``: credentials hidden.
    public var debugDescription: String { description }

    /// A mirror that shows no credential, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}

extension TransportResponse: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The status, the URL without user information or query, and the headers with cookies hidden:
    /// `200 OK from https://cdn.example.com/blob [Content-Length: 12]`.
    public var description: String {
        let shown = headers.redactingCredentials().map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        return "\(status.code) \(status.reasonPhrase) from \(url.loggableDescription) [\(shown)]"
    }

    /// The same as ``description``: credentials hidden.
    public var debugDescription: String { description }

    /// A mirror that shows no credential, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
