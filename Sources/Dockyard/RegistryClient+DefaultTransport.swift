import DockyardAuth
import DockyardHTTPClient
import DockyardTransport
import Foundation
import Logging

extension RegistryClient {
    /// Creates a client with its own connection pool, an `AsyncHTTPTransport` configured from `configuration`.
    ///
    /// Call ``shutdown()`` when done, or use ``withRegistryClient(configuration:credentials:logger:isolation:_:)``,
    /// which does it on every path.
    ///
    /// ```swift
    /// let client = try RegistryClient(credentials: StaticCredentials(username: "me", password: "secret"))
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: Endpoints, mirrors, TLS, retries and redirects; `Configuration()` suits Docker Hub.
    ///   - credentials: Where credentials come from; by default the docker CLI's `config.json`, its credential
    ///     store and helpers.
    ///   - logger: Where requests are logged at `debug` level, never with credentials.
    /// - Throws: ``RegistryError`` with code ``RegistryError/Code/invalidConfiguration`` when the configuration is
    ///   invalid, or `TransportError` when the transport cannot be created (for example an unreadable CA file).
    public convenience init(
        configuration: Configuration = .init(),
        credentials: any CredentialProvider = DockerCredentialStore(),
        logger: Logger = RegistryClient.silentLogger
    ) throws {
        try configuration.validate()
        let transport = try AsyncHTTPTransport(configuration: configuration.transportConfiguration(logger: logger))
        try self.init(configuration: configuration, credentials: credentials, transport: transport, logger: logger)
        ownership.adopt { await transport.shutdown() }
    }
}

extension RegistryClient.Configuration {
    /// The configuration of the `AsyncHTTPTransport` a client creates for itself.
    func transportConfiguration(logger: Logger) -> AsyncHTTPTransport.Configuration {
        var transport = AsyncHTTPTransport.Configuration()
        transport.timeout = timeout
        transport.userAgent = userAgent
        transport.tls.additionalTrustRoots = additionalTrustRoots
        transport.tls.hostsWithoutCertificateVerification = insecureHostsForTLS
        transport.logger = logger
        return transport
    }
}

/// Runs `body` with a new ``RegistryClient`` and shuts the client down afterwards, whether `body` returns or
/// throws.
///
/// ```swift
/// let tags = try await withRegistryClient { client in
///     try await client.tags(of: ImageReference(normalizing: "alpine")).collect()
/// }
/// ```
///
/// - Parameters:
///   - configuration: Endpoints, mirrors, TLS, retries and redirects; `Configuration()` suits Docker Hub.
///   - credentials: Where credentials come from; by default the docker CLI's `config.json`, its credential store
///     and helpers.
///   - logger: Where requests are logged at `debug` level, never with credentials.
///   - isolation: The actor `body` runs on; the caller's by default.
///   - body: The work to do with the client. The client must not be used after it returns.
/// - Returns: What `body` returns.
/// - Throws: What creating the client or `body` throws.
public func withRegistryClient<Result>(
    configuration: RegistryClient.Configuration = .init(),
    credentials: any CredentialProvider = DockerCredentialStore(),
    logger: Logger = RegistryClient.silentLogger,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RegistryClient) async throws -> sending Result
) async throws -> sending Result {
    let client = try RegistryClient(configuration: configuration, credentials: credentials, logger: logger)
    return try await withShutdown(of: client, { await $0.shutdown() }, body)
}
