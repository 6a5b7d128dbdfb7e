/// Runs `body` with a client, then shuts the client down on every path, whether `body` returns or throws: the
/// one scoped-lifetime step behind ``withRegistryClient(configuration:credentials:logger:isolation:_:)`` and
/// ``withHubClient(configuration:session:logger:isolation:_:)``.
func withShutdown<Client: Sendable, Result>(
    of client: Client,
    _ shutdown: (Client) async -> Void,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (Client) async throws -> sending Result
) async throws -> sending Result {
    let result: Result
    do {
        result = try await body(client)
    } catch {
        await shutdown(client)
        throw error
    }
    await shutdown(client)
    return result
}
