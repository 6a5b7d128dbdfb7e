import DockyardAuth
@testable import DockyardHubAPI
import Foundation
import Testing

@Suite("HubSessionStore")
struct HubSessionStoreTests {
    func withStore(_ body: (DockerCredentialStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hub-session-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(DockerCredentialStore(directory: directory, environment: [:]))
    }

    @Test("a two-factor session is kept as a token under the Hub's key and read back")
    func keepsSession() async throws {
        try await withStore { store in
            let sessions = HubSessionStore(store: store, hubURL: try #require(URL(string: "http://127.0.0.1:4000")))
            #expect(sessions.key == "127.0.0.1:4000")
            #expect(try await sessions.load() == nil)
            let token = HubToken(accessToken: "a.b.c", refreshToken: "refresh")
            try await sessions.save(.password(username: "bob", password: "secret-password"), token: token, keepSession: true)
            guard case .session(let kept) = try await sessions.load() else {
                Issue.record("expected a kept session")
                return
            }
            #expect(kept.accessToken == "a.b.c")
            #expect(kept.refreshToken == "refresh")
            let raw = try String(contentsOf: store.configFile, encoding: .utf8)
            #expect(!raw.contains("secret-password"))
            #expect(try await sessions.erase())
            #expect(try await sessions.load() == nil)
        }
    }

    @Test("a plain login keeps the secret; docker.io credentials are the fallback for the real Hub only")
    func keepsSecret() async throws {
        try await withStore { store in
            let elsewhere = HubSessionStore(store: store, hubURL: try #require(URL(string: "http://127.0.0.1:4000")))
            try await store.store(.basic(username: "carol", password: "dckr_pat_xyz"), forRegistry: "docker.io")
            #expect(try await elsewhere.load() == nil, "docker.io credentials must not go to another server")
            let plain = HubSessionStore(store: store, hubURL: try #require(URL(string: "http://hub.docker.com")))
            #expect(plain.key == "hub.docker.com")
            #expect(try await plain.load() == nil, "docker.io credentials must not go out over plain HTTP")
            let sessions = HubSessionStore(store: store)
            #expect(sessions.key == "hub.docker.com")
            try await store.store(.basic(username: "carol", password: "dckr_pat_xyz"), forRegistry: "docker.io")
            guard case .personalAccessToken(let user, let token) = try await sessions.load() else {
                Issue.record("expected the docker.io PAT")
                return
            }
            #expect(user == "carol" && token == "dckr_pat_xyz")
            try await sessions.save(.password(username: "alice", password: "alice-password-1"), token: HubToken(accessToken: "x"), keepSession: false)
            guard case .password(let name, _) = try await sessions.load() else {
                Issue.record("expected the kept password")
                return
            }
            #expect(name == "alice")
        }
    }

    @Test("implicit logins read docker.io credentials only for https://hub.docker.com", arguments: [
        ("https://hub.docker.com", "https://index.docker.io/v1/"),
        ("https://HUB.docker.com/", "https://index.docker.io/v1/"),
        ("http://hub.docker.com", "hub.docker.com"),
        ("https://hub.docker.com:8443", "hub.docker.com:8443"),
        ("http://127.0.0.1:4000", "127.0.0.1:4000"),
    ])
    func credentialKey(base: String, key: String) throws {
        let configuration = HubClient.Configuration(baseURL: try #require(URL(string: base)))
        #expect(configuration.effectiveCredentialKey == key)
    }
}
