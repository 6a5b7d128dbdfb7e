import Foundation
import Logging
import NIOHTTP1

/// A transport that follows HTTP redirects for `GET` and `HEAD`, keeping credentials on their own origin.
///
/// Docker Hub answers blob requests with a redirect to a CDN on another host. This transport follows
/// `301`, `302`, `303`, `307` and `308` (RFC 9110 §15.4) for `GET` and `HEAD`, resolving a relative `Location`
/// against the URL that sent it; other methods get the 3xx response back unchanged. On every hop:
///
/// - `Authorization` and `Cookie` are sent only when the target has the same origin (scheme, host and port)
///   as the original request, so a registry token never reaches a CDN.
/// - A target whose scheme is not `http` or `https` is refused, and so is a move from `https` to plain
///   `http`, unless the target is loopback.
/// - A URL seen before in the same chain is a loop and fails.
///
/// The final response's ``TransportResponse/url`` is the URL that produced it.
public struct RedirectingTransport: HTTPTransport {
    /// The transport each hop is sent through.
    public let base: any HTTPTransport
    /// How many redirects to follow.
    public let policy: RedirectPolicy
    private let logger: Logger

    /// Wraps a transport with a redirect policy.
    ///
    /// - Parameters:
    ///   - base: The transport each hop is sent through.
    ///   - policy: How many redirects to follow; ``RedirectPolicy/default`` (10) unless given.
    ///   - logger: Where hops are logged at `debug` level; discards by default.
    public init(
        wrapping base: any HTTPTransport,
        policy: RedirectPolicy = .default,
        logger: Logger = TransportDefaults.silentLogger
    ) {
        self.base = base
        self.policy = policy
        self.logger = logger
    }

    /// Sends the request and follows its redirects.
    ///
    /// - Parameter request: The request.
    /// - Returns: The first response that is not a followed redirect. With ``RedirectPolicy/disallow``, or for a
    ///   method other than `GET` and `HEAD`, that may be a 3xx response.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/redirectFailed`` for too many hops, a loop,
    ///   an unusable `Location` or a refused scheme; or the wrapped transport's error.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var current = request
        var visited: Set<String> = [request.url.absoluteString]
        var hops = 0
        var leftHTTPS = request.url.scheme?.lowercased() == "https"

        while true {
            var response = try await base.send(current)
            response.url = current.url
            guard policy.maxHops > 0,
                let next = try Self.nextRequest(after: response, to: current, original: request)
            else { return response }

            guard hops < policy.maxHops else {
                await response.body.discard()
                throw TransportError(
                    .redirectFailed,
                    message: "\(request.url.loggableDescription) redirected more than \(policy.maxHops) times; "
                        + "the server is misconfigured"
                )
            }
            if next.url.scheme?.lowercased() == "https" { leftHTTPS = true }
            if leftHTTPS, next.url.scheme?.lowercased() == "http",
                !HostPolicy.isLoopback(host: next.url.host ?? "")
            {
                await response.body.discard()
                throw TransportError(
                    .redirectFailed,
                    message: "refused a redirect from HTTPS to plain HTTP (\(next.url.loggableDescription)); "
                        + "it would expose the request"
                )
            }
            guard visited.insert(next.url.absoluteString).inserted else {
                await response.body.discard()
                throw TransportError(
                    .redirectFailed,
                    message: "redirect loop: \(next.url.loggableDescription) was already visited while following "
                        + "redirects from \(request.url.loggableDescription)"
                )
            }

            await response.body.discard()
            hops += 1
            logger.debug(
                "redirect",
                metadata: [
                    "status": "\(response.status.code)",
                    "from": "\(current.url.loggableDescription)",
                    "to": "\(next.url.loggableDescription)",
                    "credentials": "\(next.headers.contains(name: "Authorization") ? "kept" : "not sent")",
                ]
            )
            current = next
        }
    }

    /// The request a redirect response asks for, or `nil` when the response is not a redirect to follow.
    ///
    /// - Parameters:
    ///   - response: The response to the current hop.
    ///   - current: The request of the current hop.
    ///   - original: The request the caller sent, whose origin owns its credentials.
    /// - Returns: The next hop's request.
    /// - Throws: ``TransportError`` with code `redirectFailed` for an unusable `Location` or scheme.
    static func nextRequest(
        after response: TransportResponse,
        to current: TransportRequest,
        original: TransportRequest
    ) throws -> TransportRequest? {
        guard current.method == .GET || current.method == .HEAD else { return nil }
        switch response.status.code {
        case 301, 302, 303, 307, 308: break
        default: return nil
        }
        guard let location = response.headers.first(name: "Location")?.trimmingCharacters(in: .whitespaces),
            !location.isEmpty
        else { return nil }

        guard let target = URL(string: location, relativeTo: current.url)?.absoluteURL else {
            throw TransportError(
                .redirectFailed,
                message: "\(current.url.loggableDescription) redirected to an invalid Location"
            )
        }
        let scheme = target.scheme?.lowercased() ?? ""
        guard scheme == "http" || scheme == "https" else {
            throw TransportError(
                .redirectFailed,
                message: "\(current.url.loggableDescription) redirected to a '\(scheme)' URL; "
                    + "only http and https are followed"
            )
        }
        guard let host = target.host, !host.isEmpty else {
            throw TransportError(
                .redirectFailed,
                message: "\(current.url.loggableDescription) redirected to a Location without a host"
            )
        }

        var next = current
        next.url = target
        next.headers = Self.headers(original.headers, from: original.url, to: target)
        if response.status.code == 303 {
            // RFC 9110 §15.4.4: fetch the other resource with GET (HEAD stays HEAD).
            if next.method != .HEAD { next.method = .GET }
            next.body = nil
            next.headers.remove(name: "Content-Length")
            next.headers.remove(name: "Content-Type")
        }
        return next
    }

    /// The headers to send to `target`: the original ones, without credentials when `target` leaves the
    /// original request's origin.
    ///
    /// - Parameters:
    ///   - headers: The original request's headers.
    ///   - source: The original request's URL.
    ///   - target: The redirect's target.
    /// - Returns: The headers for the next hop.
    static func headers(_ headers: HTTPHeaders, from source: URL, to target: URL) -> HTTPHeaders {
        var result = headers
        result.remove(name: "Host")
        if Origin(source) != Origin(target) || Origin(source) == nil {
            result.remove(name: "Authorization")
            result.remove(name: "Cookie")
            result.remove(name: "Cookie2")
        }
        return result
    }
}
