import DockyardAuth
import DockyardHTTPClient
import DockyardHubAPI
import DockyardTransport
import Logging

extension HubClient {
    /// Creates a client with its own connection pool, an `AsyncHTTPTransport`; call
    /// ``DockyardHubAPI/HubClient/shutdown()`` when done with it, or use
    /// ``withHubClient(configuration:session:logger:isolation:_:)``, which does it on every path.
    ///
    /// ```swift
    /// let hub = try HubClient(configuration: .init(baseURL: URL(string: "https://hub.example.com")!))
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: Where the Hub is (`baseURL`) and how to behave; `Configuration()` suits Docker Hub.
    ///   - session: How the client logs in; anonymous by default.
    ///   - logger: Where requests are logged at `debug` level, never with credentials.
    /// - Throws: `HubAPIError` for an invalid configuration, or `TransportError` when the transport cannot be
    ///   created.
    public convenience init(
        configuration: Configuration = Configuration(),
        session: HubSessionSource = .anonymous,
        logger: Logger = HubClient.silentLogger
    ) throws {
        try HubClient.validate(configuration)
        var transportConfiguration = AsyncHTTPTransport.Configuration(userAgent: configuration.userAgent)
        transportConfiguration.logger = logger
        let transport = try AsyncHTTPTransport(configuration: transportConfiguration)
        do {
            try self.init(configuration: configuration, session: session, transport: transport, logger: logger)
        } catch {
            // Only an invalid configuration fails here, and it was checked above; close the pool anyway.
            Task { await transport.shutdown() }
            throw error
        }
        adoptTransport { await transport.shutdown() }
    }
}

/// Runs `body` with a ``DockyardHubAPI/HubClient`` that owns its connection pool, and shuts the client down on
/// every path, when `body` returns or throws.
///
/// ```swift
/// let results = try await withHubClient { hub in
///     try await hub.search("nginx", limit: 5)
/// }
/// ```
///
/// - Parameters:
///   - configuration: Where the Hub is (`baseURL`) and how to behave; `Configuration()` suits Docker Hub.
///   - session: How the client logs in; anonymous by default.
///   - logger: Where requests are logged at `debug` level, never with credentials.
///   - isolation: The actor `body` runs on; the caller's by default.
///   - body: The work to do with the client. The client must not be used after it returns.
/// - Returns: What `body` returns.
/// - Throws: What creating the client or `body` throws.
public func withHubClient<Result>(
    configuration: HubClient.Configuration = .init(),
    session: HubSessionSource = .anonymous,
    logger: Logger = HubClient.silentLogger,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (HubClient) async throws -> sending Result
) async throws -> sending Result {
    let client = try HubClient(configuration: configuration, session: session, logger: logger)
    return try await withShutdown(of: client, { await $0.shutdown() }, body)
}
