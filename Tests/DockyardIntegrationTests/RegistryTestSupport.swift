@testable import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The registries the SDK's registry tests run against, with the same assertions: localhub's `docker-registry`
/// instances (open, Basic, token, TLS) and embedded registries (``EmbeddedRegistry``) with the same kinds of
/// authentication, each test case starting its own. The embedded registry serves plain HTTP only, so TLS is
/// `docker-registry`'s alone.
enum RegistryKind: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case open, basic, token, tls
    case embeddedOpen = "embedded-open"
    case embeddedBasic = "embedded-basic"
    case embeddedToken = "embedded-token"

    /// How a registry admits clients, for assertions that depend on it.
    enum Authentication: Sendable { case none, basic, token }

    /// localhub's four `docker-registry` instances.
    static let dockerRegistry: [RegistryKind] = [.open, .basic, .token, .tls]
    /// The embedded registry without authentication, with Basic and with token authentication.
    static let embedded: [RegistryKind] = [.embeddedOpen, .embeddedBasic, .embeddedToken]
    /// A plain (open, HTTP) registry of each implementation.
    static let plain: [RegistryKind] = [.open, .embeddedOpen]
    /// A Basic and a token registry of each implementation.
    static let authenticated: [RegistryKind] = [.basic, .token, .embeddedBasic, .embeddedToken]

    var testDescription: String { rawValue }

    /// Whether the test case starts an embedded registry (rather than using localhub's).
    var isEmbedded: Bool { Self.embedded.contains(self) }

    var authentication: Authentication {
        switch self {
        case .open, .tls, .embeddedOpen: .none
        case .basic, .embeddedBasic: .basic
        case .token, .embeddedToken: .token
        }
    }
}

/// One registry of ``RegistryKind``, with what a test needs to use it.
struct RegistryUnderTest: Sendable, CustomTestStringConvertible {
    var name: String
    var registry: LocalHub.Registry
    /// The account that may push, or `nil` for an open registry.
    var account: LocalHub.Account?
    /// The repository namespace the account may push to.
    var namespace: String
    /// Extra configuration: the HTTPS endpoint and CA of the TLS registry.
    var configure: @Sendable (inout RegistryClient.Configuration) -> Void

    var testDescription: String { name }

    /// The four registries of the issue: open, Basic (htpasswd), token (auth.docker.io emulation), TLS (private CA).
    static func all(_ hub: LocalHub) -> [RegistryUnderTest] {
        [
            RegistryUnderTest(name: "open", registry: hub.open, account: nil, namespace: "dockyard", configure: { _ in }),
            RegistryUnderTest(
                name: "basic", registry: hub.basic, account: hub.basicAccount, namespace: hub.basicAccount.username,
                configure: { _ in }),
            RegistryUnderTest(
                name: "token", registry: hub.token, account: hub.user, namespace: hub.user.username, configure: { _ in }),
            RegistryUnderTest(
                name: "tls", registry: hub.tls, account: nil, namespace: "dockyard",
                configure: { configuration in
                    configuration.endpoints[hub.tls.host] = hub.tls.url
                    configuration.additionalTrustRoots = [hub.tlsCA]
                }),
        ]
    }

    /// Runs `body` with the registry of `kind`: localhub's (``LocalHub/required()``) or an embedded registry that
    /// this call starts, and stops afterwards (also when `body` throws).
    ///
    /// The embedded registry's account is made here (Basic: a user list; token: the registry's own token service
    /// granting the account everything), so a test reads credentials and namespace from the value it gets, never
    /// from localhub.
    static func with<T: Sendable>(_ kind: RegistryKind, _ body: (RegistryUnderTest) async throws -> T) async throws -> T {
        guard kind.isEmbedded else {
            let hub = try LocalHub.required()
            let target = try #require(all(hub).first { $0.name == kind.rawValue })
            return try await body(target)
        }
        let account = LocalHub.Account(username: "tester", password: "tester-\(RegistryFixtures.uniqueSuffix())")
        var configuration = EmbeddedRegistry.Configuration()
        switch kind.authentication {
        case .none: break
        case .basic: configuration.authentication = .basic([account.username: account.password])
        case .token: configuration.authentication = .token(.init(users: .list([account.username: account.password])))
        }
        return try await EmbeddedRegistry.withRegistry(configuration) { registry in
            try await body(
                RegistryUnderTest(
                    name: kind.rawValue, registry: LocalHub.Registry(url: registry.url, host: registry.host),
                    account: kind.authentication == .none ? nil : account,
                    namespace: kind.authentication == .none ? "dockyard" : account.username, configure: { _ in }))
        }
    }

