import DockyardAuth
import Testing

@Suite("Credentials")
struct CredentialsTests {
    @Test func descriptionRedactsSecrets() {
        let basic = Credentials.basic(username: "alice", password: "s3cret-pass")
        #expect(basic.description == "basic(username: alice, password: <redacted>)")
        #expect("\(basic)" == "basic(username: alice, password: <redacted>)")
        #expect(String(reflecting: basic) == "basic(username: alice, password: <redacted>)")
        var dumped = ""
        dump(basic, to: &dumped)
        #expect(!dumped.contains("s3cret-pass"))
        #expect(Credentials.identityToken("tok-123").description == "identityToken(<redacted>)")
        #expect(Credentials.registryToken("tok-456").description == "registryToken(<redacted>)")
        #expect(!"\([basic, .identityToken("tok-123")])".contains("tok-123"))
    }

    @Test func staticCredentialsMatchAliasesAndHosts() async throws {
        let provider = StaticCredentials([
            "docker.io": .basic(username: "hub", password: "p"),
            "https://ghcr.io/v1/": .registryToken("t"),
            "127.0.0.1:5000": .identityToken("i"),
        ])
        for alias in ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/"] {
            #expect(try await provider.credentials(forRegistry: alias)?.username == "hub")
        }
        #expect(try await provider.credentials(forRegistry: "ghcr.io") == .registryToken("t"))
        #expect(try await provider.credentials(forRegistry: "127.0.0.1:5000") == .identityToken("i"))
        #expect(try await provider.credentials(forRegistry: "127.0.0.1:5001") == nil)
        #expect(try await AnonymousCredentials().credentials(forRegistry: "docker.io") == nil)
    }

    @Test func authErrorDescriptionIsItsMessage() {
        let error = AuthError(.invalidCredentials, message: "incorrect username or password", registry: "docker.io", status: 401)
        #expect(error.description == "incorrect username or password")
        #expect(error.code.description == "invalidCredentials")
    }
}

@Suite("AuthEntry redaction")
struct AuthEntryRedactionTests {
    @Test func entryDescriptionNamesFieldsButNoSecrets() {
        let entry = DockerConfig.AuthEntry(credentials: .basic(username: "alice", password: "pw-123"))
        #expect(entry.description == "AuthEntry(auth: <redacted>)")
        var dumped = ""
        dump(entry, to: &dumped)
        #expect(!dumped.contains(entry.auth ?? "unset"))
        var token = DockerConfig.AuthEntry(credentials: .identityToken("id-token-9"))
        token.username = "alice"
        #expect(token.description == "AuthEntry(username: alice, identitytoken: <redacted>)")
    }
}
