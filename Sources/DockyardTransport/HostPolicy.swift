import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Which registries may be reached over plain HTTP.
///
/// Like the docker CLI, plain HTTP is allowed for loopback registries (`localhost`, `127.0.0.0/8`, `::1`)
/// and for registries the user listed as insecure (`--insecure NAME`); every other registry must use HTTPS
/// with a verified certificate.
public struct HostPolicy: Sendable, Hashable {
    /// Registry names (`host` or `host:port`) that may be reached over plain HTTP.
    public var insecureRegistries: Set<String>
    /// Whether loopback registries may be reached over plain HTTP without being listed; `true` by default.
    public var allowsLoopbackPlainHTTP: Bool

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - insecureRegistries: Registry names (`host` or `host:port`) allowed over plain HTTP.
    ///   - allowsLoopbackPlainHTTP: Whether loopback registries are allowed over plain HTTP without being listed.
    public init(insecureRegistries: Set<String> = [], allowsLoopbackPlainHTTP: Bool = true) {
        self.insecureRegistries = insecureRegistries
        self.allowsLoopbackPlainHTTP = allowsLoopbackPlainHTTP
    }

    /// Whether a registry may be reached over plain HTTP.
    ///
    /// - Parameter registry: The registry's name, `host` or `host:port` (e.g. `127.0.0.1:5000`, `[::1]:5000`,
    ///   `registry.example.com`).
    /// - Returns: `true` when the registry is loopback (and loopback is allowed), or when its name or its
    ///   host alone is listed in ``insecureRegistries``.
    public func allowsPlainHTTP(forRegistry registry: String) -> Bool {
        Self.allowsPlainHTTP(
            forRegistry: registry,
            insecureRegistries: insecureRegistries,
            allowingLoopback: allowsLoopbackPlainHTTP
        )
    }

    /// Checks that a URL may be requested: `https`, or plain `http` to a registry allowed by this policy.
    ///
    /// - Parameter url: The URL about to be requested.
    /// - Throws: ``TransportError`` with code ``TransportError/Code/insecureRefused`` for plain HTTP to a
    ///   registry that is neither loopback nor listed, and ``TransportError/Code/invalidRequest`` for another
    ///   scheme or a URL without a host.
    public func check(_ url: URL) throws(TransportError) {
        guard let host = url.host, !host.isEmpty else {
            throw TransportError(.invalidRequest, message: "the URL \(url.loggableDescription) has no host")
        }
        switch url.scheme?.lowercased() {
        case "https":
            return
        case "http":
            let registry = url.hostAndPort
            guard allowsPlainHTTP(forRegistry: registry) else {
                throw TransportError(
                    .insecureRefused,
                    message: "refusing plain HTTP to \(registry): it is not a loopback registry; use https, "
                        + "or list \(registry) as an insecure registry"
                )
            }
        default:
            throw TransportError(
                .invalidRequest,
                message: "unsupported URL scheme in \(url.loggableDescription); use http or https"
            )
        }
    }

    /// Whether a registry may be reached over plain HTTP, given the registries listed as insecure.
    ///
    /// - Parameters:
    ///   - registry: The registry's name, `host` or `host:port`.
    ///   - insecureRegistries: Registry names (`host` or `host:port`) allowed over plain HTTP.
    ///   - allowingLoopback: Whether loopback registries are allowed without being listed.
    /// - Returns: Whether plain HTTP is allowed.
    public static func allowsPlainHTTP(
        forRegistry registry: String,
        insecureRegistries: Set<String>,
        allowingLoopback: Bool = true
    ) -> Bool {
        let name = registry.lowercased()
        let host = Self.host(ofRegistry: name)
        if allowingLoopback, isLoopback(host: host) { return true }
        let listed = Set(insecureRegistries.map { $0.lowercased() })
        return listed.contains(name) || listed.contains(host)
            || (host.contains(":") && listed.contains("[\(host)]"))
    }

