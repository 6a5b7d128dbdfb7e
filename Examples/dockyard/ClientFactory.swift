import ArgumentParser
import Dockyard
import Foundation

/// Builds a ``RegistryClient`` from the global options, so every command configures it the same way.
enum ClientFactory {
    /// The registry configuration the global options describe.
    ///
    /// - Parameter global: The parsed global options.
    /// - Returns: Endpoints from `--endpoint` and `$DOCKYARD_ENDPOINTS`, `--insecure` registries, `--ca-file` and
    ///   `--request-timeout`.
    /// - Throws: `ValidationError` for a malformed `--endpoint` or an out-of-range `--request-timeout`.
    static func configuration(_ global: GlobalOptions) throws -> RegistryClient.Configuration {
        var configuration = RegistryClient.Configuration()
        for (name, text) in try global.endpointPairs() {
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                url.host != nil
            else {
                throw ValidationError("--endpoint \(name)=\(text): the URL must be http:// or https:// with a host")
            }
            configuration.endpoints[name] = url
        }
        configuration.insecureRegistries = Set(global.insecure)
        for entry in global.mirror {
            // `URL` alone mirrors Docker Hub (daemon.json's registry-mirrors); `NAME=URL` mirrors another registry.
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            let (name, text) = parts.count == 2 && !parts[0].contains("/") ? (parts[0], parts[1]) : ("docker.io", entry)
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                url.host != nil
            else {
                throw ValidationError("--mirror \(entry): expected URL or NAME=URL, with an http:// or https:// URL")
            }
            configuration.mirrors[name, default: []].append(url)
        }
        if let caFile = global.caFile {
            configuration.additionalTrustRoots = [URL(fileURLWithPath: caFile)]
        }
        if let seconds = global.requestTimeout {
            guard (1...86_400).contains(seconds) else {
                throw ValidationError("--request-timeout takes a whole number of seconds from 1 to 86400, got \(seconds)")
            }
            configuration.timeout.deadline = .seconds(seconds)
        }
        return configuration
    }

    /// The docker configuration directory: `--config`, else `$DOCKER_CONFIG`, else `~/.docker`.
    static func configDirectory(_ global: GlobalOptions) -> URL {
        if let config = global.config { return URL(fileURLWithPath: config, isDirectory: true) }
        return DockerConfig.defaultDirectory
    }

    /// A client configured from the global options; the caller shuts it down with ``withClient(_:_:)``.
    static func makeClient(
        _ global: GlobalOptions, configure: (inout RegistryClient.Configuration) -> Void = { _ in }
    ) throws -> RegistryClient {
        var configuration = try configuration(global)
        configure(&configuration)
        return try RegistryClient(
            configuration: configuration,
            credentials: DockerCredentialStore(directory: configDirectory(global)),
            // Requests at `debug` level on stderr with `--verbose` (never a credential), otherwise nothing.
            logger: .dockyardStandardError(verbose: global.verbose))
    }

    /// Runs `body` with a client and shuts the client down afterwards, whether `body` throws or not.
    static func withClient<Result>(
        _ global: GlobalOptions,
        configure: (inout RegistryClient.Configuration) -> Void = { _ in },
        _ body: (RegistryClient) async throws -> Result
    ) async throws -> Result {
        let client = try makeClient(global, configure: configure)
        return try await run(body, on: client) { await client.shutdown() }
    }

    /// Runs `body` with `resource`, then `shutdown`, whether `body` throws or not.
    static func run<Resource, Result>(
        _ body: (Resource) async throws -> Result,
        on resource: Resource,
        shutdown: () async -> Void
    ) async throws -> Result {
        do {
            let result = try await body(resource)
            await shutdown()
            return result
        } catch {
            await shutdown()
            throw error
        }
    }

    /// Reads a password or token from standard input (`--password-stdin`), without its trailing line break.
    ///
    /// - Returns: The secret; never printed or logged.
    /// - Throws: `ValidationError` when standard input is empty.
    static func passwordFromStandardInput() throws -> String {
        var password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
        guard !password.isEmpty else { throw ValidationError("no password was given on standard input") }
        return password
    }

    /// Parses a reference argument, with a clear message on failure.
    static func reference(_ text: String) throws -> ImageReference {
        do {
            return try ImageReference(normalizing: text)
        } catch {
            throw ValidationError("'\(text)' is not a valid image reference: \(error)")
        }
    }
}
