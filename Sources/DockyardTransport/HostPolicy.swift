import Foundation

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
    /// - Parameter host: A host name or IP address, without port.
    /// - Returns: Whether it names the local machine.
    public static func isLoopback(host: String) -> Bool {
        var candidate = host.lowercased()
        if candidate.hasPrefix("["), candidate.hasSuffix("]") {
            candidate = String(candidate.dropFirst().dropLast())
        }
        if candidate.hasSuffix(".") { candidate.removeLast() }
        if candidate == "localhost" || candidate.hasSuffix(".localhost") { return true }
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
