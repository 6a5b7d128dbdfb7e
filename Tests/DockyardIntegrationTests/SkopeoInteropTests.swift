import DockyardAuth
import DockyardTestSupport
import Foundation
import Testing

/// Login files written by skopeo are read by Dockyard, and the other way round (`skopeo --authfile`).
@Suite("Login files shared with skopeo", .tags(.integration), .requiresSkopeo)
struct SkopeoInteropTests {
    @Test(.requiresLocalHub) func dockyardReadsWhatSkopeoLoginWrote() async throws {
        let hub = try LocalHub.required()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("auth.json")
        try await ProcessRunner.check(
            "skopeo",
            arguments: [
                "login", "--authfile", file.path, "--tls-verify=false", "-u", hub.basicAccount.username,
                "--password-stdin", hub.basic.host,
            ],
            stdin: Data(hub.basicAccount.password.utf8))
        let store = DockerCredentialStore(configFile: file)
        let expected = Credentials.basic(username: hub.basicAccount.username, password: hub.basicAccount.password)
        #expect(try await store.credentials(forRegistry: hub.basic.host) == expected)

        try await store.erase(forRegistry: hub.basic.host)
        let after = try await ProcessRunner.run("skopeo", arguments: ["login", "--get-login", "--authfile", file.path, hub.basic.host])
        #expect(!after.succeeded)
    }

    @Test func skopeoReadsWhatDockyardStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("auth.json")
        let store = DockerCredentialStore(configFile: file)
        try await store.store(.basic(username: "hub-user", password: "hub-pass"), forRegistry: "docker.io")
        try await store.store(.basic(username: "local-user", password: "local-pass"), forRegistry: "127.0.0.1:5999")

        for (registry, username) in [("docker.io", "hub-user"), ("127.0.0.1:5999", "local-user")] {
            let result = try await ProcessRunner.check(
                "skopeo", arguments: ["login", "--get-login", "--authfile", file.path, registry])
            #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == username)
        }
    }
}
