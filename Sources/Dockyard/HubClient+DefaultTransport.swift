import DockyardAuth
import DockyardHTTPClient
import DockyardHubAPI
import DockyardTransport

extension HubClient {
    /// Creates a client with its own connection pool, an `AsyncHTTPTransport`; call ``DockyardHubAPI/HubClient/shutdown()``
    /// when done with it.
    ///
    /// ```swift
    /// let hub = try HubClient(configuration: .init(baseURL: URL(string: "https://hub.example.com")!))
    /// ```
    ///
    /// - Parameters:
    ///   - configuration: Where the Hub is (`baseURL`) and how to behave.
    ///   - credentials: Where docker.io credentials come from when no explicit login is made; `nil` for none.
    /// - Throws: `HubAPIError` for an invalid configuration, or `TransportError` when the transport cannot be
    ///   created.
    public init(configuration: Configuration = Configuration(), credentials: (any CredentialProvider)? = nil) throws {
        try HubClient.validate(configuration)
        let transport = try AsyncHTTPTransport(configuration: .init(userAgent: configuration.userAgent))
        try self.init(
            configuration: configuration, transport: transport, credentials: credentials,
            shutdownTransport: { await transport.shutdown() })
    }
}
