import DockyardTransport
import Foundation

extension HubClient {
    /// How a ``HubClient`` reaches Docker Hub and how it behaves. `Configuration()` suits the real Hub.
    public struct Configuration: Sendable {
        /// The Hub API's base URL: `https://hub.docker.com`.
        public static let dockerHubURL = URL(staticHub: "https://hub.docker.com")
        /// The index that serves `/v1/search` for the real Hub: `https://index.docker.io`.
        public static let dockerIndexURL = URL(staticHub: "https://index.docker.io")

        /// The Hub API's base URL (`/v2/...`, `/api/...`). Credentials are only ever sent to this origin.
        public var baseURL: URL
        /// The base URL that serves `/v1/search`. `nil` means `index.docker.io` for the real Hub and ``baseURL``
        /// for any other (an emulator serves everything on one origin).
        public var searchURL: URL?
        /// Items per page asked for by lists (the Hub caps it at 100).
        public var pageSize: Int
        /// How failed requests are retried: connection failures, 408, 429 and 5xx, after `Retry-After` (or the
        /// Hub's `X-Retry-After`) when the answer names a wait. Only idempotent methods are retried.
        public var retry: RetryPolicy
        /// How redirects are followed; credentials are never sent to another origin.
        public var redirect: RedirectPolicy
        /// The longest one request, body included, may take.
        public var timeout: Duration
        /// The `User-Agent` header.
        public var userAgent: String
        /// How long before its `exp` a session token is renewed.
        public var renewalMargin: Duration
        /// The credential-store key whose credentials log in when no explicit login was made; `nil` picks docker's
        /// own key for Docker Hub (`https://index.docker.io/v1/`) when ``baseURL`` is the real Hub
        /// (`https://hub.docker.com`), and the base URL's `host[:port]` otherwise, so that Docker Hub credentials
        /// never go to another server or over plain HTTP.
        public var credentialKey: String?
        /// The largest response body accepted, in bytes.
        public var maxResponseBytes: Int

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - baseURL: The Hub API's base URL.
        ///   - searchURL: The base URL of `/v1/search`; `nil` picks it from `baseURL`.
        ///   - pageSize: Items per page (1–100).
        ///   - retry: How failed requests are retried.
        ///   - redirect: How redirects are followed.
        ///   - timeout: The longest one request may take.
        ///   - userAgent: The `User-Agent` header.
        ///   - renewalMargin: How early a session token is renewed.
        ///   - credentialKey: The credential-store key for implicit logins; `nil` picks it from `baseURL`.
        ///   - maxResponseBytes: The largest response body accepted.
        public init(
            baseURL: URL = Configuration.dockerHubURL,
            searchURL: URL? = nil,
            pageSize: Int = 100,
            retry: RetryPolicy = .default,
            redirect: RedirectPolicy = .default,
            timeout: Duration = .seconds(30),
            userAgent: String = "dockyard/0.1 (HubAPI)",
            renewalMargin: Duration = .seconds(60),
            credentialKey: String? = nil,
            maxResponseBytes: Int = 32 << 20
        ) {
            self.baseURL = baseURL
            self.searchURL = searchURL
            self.pageSize = pageSize
            self.retry = retry
            self.redirect = redirect
            self.timeout = timeout
            self.userAgent = userAgent
            self.renewalMargin = renewalMargin
            self.credentialKey = credentialKey
            self.maxResponseBytes = maxResponseBytes
        }

        /// The base URL `/v1/search` is sent to.
        public var effectiveSearchURL: URL {
            if let searchURL { return searchURL }
            return baseURL.host == "hub.docker.com" ? Configuration.dockerIndexURL : baseURL
        }

        /// The credential-store key implicit logins read.
        public var effectiveCredentialKey: String {
            if let credentialKey { return credentialKey }
            let host = baseURL.host?.lowercased() ?? ""
            // Docker Hub's credentials only for the real Hub over HTTPS, never in clear text.
            if host == "hub.docker.com", baseURL.port == nil, baseURL.scheme?.lowercased() == "https" {
                return "https://index.docker.io/v1/"
            }
            return baseURL.port.map { "\(host):\($0)" } ?? host
        }

        /// Checks the values; called by ``HubClient/init(configuration:session:transport:logger:)``.
        func validate() throws(HubAPIError) {
            guard baseURL.isAbsoluteHTTP else {
                throw HubAPIError(.invalidArgument, message: "the Hub base URL must be an absolute http(s) URL")
            }
            guard (1...100).contains(pageSize) else {
                throw HubAPIError(.invalidArgument, message: "page size must be 1–100, got \(pageSize)")
            }
            guard retry.maxAttempts >= 1 else {
                throw HubAPIError(.invalidArgument, message: "retry.maxAttempts must be at least 1")
            }
            guard redirect.maxHops >= 0 else {
                throw HubAPIError(.invalidArgument, message: "redirect.maxHops must not be negative")
            }
            guard timeout > .zero, maxResponseBytes > 0 else {
                throw HubAPIError(.invalidArgument, message: "the timeout and maxResponseBytes must be positive")
            }
        }
    }

}

extension URL {
    /// Whether the URL is absolute, with an `http` or `https` scheme and a host.
    var isAbsoluteHTTP: Bool {
        guard let scheme = scheme?.lowercased() else { return false }
        return (scheme == "http" || scheme == "https") && host != nil
    }

    /// A URL from a literal known to be valid.
    init(staticHub string: StaticString) {
        // The literals passed here are constant, valid URLs; the fallback only keeps this non-crashing.
        self = URL(string: "\(string)") ?? URL(fileURLWithPath: "/")
    }
}
