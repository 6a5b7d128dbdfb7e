import DockyardAuth
import DockyardTestSupport
import Foundation
import Testing

@Suite("DockerConfig")
struct DockerConfigTests {
    private func config(_ json: String) throws -> DockerConfig {
        try DockerConfig(data: Data(json.utf8))
    }

    private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func readsBase64Auth() throws {
        let config = try config(#"{"auths": {"ghcr.io": {"auth": "\#(base64("alice:pa:ss"))"}}}"#)
        let entry = try #require(config.auths["ghcr.io"])
        #expect(try entry.credentials() == .basic(username: "alice", password: "pa:ss"))
    }

    @Test func readsAuthWithoutPadding() throws {
        let padded = base64("bob:x")  // "Ym9iOng=" has one '='
        let config = try config(#"{"auths": {"r": {"auth": "\#(padded.replacingOccurrences(of: "=", with: ""))"}}}"#)
        #expect(try config.auths["r"]?.credentials() == .basic(username: "bob", password: "x"))
    }

    @Test func readsUsernamePasswordIdentityAndRegistryTokens() throws {
        let config = try config(
            #"""
            {"auths": {
              "a.example": {"username": "u", "password": "p"},
              "b.example": {"auth": "\#(base64("u:"))", "identitytoken": "refresh-1"},
              "c.example": {"registrytoken": "bearer-1"},
              "d.example": {}
            }}
            """#)
        #expect(try config.auths["a.example"]?.credentials() == .basic(username: "u", password: "p"))
        #expect(try config.auths["b.example"]?.credentials() == .identityToken("refresh-1"))
        #expect(try config.auths["c.example"]?.credentials() == .registryToken("bearer-1"))
        #expect(try config.auths["d.example"]?.credentials() == nil)
    }

    @Test(
        "malformed files are typed errors",
        arguments: [
            "not json", "[]", #"{"auths": []}"#, #"{"auths": {"r": "x"}}"#, #"{"credsStore": 3}"#,
            #"{"credHelpers": {"r": 1}}"#, #"{"auths": {"r": {"auth": 5}}}"#,
        ])
    func malformedFile(_ json: String) {
        #expect {
            try config(json)
        } throws: { error in
            (error as? AuthError)?.code == .malformedConfig
        }
    }

    @Test(
        "malformed auth values are typed errors that do not echo the value",
        arguments: ["!!!not-base64!!!", Data("no-colon".utf8).base64EncodedString()])
    func malformedAuth(_ auth: String) throws {
        let config = try config(#"{"auths": {"r.example": {"auth": "\#(auth)"}}}"#)
        let entry = try #require(config.auths["r.example"])
        #expect {
            try entry.credentials(key: "r.example")
        } throws: { error in
            guard let error = error as? AuthError else { return false }
            return error.code == .malformedConfig && !error.description.contains(auth) && error.description.contains("r.example")
        }
    }

    @Test func keysFollowDocker() {
        for alias in ["docker.io", "index.docker.io", "registry-1.docker.io", "https://index.docker.io/v1/", "https://registry-1.docker.io"] {
            #expect(DockerConfig.key(forRegistry: alias) == "https://index.docker.io/v1/")
        }
        #expect(DockerConfig.key(forRegistry: "https://ghcr.io/v1/") == "ghcr.io")
        #expect(DockerConfig.key(forRegistry: "http://127.0.0.1:5000") == "127.0.0.1:5000")
        #expect(DockerConfig.key(forRegistry: "quay.io") == "quay.io")
        #expect(DockerConfig.hostname(ofKey: "https://index.docker.io/v1/") == "index.docker.io")
    }

    @Test func lookupMatchesAliasesAndSchemes() throws {
        let config = try config(
            #"{"auths": {"docker.io": {"auth": "\#(base64("hub:p"))"}, "https://ghcr.io/v1/": {"auth": "\#(base64("gh:p"))"}}}"#)
        #expect(config.authsKey(forRegistry: "registry-1.docker.io") == "docker.io")
        #expect(config.authsKey(forRegistry: "https://index.docker.io/v1/") == "docker.io")
        #expect(config.authsKey(forRegistry: "ghcr.io") == "https://ghcr.io/v1/")
        #expect(config.authsKey(forRegistry: "quay.io") == nil)
    }

    @Test func helperPrecedence() throws {
        let config = try config(#"{"credsStore": "desktop", "credHelpers": {"gcr.io": "gcloud", "https://index.docker.io/v1/": "hub"}}"#)
        #expect(config.credentialHelperName(forRegistry: "gcr.io") == "gcloud")
        #expect(config.credentialHelperName(forRegistry: "docker.io") == "hub")
        #expect(config.credentialHelperName(forRegistry: "quay.io") == "desktop")
        #expect(try self.config("{}").credentialHelperName(forRegistry: "quay.io") == nil)
    }

    @Test func saveKeepsUnknownKeysAtomicallyWithMode0600() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("config.json")
        let original = #"""
            {"auths": {"r.example": {"auth": "\#(base64("a:b"))", "email": "a@example.com"}},
             "psFormat": "table {{.ID}}", "proxies": {"default": {"httpProxy": "http://p:3128"}},
             "currentContext": "desktop-linux", "experimental": "enabled", "detachKeys": "ctrl-e,e", "n": 42}
            """#
        try Data(original.utf8).write(to: file)
        // An existing file keeps its mode, as with the docker CLI (issue 8); a new one is created 0600.
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        var config = try DockerConfig.load(from: file)
        config.auths["new.example"] = DockerConfig.AuthEntry(credentials: .basic(username: "n", password: "m"))
        try config.save(to: file)

        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let reread = try TestJSON(parsing: Data(contentsOf: file))
        #expect(reread["psFormat"]?.string == "table {{.ID}}")
        #expect(reread["proxies"]?["default"]?["httpProxy"]?.string == "http://p:3128")
        #expect(reread["currentContext"]?.string == "desktop-linux")
        #expect(reread["n"]?.int == 42)
        #expect(reread["auths"]?["r.example"]?["email"]?.string == "a@example.com")
        #expect(reread["auths"]?["new.example"]?["auth"]?.string == base64("n:m"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path)
        #expect(leftovers == ["config.json"])
    }

    @Test func missingOrEmptyFileIsEmptyConfig() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect(try DockerConfig.load(directory: directory.url) == DockerConfig())
        try Data("  \n".utf8).write(to: directory.appending("config.json"))
        #expect(try DockerConfig.load(directory: directory.url) == DockerConfig())
    }

    @Test func saveFollowsSymlinkAndCreatesDirectory() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let real = directory.appending("real", "config.json")
        var config = DockerConfig()
        config.auths["x"] = .init(credentials: .registryToken("t"))
        try config.save(to: real)
        let link = directory.appending("link.json")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: real)
        config.auths["y"] = .init(credentials: .identityToken("i"))
        try config.save(to: link)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path) == real.path)
        #expect(try DockerConfig.load(from: real).auths.keys.sorted() == ["x", "y"])
    }

    @Test func defaultDirectoryHonoursDockerConfig() {
        #expect(DockerConfig.defaultDirectory(environment: ["DOCKER_CONFIG": "/tmp/dc"]).path == "/tmp/dc")
        #expect(DockerConfig.defaultDirectory(environment: ["HOME": "/home/z"]).path == "/home/z/.docker")
    }
}
