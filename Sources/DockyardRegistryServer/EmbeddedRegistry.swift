import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OCI distribution-spec 1.1 registry that runs inside the caller's process.
///
/// It serves the whole pull, push, content discovery and content management API (manifests, blobs, monolithic,
/// chunked and single-request uploads, cross-repository mounts, tag lists, the catalog and the referrers API) over
/// plain HTTP, from memory or a directory. Tests start one per suite in milliseconds, with no Docker and no network:
///
/// ```swift
/// try await EmbeddedRegistry.withRegistry { registry in
///     let reference = try ImageReference(normalizing: "\(registry.host)/team/app:1.0")
///     // push to and pull from `reference` with any client
/// }
/// ```
///
/// - Important: The registry speaks plain HTTP. Clients reach it on loopback (`127.0.0.1`, which Dockyard's
///   client and `skopeo --tls-verify=false` accept); serving other interfaces is the caller's decision.
public final class EmbeddedRegistry: Sendable {
    /// The configuration the registry runs with.
    public let configuration: Configuration
    /// The base URL, such as `http://127.0.0.1:41234`.
    public let url: URL
    /// The registry host as it appears in image references, such as `127.0.0.1:41234`.
    public let host: String
    /// Faults and counters for tests.
    public let hooks: RegistryTestHooks

    let store: RegistryStore
    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let runTask: NIOLockedValueBox<Task<Void, Never>?>

    private init(
        configuration: Configuration,
        store: RegistryStore,
        hooks: RegistryTestHooks,
        serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        host: String
    ) {
        self.configuration = configuration
        self.store = store
        self.hooks = hooks
        self.serverChannel = serverChannel
        self.host = host
        self.url = URL(string: "http://\(host)") ?? URL(fileURLWithPath: "/")
        self.runTask = NIOLockedValueBox(nil)
    }

    /// Starts a registry and returns once it accepts connections.
    ///
    /// Call ``shutdown()`` when done, or prefer ``withRegistry(_:_:)``, which cannot forget to.
    /// - Parameter configuration: Address, storage, authentication and limits.
    /// - Returns: The running registry.
    /// - Throws: ``EmbeddedRegistryError`` when the storage directory or the htpasswd file cannot be used, or the
    ///   address cannot be bound.
    public static func start(_ configuration: Configuration = Configuration()) async throws -> EmbeddedRegistry {
        let storage: any ContentStorage
        switch configuration.storage {
        case .memory:
            storage = MemoryStorage()
        case .directory(let url):
            do {
                storage = try DirectoryStorage(root: url)
            } catch {
                throw EmbeddedRegistryError("cannot use storage directory \(url.path): \(error)")
            }
        }
        let store: RegistryStore
        do {
            store = try RegistryStore(storage: storage)
        } catch {
            throw EmbeddedRegistryError("cannot read the registry's saved state: \(error)")
        }
        let authenticator = try Authenticator(configuration.authentication)
        let hooks = RegistryTestHooks()

        let serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 4, highWatermark: 32))
                        )
                    }
                }
        } catch {
            throw EmbeddedRegistryError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        guard let port = serverChannel.channel.localAddress?.port else {
            try? await serverChannel.channel.close()
            throw EmbeddedRegistryError("the listening socket has no port")
        }
        let hostPart = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let registry = EmbeddedRegistry(
            configuration: configuration, store: store, hooks: hooks, serverChannel: serverChannel,
            host: "\(hostPart):\(port)"
        )
        var tokenIssuer: TokenIssuer?
        if case .token(let settings) = configuration.authentication { tokenIssuer = TokenIssuer(settings: settings) }
        let router = RegistryRouter(
            store: store, hooks: hooks, configuration: configuration, authenticator: authenticator,
            tokenIssuer: tokenIssuer, registryHost: registry.host
        )
        let task = Task {
            await Self.run(serverChannel, router: router)
        }
        registry.runTask.withLockedValue { $0 = task }
        return registry
    }

    private static func run(
        _ serverChannel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>,
        router: RegistryRouter
    ) async {
        await withDiscardingTaskGroup { group in
            try? await serverChannel.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask {
                        await HTTPConnection(channel: connection, router: router).serve()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Starts a registry, runs `body` with it and stops it, also when `body` throws.
    /// - Parameters:
    ///   - configuration: Address, storage, authentication and limits.
    ///   - body: What to do while the registry runs.
    /// - Returns: What `body` returns.
    /// - Throws: What ``start(_:)`` or `body` throws.
    public static func withRegistry<Result: Sendable>(
        _ configuration: Configuration = Configuration(),
        _ body: (EmbeddedRegistry) async throws -> Result
    ) async throws -> Result {
        let registry = try await start(configuration)
        do {
            let result = try await body(registry)
            await registry.shutdown()
            return result
        } catch {
            await registry.shutdown()
            throw error
        }
    }

    /// Stops accepting connections, closes the open ones and returns when everything has stopped.
    ///
    /// A blob or manifest whose upload completed (the client saw `201 Created`) is kept: in a directory it was
    /// renamed into place before the response was sent. Uploads in progress are dropped.
    public func shutdown() async {
        try? await serverChannel.channel.close()
        let task = runTask.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    /// A snapshot of what was pushed: each repository's tags (tag → digest), manifests (digest → media type)
    /// and linked blobs.
    public func contents() async -> [String: RepositoryContents] {
        await store.snapshot().mapValues { state in
            RepositoryContents(
                tags: state.tags,
                manifests: state.manifests.mapValues(\.mediaType),
                blobs: state.blobs
            )
        }
    }

    /// What one repository holds, for tests that inspect a push.
    public struct RepositoryContents: Sendable, Equatable {
        /// Tag → manifest digest.
        public var tags: [String: String]
        /// Manifest digest → media type.
        public var manifests: [String: String]
        /// Digests of the blobs linked to the repository.
        public var blobs: Set<String>
    }
}

/// An embedded registry could not start.
public struct EmbeddedRegistryError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to change.
    public var description: String

    init(_ description: String) { self.description = description }
}
