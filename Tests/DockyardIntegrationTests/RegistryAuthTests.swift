@testable import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Authentication through the registry client against localhub's Basic and token registries.
@Suite("RegistryClient authentication against real registries", .requiresLocalHub, .tags(.integration))
struct RegistryAuthTests {
    private func client(
        _ hub: LocalHub? = nil,
        username: String? = nil,
        password: String? = nil,
        registry: String
    ) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        let credentials: any CredentialProvider = username.map {
            StaticCredentials(.basic(username: $0, password: password ?? ""), forRegistry: registry)
        } ?? AnonymousCredentials()
        return try RegistryClient(configuration: configuration, credentials: credentials)
    }

    @Test("a wrong password is a clear AuthError", arguments: RegistryKind.authenticated)
    func wrongPassword(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            let registry = target.registry
            let user = try #require(target.account)
            try await RegistryFixtures.withClient(try client(registry: registry.host)) { client in
                let error = try await #require(throws: AuthError.self) {
                    try await client.login(registry: registry.host, username: user.username, password: "wrong-password", store: false)
                }
                #expect(error.code == .invalidCredentials)
                #expect(!error.description.contains("wrong-password"))
                #expect(error.description.lowercased().contains("user") || error.description.lowercased().contains("credential"))
                try await client.login(registry: registry.host, username: user.username, password: user.password, store: false)
            }
            try await RegistryFixtures.withClient(
                try client(username: user.username, password: "wrong-password", registry: registry.host)
            ) { client in
                let reference = try ImageReference(normalizing: "\(registry.host)/\(user.username)/anything:v1")
                let error = try await #require(throws: AuthError.self) { try await client.manifest(for: reference) }
                #expect(error.code == .invalidCredentials)
                #expect(!error.description.contains("wrong-password"))
            }
        }
    }

    @Test("anonymous pull of a public repository goes through the token service")
    func anonymousPublicPull() async throws {
        let hub = try LocalHub.required()
        let name = "library/dockyard-public-\(RegistryFixtures.uniqueSuffix())"
        let reference = try ImageReference(normalizing: "\(hub.token.host)/\(name):v1")
        let pushed = try await RegistryFixtures.withClient(
            try client(hub, username: hub.admin.username, password: hub.admin.password, registry: hub.token.host)
        ) { admin in
            try await RegistryFixtures.pushImage(reference, with: admin, layerSize: 64)
        }
        let mark = hub.tokenServer.logMark()
        try await RegistryFixtures.withClient(try client(hub, registry: hub.token.host)) { anonymous in
            let document = try await anonymous.manifest(for: reference)
            #expect(document.digest == pushed.manifest.digest)
            let tags = try await anonymous.tags(in: reference.repository).collect()
            #expect(tags == ["v1"])
        }
        // Other suites use the token server at the same time: only anonymous requests for this (uniquely named)
        // repository count. The service logs a request before it answers, so every one is in the log by now.
        let requests = try hub.tokenServer.requests(forRepository: name, since: mark).filter { $0.grant == "anonymous" }
        #expect(requests.allSatisfy { $0.status == 200 && ($0.user ?? "").isEmpty })
        #expect(requests.contains { ($0.scopes ?? []).contains("repository:\(name):pull") })
        #expect(requests.allSatisfy { ($0.access ?? []).allSatisfy { $0.actions == ["pull"] } })
        // The token is cached: one fetch serves the manifest and the tag list.
        #expect(requests.count == 1)
    }

    @Test("push scope is requested only when pushing")
    func minimalScopes() async throws {
        let hub = try LocalHub.required()
        let path = "\(hub.user.username)/scopes-\(RegistryFixtures.uniqueSuffix())"
        let reference = try ImageReference(normalizing: "\(hub.token.host)/\(path):v1")
        try await RegistryFixtures.withClient(
            try client(hub, username: hub.user.username, password: hub.user.password, registry: hub.token.host)
        ) { client in
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
            let pushRequests = try hub.tokenServer.requests(forRepository: path)
            #expect(pushRequests.contains { ($0.scopes ?? []).contains("repository:\(path):pull,push") })

            // A fresh client only reads: no token request of it may ask for push.
            let mark = hub.tokenServer.logMark()
            try await RegistryFixtures.withClient(
                try self.client(hub, username: hub.user.username, password: hub.user.password, registry: hub.token.host)
            ) { reader in
                let document = try await reader.manifest(for: reference)
                let descriptor = try await reader.resolve(reference)
                let tags = try await reader.tags(in: reference.repository).collect()
                #expect(document.digest == pushed.manifest.digest)
                #expect(descriptor.digest == pushed.manifest.digest)
                #expect(tags == ["v1"])
            }
            let readRequests = try hub.tokenServer.requests(forRepository: path, since: mark)
            #expect(!readRequests.isEmpty)
            for request in readRequests {
                #expect(request.grant == "basic")
                #expect(request.user == hub.user.username)
                for scope in request.scopes ?? [] { #expect(!scope.contains("push"), "read asked for \(scope)") }
            }
        }
    }

    @Test("a redirect to another host carries no Authorization", .privateFaultProxies)
    func redirectDropsAuthorization() async throws {
        let hub = try LocalHub.required()
        let path = "\(hub.user.username)/redirect-\(RegistryFixtures.uniqueSuffix())"
        let reference = try ImageReference(normalizing: "\(hub.faultToken.host)/\(path):v1")
        try await hub.faultToken.withScenario(.none) { _ in
            try await RegistryFixtures.withClient(
                try client(hub, username: hub.user.username, password: hub.user.password, registry: hub.faultToken.host)
            ) { client in
                let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 4096)
                try await RegistryFixtures.during(hub.faultToken, .redirectBlobs, params: ["reject_auth": true]) {
                    let url = try client.baseURL(for: reference.repository).appendingPathComponent("blobs/\(pushed.layer)")
                    let request = TransportRequest(method: .GET, url: url)
                    let response = try await client.send(request, repository: reference.repository, actions: [.pull])
                    #expect(response.status == .ok)
                    #expect(response.url.port != hub.faultToken.url.port || response.url.host != hub.faultToken.url.host)
                    let body = try await response.body.collect(upTo: 1 << 20)
                    #expect(RegistryFixtures.sha256(body.readableBytesView) == pushed.layer.description)
                    let state = try await hub.faultToken.state()
                    #expect(state.cdnRequests == 1, "one layer GET, redirected once")
                    #expect(state.cdnRequestsWithAuthorization == 0)
                    #expect(state.cdnRejected == 0)
                }
            }
        }
    }

    @Test("login stores credentials as docker does and logout removes them")
    func loginAndLogout() async throws {
        let hub = try LocalHub.required()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await RegistryFixtures.withClient(try client(hub, registry: hub.token.host)) { client in
            try await client.login(
                registry: hub.token.host, username: hub.user.username, password: hub.user.password,
                configDirectory: directory.url)
            let store = DockerCredentialStore(directory: directory.url)
            #expect(try await store.credentials(forRegistry: hub.token.host)
                == .basic(username: hub.user.username, password: hub.user.password))
            let json = try TestJSON(parsing: Data(contentsOf: directory.appending("config.json")))
            let expected = Data("\(hub.user.username):\(hub.user.password)".utf8).base64EncodedString()
            #expect(json["auths"]?[hub.token.host]?["auth"]?.string == expected)

            try await client.logout(registry: hub.token.host, configDirectory: directory.url)
            #expect(try await store.credentials(forRegistry: hub.token.host) == nil)
        }
    }
}

