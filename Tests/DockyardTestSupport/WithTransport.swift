import DockyardHTTPClient
import DockyardTransport

/// Runs `body` with a fresh transport, and shuts the transport down afterwards, whether `body` throws or not.
///
/// - Parameters:
///   - configuration: The transport's configuration; the defaults when omitted.
///   - body: The work to do with the transport.
/// - Returns: What `body` returns.
/// - Throws: What creating the transport or `body` throws.
public func withTransport<T>(
    _ configuration: AsyncHTTPTransport.Configuration = .init(),
    _ body: (AsyncHTTPTransport) async throws -> T
) async throws -> T {
    let transport = try AsyncHTTPTransport(configuration: configuration)
    do {
        let value = try await body(transport)
        await transport.shutdown()
        return value
    } catch {
        await transport.shutdown()
        throw error
    }
}