    /// A client for this registry with the account's credentials.
    func client(retry: RetryPolicy = .default) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration(retry: retry)
        configure(&configuration)
        let credentials: any CredentialProvider = account.map {
            StaticCredentials(.basic(username: $0.username, password: $0.password), forRegistry: registry.host)
        } ?? AnonymousCredentials()
        return try RegistryClient(configuration: configuration, credentials: credentials)
    }

    /// A fresh repository reference in the account's namespace.
    func uniqueReference(_ stem: String, tag: String = "v1") throws -> ImageReference {
        try ImageReference(normalizing: "\(registry.host)/\(namespace)/\(stem)-\(RegistryFixtures.uniqueSuffix()):\(tag)")
    }
}

/// Builds and pushes small images for registry tests, through the client's own request pipeline.
enum RegistryFixtures {
    /// A short random suffix for repository names, so tests never collide.
    static func uniqueSuffix() -> String {
        String(UInt64.random(in: 0..<UInt64.max), radix: 36)
    }

    /// A pushed image: its manifest document and blob digests.
    struct PushedImage: Sendable {
        var manifest: ManifestDocument
        var config: ContentDigest
        var layer: ContentDigest
        var layerBytes: [UInt8]
    }

    /// Runs `body` with a client and shuts it down afterwards.
    static func withClient<T>(_ client: RegistryClient, _ body: (RegistryClient) async throws -> T) async throws -> T {
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Uploads one blob with `POST` then a monolithic `PUT`.
    static func uploadBlob(_ bytes: [UInt8], to repository: Repository, with client: RegistryClient) async throws -> ContentDigest {
        let digest = ContentDigest.sha256(of: bytes)
        let start = TransportRequest(method: .POST, url: try client.baseURL(for: repository).appendingPathComponent("blobs/uploads/"))
        let started = try await client.send(start, repository: repository, actions: [.pull, .push])
        await started.body.drain()
        guard started.status == .accepted, let location = started.headers.first(name: "Location"),
            let uploadURL = URL(string: location, relativeTo: start.url)?.absoluteURL,
            var components = URLComponents(url: uploadURL, resolvingAgainstBaseURL: false)
        else {
            throw RegistryError(code: .unexpectedStatus, status: Int(started.status.code), method: "POST", url: start.url)
        }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "digest", value: digest.description)]
        guard let putURL = components.url else {
            throw RegistryError(code: .invalidResponse, method: "POST", url: start.url)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/octet-stream")
        let put = TransportRequest(method: .PUT, url: putURL, headers: headers, body: .bytes(bytes))
        let finished = try await client.send(put, repository: repository, actions: [.pull, .push])
        guard finished.status == .created else {
            throw await client.failure(finished, for: put, subject: "\(repository.name)@\(digest)")
        }
        await finished.body.drain()
        return digest
    }