/// Token expiry needs a token service whose tokens live 10 seconds (long enough that a loaded machine does not
/// expire them in the middle of one request): this suite has one of its own (and its registry),
/// so no other test ever sees such short-lived tokens.
@Suite(
    "RegistryClient with short-lived tokens", .requiresLocalHub, .tags(.integration),
    .privateLocalHub(.init(tokenLifetime: 10, exactExpiry: true, components: ["token"])))
struct RegistryTokenExpiryTests {
    func client(_ hub: LocalHub, username: String, password: String, registry: String) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        return try RegistryClient(
            configuration: configuration,
            credentials: StaticCredentials(.basic(username: username, password: password), forRegistry: registry))
    }

    @Test("a token that expires mid-sequence is renewed transparently")
    func tokenExpiryMidSequence() async throws {
        let hub = try LocalHub.required()
        let path = "\(hub.user.username)/expiry-\(RegistryFixtures.uniqueSuffix())"
        let reference = try ImageReference(normalizing: "\(hub.token.host)/\(path):v1")
        do {
            try await RegistryFixtures.withClient(
                try client(hub, username: hub.user.username, password: hub.user.password, registry: hub.token.host)
            ) { client in
                let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
                #expect(try await client.manifest(for: reference).digest == pushed.manifest.digest)
                let mark = hub.tokenServer.logMark()
                try await Task.sleep(for: .seconds(11.5))
                // The token fetched before the pause is past its expiry; the sequence goes on.
                #expect(try await client.manifest(for: reference).digest == pushed.manifest.digest)
                #expect(try await client.tags(in: reference.repository).collect() == ["v1"])
                // A new token was fetched after the old one expired.
                let renewed = try hub.tokenServer.requests(forRepository: path, since: mark).filter { $0.status == 200 && $0.grant == "basic" }
                #expect(renewed.count >= 1)
            }
        }
    }
}
