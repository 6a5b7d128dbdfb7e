@testable import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// One of localhub's four kinds of registry, with what a test needs to use it.
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

    /// Pushes a one-layer OCI image (random layer bytes) and returns what was pushed.
    @discardableResult
    static func pushImage(
        _ reference: ImageReference,
        with client: RegistryClient,
        layerSize: Int = 2048,
        architecture: String = "amd64"
    ) async throws -> PushedImage {
        let layerBytes = (0..<layerSize).map { _ in UInt8.random(in: 0...255) }
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

    /// The SHA-256 of bytes, as `sha256:<hex>`.
    static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        ContentDigest.sha256(of: Array(bytes)).description
    }
}
