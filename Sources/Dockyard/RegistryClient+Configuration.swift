import DockyardBlobTransfer
import DockyardTransport
import Foundation

extension RegistryClient {
    /// Where a ``RegistryClient`` finds registries and how it talks to them.
    ///
    /// `Configuration()` suits Docker Hub: `docker.io` goes to `https://registry-1.docker.io`, TLS is verified,
    /// idempotent requests are retried and redirects are followed. Change only what you need:
    ///
    /// ```swift
    /// var configuration = RegistryClient.Configuration()
    /// configuration.endpoints["registry.test"] = URL(string: "http://127.0.0.1:5000")
    /// configuration.insecureRegistries.insert("registry.test")
    /// let client = try RegistryClient(configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The base URL of a registry, by its name as it appears in references (`docker.io`, `ghcr.io`,
        /// `127.0.0.1:5000`).
        ///
        /// A registry that is not listed is reached at `https://<name>`; when its host is loopback or it is in
        /// ``insecureRegistries`` and its server turns out not to speak TLS, at `http://<name>` (as the docker CLI
        /// does). `docker.io` maps to `https://registry-1.docker.io` unless you map it elsewhere.
        public var endpoints: [String: URL]
        /// Mirrors of a registry, by registry name, tried in order before the registry itself when pulling
        /// (manifest and blob reads). Pushes and deletes always go to the registry.
        public var mirrors: [String: [URL]]
        /// Registries (by name, `host` or `host:port`) that may be reached over plain HTTP and whose TLS
        /// certificates are not verified.
        ///
        /// Loopback registries (`localhost`, `127.0.0.0/8`, `::1`) may always use plain HTTP, as with the docker
        /// CLI; their certificates are still verified when they speak HTTPS. HTTPS is always tried first.
        ///
        /// - Important: Certificate verification is switched off for these hosts when they use HTTPS.
        public var insecureRegistries: Set<String>
        /// PEM files of certificate authorities trusted in addition to the system's.
        public var additionalTrustRoots: [URL]
        /// The timeouts of every request: connect and idle read timeouts, and the overall deadline
        /// (`timeout.deadline`, 2 minutes by default) of every request that is not a blob transfer (manifests,
        /// tags, catalog, referrers, `ping`, `login`, token requests).
        public var timeout: AsyncHTTPTransport.Configuration.Timeout
        /// When idempotent requests are retried.
        public var retry: RetryPolicy
        /// Whether and how far redirects are followed.
        public var redirect: RedirectPolicy
        /// The `User-Agent` header of every request.
        public var userAgent: String
        /// The tunables of blob transfers (upload strategy, resume attempts, read size, progress interval).
        public var blobs = BlobClient.Configuration()

        /// Creates a configuration; every parameter has a default suited to Docker Hub.
        ///
        /// - Parameters:
        ///   - endpoints: Registry names mapped to base URLs; merged over the default Docker Hub mapping.
        ///   - mirrors: Pull mirrors by registry name.
        ///   - insecureRegistries: Registries allowed plain HTTP or unverified TLS.
        ///   - additionalTrustRoots: Extra CA certificates (PEM files).
        ///   - timeout: Request timeouts.
        ///   - retry: The retry policy.
        ///   - redirect: The redirect policy.
        ///   - userAgent: The `User-Agent` header.
        public init(
            endpoints: [String: URL] = [:],
            mirrors: [String: [URL]] = [:],
            insecureRegistries: Set<String> = [],
            additionalTrustRoots: [URL] = [],
            timeout: AsyncHTTPTransport.Configuration.Timeout = .init(),
            retry: RetryPolicy = .default,
            redirect: RedirectPolicy = .follow(max: 10),
            userAgent: String = AsyncHTTPTransport.Configuration.defaultUserAgent
        ) {
            self.endpoints = Configuration.defaultEndpoints.merging(endpoints) { _, new in new }
            self.mirrors = mirrors
            self.insecureRegistries = insecureRegistries
            self.additionalTrustRoots = additionalTrustRoots
            self.timeout = timeout
            self.retry = retry
            self.redirect = redirect
            self.userAgent = userAgent
        }

        /// The mappings every configuration starts with: Docker Hub's registry name to its API host.
        public static let defaultEndpoints: [String: URL] = [
            "docker.io": Configuration.dockerHubEndpoint,
        ]

        /// Docker Hub's registry API host, `https://registry-1.docker.io`.
        public static let dockerHubEndpoint: URL = {
            var components = URLComponents()
            components.scheme = "https"
            components.host = "registry-1.docker.io"
            return components.url ?? URL(fileURLWithPath: "/")
        }()

        /// Returns a copy with one endpoint added or replaced.
        ///
        /// - Parameters:
        ///   - registry: The registry name.
        ///   - url: Its base URL.
        /// - Returns: The changed copy.
        public func with(endpoint url: URL, for registry: String) -> Configuration {
            var copy = self
            copy.endpoints[registry] = url
            return copy
        }

        /// Checks the configuration, as ``RegistryClient/init(configuration:credentials:transport:logger:)``
        /// does.
        ///
        /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidConfiguration`` naming the bad value.
        public func validate() throws {
            func invalid(_ message: String) -> RegistryError {
                RegistryError(
                    code: .invalidConfiguration, method: "-", url: URL(fileURLWithPath: "/"),
                    subject: "the registry client configuration", message: message)
            }
            let mirrorEntries = mirrors.flatMap { name, urls in urls.map { (key: name, value: $0) } }
            for (name, url) in (Array(endpoints) + mirrorEntries).sorted(by: { $0.key < $1.key }) {
                guard !name.isEmpty else { throw invalid("a registry name is empty") }
                guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
                    throw invalid("the URL for \(name) must start with http:// or https://, got \(url.loggableDescription)")
                }
                guard let host = url.host, !host.isEmpty else {
                    throw invalid("the URL for \(name) has no host: \(url.loggableDescription)")
                }
                if url.user != nil || url.password != nil {
                    throw invalid("the URL for \(name) must not contain credentials; give them through the client's credential provider")
                }
                if scheme == "http", !HostPolicy.isLoopback(host: host), !allowsInsecure(registry: name),
                   !allowsInsecure(registry: url.authority)
                {
                    throw invalid(
                        "\(name) maps to plain HTTP (\(url.loggableDescription)) but is not loopback; "
                            + "add \(name) to insecureRegistries or use https")
                }
            }
            for root in additionalTrustRoots {
                guard FileManager.default.isReadableFile(atPath: root.path) else {
                    throw invalid("the CA file \(root.path) does not exist or cannot be read")
                }
            }
            if timeout.connect <= .zero { throw invalid("the connect timeout must be positive") }
            if let read = timeout.read, read <= .zero { throw invalid("the read timeout must be positive") }
            if let request = timeout.request, request <= .zero { throw invalid("the request timeout must be positive") }
            if timeout.deadline <= .zero { throw invalid("the request deadline (timeout.deadline) must be positive") }
            if userAgent.isEmpty || userAgent.contains(where: { $0 == "\r" || $0 == "\n" }) {
                throw invalid("the user agent must be one non-empty line")
            }
        }

        /// Whether a registry name or host is listed as insecure.
        func allowsInsecure(registry: String) -> Bool {
            let lowered = registry.lowercased()
            return insecureRegistries.contains { $0.lowercased() == lowered }
        }
    }
}

extension URL {
    /// `host` or `host:port`, the way registries are named.
    var authority: String {
        guard var host = host else { return "" }
        if host.contains(":"), !host.hasPrefix("[") { host = "[\(host)]" }
        if let port { return "\(host):\(port)" }
        return host
    }
}