    /// Whether a host name or address is loopback: `localhost`, an IPv4 address in `127.0.0.0/8`, or `::1`.
    ///
    /// No name is resolved; only the literal forms count. IPv6 addresses may be bracketed (`[::1]`).
    ///
    /// Names under `.localhost` (`registry.localhost`) are **not** loopback here: RFC 6761 lets a resolver
    /// answer them with loopback addresses, but many (glibc without `nss-myhostname`, for one) ask DNS, where
    /// anyone may answer. Such a registry is treated like any other host: HTTPS, or listed as insecure.
    ///
    /// - Parameter host: A host name or IP address, without port.
    /// - Returns: Whether it names the local machine.
    public static func isLoopback(host: String) -> Bool {
        var candidate = host.lowercased()
        if candidate.hasPrefix("["), candidate.hasSuffix("]") {
            candidate = String(candidate.dropFirst().dropLast())
        }
        if candidate.hasSuffix(".") { candidate.removeLast() }
        if candidate == "localhost" { return true }
        if let address = IPv6Loopback.parse(candidate) { return address }
        let octets = candidate.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        var values: [Int] = []
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ ("0"..."9").contains($0) }),
                let value = Int(octet), value <= 255
            else { return false }
            values.append(value)
        }
        return values[0] == 127
    }

    /// Host names of cloud instance metadata services: never contacted at a server's word.
    public static let metadataHostNames: Set<String> = [
        "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
        "metadata.azure.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
    ]

    /// Whether a host is a link-local address (`169.254.0.0/16`, `fe80::/10`) or a cloud metadata service
    /// (``metadataHostNames``, `100.100.100.200`, `fd00:ec2::254`): hosts a URL named by a server (a token realm,
    /// a redirect, an upload `Location`) may never point to, as they answer with the machine's own secrets.
    ///
    /// IPv4 addresses are read as the system reads them (`inet_aton`), so `2852039166` and `0xa9fea9fe` count as
    /// `169.254.169.254`. No name is resolved.
    ///
    /// - Parameter host: A host name or IP address, without port; IPv6 may be bracketed.
    /// - Returns: Whether the host is off limits.
    public static func isLinkLocalOrMetadata(host: String) -> Bool {
        var candidate = host.lowercased()
        if candidate.hasPrefix("["), candidate.hasSuffix("]") {
            candidate = String(candidate.dropFirst().dropLast())
        }
        while candidate.hasSuffix(".") { candidate.removeLast() }
        if metadataHostNames.contains(candidate) { return true }
        if let zone = candidate.firstIndex(of: "%") { candidate = String(candidate[..<zone]) }
        if candidate.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, candidate, &address) == 1 else { return false }
            let bytes = withUnsafeBytes(of: &address) { Array($0) }
            if bytes[0] == 0xfe && (bytes[1] & 0xc0) == 0x80 { return true }  // fe80::/10
            if bytes == [0xfd, 0x00, 0x0e, 0xc2] + Array(repeating: 0, count: 10) + [0x02, 0x54] { return true }
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
                return isLinkLocalOrMetadata(ipv4: Array(bytes[12..<16]))  // ::ffff:a.b.c.d
            }
            return false
        }
        var address = in_addr()
        guard !candidate.isEmpty, inet_aton(candidate, &address) != 0 else { return false }
        return isLinkLocalOrMetadata(ipv4: withUnsafeBytes(of: &address) { Array($0) })
    }

    private static func isLinkLocalOrMetadata(ipv4 bytes: [UInt8]) -> Bool {
        guard bytes.count == 4 else { return false }
        return (bytes[0] == 169 && bytes[1] == 254) || bytes == [100, 100, 100, 200]
    }

    /// Checks a URL that a server named (a token realm, a redirect target, an upload `Location`, a `Link`).
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - plainHTTPAllowed: Whether plain HTTP is allowed to this host beyond loopback (the user listed it as
    ///     insecure, or configured it as an endpoint over HTTP).
    /// - Returns: `nil` when the URL may be contacted, otherwise why not.
    public static func refusal(ofServerNamed url: URL, plainHTTPAllowed: Bool = false) -> String? {
        let scheme = url.scheme?.lowercased() ?? ""
        guard scheme == "https" || scheme == "http" else { return "its scheme is not http or https" }
        guard let host = url.host, !host.isEmpty else { return "it has no host" }
        if isLinkLocalOrMetadata(host: host) { return "it points to a link-local or cloud metadata address" }
        if scheme == "http", !plainHTTPAllowed, !isLoopback(host: host) {
            return "it uses plain HTTP to a host that is not loopback"
        }
        return nil
    }

    /// Checks a URL that a server named against this policy: plain HTTP is allowed to loopback, to the
    /// registries listed in ``insecureRegistries`` and when `plainHTTPAllowed`; link-local and metadata
    /// addresses never.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - plainHTTPAllowed: Whether plain HTTP is allowed to this URL for another reason.
    /// - Returns: `nil` when the URL may be contacted, otherwise why not.
    public func refusal(of url: URL, plainHTTPAllowed: Bool = false) -> String? {
        Self.refusal(
            ofServerNamed: url, plainHTTPAllowed: plainHTTPAllowed || allowsPlainHTTP(forRegistry: url.hostAndPort))
    }

    /// The host of a registry name `host[:port]`, without brackets.
    static func host(ofRegistry registry: String) -> String {
        if registry.hasPrefix("[") {
            guard let close = registry.firstIndex(of: "]") else { return registry }
            return String(registry[registry.index(after: registry.startIndex)..<close])
        }
        let colons = registry.filter { $0 == ":" }.count
        if colons == 1, let colon = registry.firstIndex(of: ":") {
            return String(registry[..<colon])
        }
        return registry  // a bare host, or an unbracketed IPv6 address
    }
}

/// Recognises the IPv6 loopback address in its textual forms.
private enum IPv6Loopback {
    /// `true` for `::1` in any spelling, `false` for another IPv6 address, `nil` when not IPv6 at all.
    static func parse(_ text: String) -> Bool? {
        guard text.contains(":") else { return nil }
        var address = text
        if let zone = address.firstIndex(of: "%") { address = String(address[..<zone]) }
        // IPv4-mapped loopback (::ffff:127.x.y.z) counts as loopback too.
        if address.hasPrefix("::ffff:"), address.contains(".") {
            return HostPolicy.isLoopback(host: String(address.dropFirst("::ffff:".count)))
        }
        let halves = address.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, let value = UInt16(group, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return false }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return false }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return false }
        return all.dropLast().allSatisfy { $0 == 0 } && all.last == 1
    }
}