    /// Pushes a one-layer OCI image (seeded random layer bytes; the seed is printed, ``TestSeed``) and returns what
    /// was pushed.
    @discardableResult
    static func pushImage(
        _ reference: ImageReference,
        with client: RegistryClient,
        layerSize: Int = 2048,
        architecture: String = "amd64"
    ) async throws -> PushedImage {
        var generator = SeededGenerator(state: TestSeed.make("layer bytes of \(reference)"))
        let layerBytes = (0..<layerSize).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let layer = try await uploadBlob(layerBytes, to: reference.repository, with: client)
        let configBytes = Array(
            """
            {"architecture":"\(architecture)","os":"linux","rootfs":{"type":"layers","diff_ids":["\(layer)"]},"config":{}}
            """.utf8)
        let config = try await uploadBlob(configBytes, to: reference.repository, with: client)
        let manifestText = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(config)","size":\(configBytes.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layer)","size":\(layerBytes.count)}]}
            """
        let document = try ManifestDocument(bytes: Array(manifestText.utf8), mediaType: nil)
        try await client.putManifest(document, as: reference)
        return PushedImage(manifest: document, config: config, layer: layer, layerBytes: layerBytes)
    }

    /// Runs `work` over `items` with at most `width` running at once.
    static func forEach<Item: Sendable>(
        _ items: [Item],
        width: Int,
        _ work: @escaping @Sendable (Item) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = items.makeIterator()
            for _ in 0..<width {
                guard let item = iterator.next() else { break }
                group.addTask { try await work(item) }
            }
            while try await group.next() != nil {
                if let item = iterator.next() { group.addTask { try await work(item) } }
            }
        }
    }

    /// Runs `body` with a fault scenario set on a proxy the caller already holds (inside `withScenario(.none)`),
    /// and sets `none` again afterwards.
    static func during<T>(
        _ proxy: FaultProxy,
        _ scenario: FaultProxy.Scenario,
        params: [String: TestJSON] = [:],
        _ body: () async throws -> T
    ) async throws -> T {
        _ = try await proxy.set(scenario: scenario, params: params)
        do {
            let value = try await body()
            _ = try await proxy.set(scenario: .none)
            return value
        } catch {
            _ = try? await proxy.set(scenario: .none)
            throw error
        }
    }

    /// The SHA-256 of bytes, as `sha256:<hex>`.
    static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        ContentDigest.sha256(of: Array(bytes)).description
    }
}

/// Wraps a real registry's tag list in pages, as registries that honour `n` and `last` do (distribution 2.8 does
/// not for tags): each answer holds at most `n` tags after `last`, in lexical order, with a `Link: rel="next"`
/// that is alternately relative and absolute. Every other request passes through unchanged.
final class PaginatingTransport: HTTPTransport {
    private let base: any HTTPTransport
    private let log = QueryLog()

    init(wrapping base: any HTTPTransport) { self.base = base }

    /// The query of every tag-list request answered, in order.
    var servedQueries: [String] {
        get async { await log.queries }
    }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        guard request.method == .GET, request.url.path.hasSuffix("/tags/list"),
            var components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        else { return try await base.send(request) }
        let items = components.queryItems ?? []
        await log.append(components.percentEncodedQuery ?? "")
        let size = items.first { $0.name == "n" }?.value.flatMap(Int.init) ?? 1000
        let last = items.first { $0.name == "last" }?.value
        components.query = nil
        var full = request
        full.url = components.url ?? request.url
        let response = try await base.send(full)
        guard response.status == .ok else { return response }
        let body = try await response.body.collect(upTo: 1 << 22)
        let list = try JSONDecoder().decode(TagList.self, from: Data(body.readableBytesView))
        let remaining = (list.tags ?? []).sorted().filter { tag in last.map { tag > $0 } ?? true }
        let page = Array(remaining.prefix(size))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        if remaining.count > page.count, let final = page.last {
            let query = "n=\(size)&last=\(final)"
            let relative = "\(components.path)?\(query)"
            let absolute = "\(components.scheme ?? "http")://\(request.url.authority)\(relative)"
            let link = (await log.queries.count).isMultiple(of: 2) ? absolute : relative
            headers.add(name: "Link", value: "<\(link)>; rel=\"next\"")
        }
        let encoded = try JSONEncoder().encode(TagList(name: list.name, tags: page))
        return TransportResponse(status: .ok, headers: headers, body: ByteBufferSequence(single: ByteBuffer(bytes: encoded)), url: request.url)
    }

    private struct TagList: Codable {
        var name: String?
        var tags: [String]?
    }

    private actor QueryLog {
        var queries: [String] = []
        func append(_ query: String) { queries.append(query) }
    }
}
