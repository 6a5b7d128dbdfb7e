import DockyardAuth
import DockyardTestSupport
import Foundation
import Testing

/// A scratch directory with the test credential helper on `PATH` and its secrets file.
final class HelperSandbox {
    let directory: TemporaryDirectory
    let secrets: URL
    var environment: [String: String]

    init(mode: String? = nil) throws {
        directory = try TemporaryDirectory()
        secrets = directory.appending("secrets.json")
        var environment = ProcessInfo.processInfo.environment
        let helperDirectory = TestFixtures.url("credential-helper").path
        environment["PATH"] = helperDirectory + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["DOCKYARD_TEST_CREDS_FILE"] = secrets.path
        environment["DOCKYARD_TEST_HELPER_MODE"] = mode
        self.environment = environment
    }

    deinit { directory.remove() }

    func helper(timeout: Duration = .seconds(30)) throws(AuthError) -> CredentialHelper {
        try CredentialHelper(name: "dockyard-test", environment: environment, timeout: timeout)
    }

    func calls() -> [String] {
        let text = (try? String(contentsOf: URL(fileURLWithPath: secrets.path + ".calls"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func seed(_ entries: [String: (String, String)]) throws {
        let object = entries.mapValues { ["Username": $0.0, "Secret": $0.1] }
        try JSONSerialization.data(withJSONObject: object).write(to: secrets)
    }
}

@Suite("CredentialHelper")
struct CredentialHelperTests {
    @Test func storeGetListErase() async throws {
        let sandbox = try HelperSandbox()
        let helper = try sandbox.helper()
        #expect(try await helper.get(serverURL: "r.example") == nil)
        try await helper.store(.basic(username: "alice", password: "pw"), serverURL: "r.example")
        try await helper.store(.identityToken("refresh-xyz"), serverURL: "https://index.docker.io/v1/")
        #expect(try await helper.get(serverURL: "r.example") == .basic(username: "alice", password: "pw"))
        #expect(try await helper.get(serverURL: "https://index.docker.io/v1/") == .identityToken("refresh-xyz"))
        #expect(try await helper.list() == ["r.example": "alice", "https://index.docker.io/v1/": "<token>"])
        try await helper.erase(serverURL: "r.example")
        try await helper.erase(serverURL: "r.example")  // erasing nothing succeeds
        #expect(try await helper.get(serverURL: "r.example") == nil)
        #expect(sandbox.calls() == ["get", "store", "store", "get", "get", "list", "erase", "erase", "get"])
    }

    @Test func missingHelperIsTypedError() {
        #expect {
            try CredentialHelper(name: "dockyard-does-not-exist", environment: ["PATH": "/nonexistent"])
        } throws: { error in
            (error as? AuthError)?.code == .credentialHelperNotFound
        }
    }

    @Test func failureMessageNeverContainsTheSecret() async throws {
        let sandbox = try HelperSandbox(mode: "fail")
        let helper = try sandbox.helper()
        do {
            try await helper.store(.basic(username: "alice", password: "TOP-SECRET-42"), serverURL: "r.example")
            Issue.record("store should have failed")
        } catch {
            #expect(error.code == .credentialHelperFailed)
            #expect(error.description.contains("helper failed on input"))
            #expect(!error.description.contains("TOP-SECRET-42"))
        }
    }

    @Test func failingHelperThatPrintedCredentialsDoesNotLeakThem() async throws {
        // Helpers print their error messages on stdout; one that printed the credentials JSON and then exited
        // non-zero must not put the secret into the error.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = #"""
            #!/bin/sh
            cat >/dev/null
            printf '{"ServerURL":"r.example","Username":"alice","Secret":"LEAKED-SECRET-7"}'
            exit 1
            """#
        let program = try directory.writeExecutable(script, named: "docker-credential-leaky")
        let helper = CredentialHelper(name: "leaky", executableURL: program)
        let error = try await #require(throws: AuthError.self) { try await helper.get(serverURL: "r.example") }
        #expect(error.code == .credentialHelperFailed)
        #expect(error.description.contains("exit status 1"), "\(error.description)")
        #expect(error.description.contains("<redacted>"), "\(error.description)")
        #expect(!error.description.contains("LEAKED-SECRET-7"))
    }

    @Test func printingAHelperOrStoreShowsNoEnvironmentValues() throws {
        let environment = ["PATH": "/usr/bin", "GITHUB_TOKEN": "ENV-SECRET-3"]
        let helper = CredentialHelper(
            name: "pass", executableURL: URL(fileURLWithPath: "/usr/bin/docker-credential-pass"), environment: environment)
        let store = DockerCredentialStore(configFile: URL(fileURLWithPath: "/tmp/config.json"), environment: environment)
        for printed in ["\(helper)", String(reflecting: helper), "\(store)", String(reflecting: store)] {
            #expect(!printed.contains("ENV-SECRET-3"), "\(printed)")
        }
        var dumped = ""
        dump(helper, to: &dumped)
        dump(store, to: &dumped)
        #expect(!dumped.contains("ENV-SECRET-3"), "\(dumped)")
        #expect("\(helper)".contains("docker-credential-pass"))
        #expect("\(store)" == "DockerCredentialStore(/tmp/config.json)")
    }

    @Test func garbageAnswerIsTypedError() async throws {
        let sandbox = try HelperSandbox(mode: "garbage")
        try sandbox.seed(["r.example": ("u", "p")])
        await #expect(throws: AuthError.self) { try await sandbox.helper().get(serverURL: "r.example") }
    }

    /// A helper that never answers: only the helper timeout ends this test (the time limit fails it otherwise).
    @Test(.timeLimit(.minutes(1)))
    func hangingHelperTimesOut() async throws {
        let sandbox = try HelperSandbox(mode: "hang")
        do {
            _ = try await sandbox.helper(timeout: .milliseconds(500)).get(serverURL: "r.example")
            Issue.record("get should have timed out")
        } catch {
            #expect(error.code == .credentialHelperFailed)
            #expect(error.description.contains("did not finish"))
        }
    }

    /// A deadlock would end in the helper timeout, whose error is also an AuthError: the check requires the parse
    /// error that only a helper read to its end produces, so a timeout fails the test instead of passing it.
    @Test(.timeLimit(.minutes(2)))
    func largeOutputOnBothStreamsDoesNotDeadlock() async throws {
        let sandbox = try HelperSandbox(mode: "flood")
        let helper = try sandbox.helper(timeout: .seconds(60))
        // The helper writes 1 MiB to stdout and to stderr before reading its input; then it fails to parse the
        // flooded stdout as JSON, which must surface as a typed error rather than a hang.
        let error = await #expect(throws: AuthError.self) { try await helper.list() }
        #expect(error?.code == .credentialHelperFailed)
        #expect(error?.description.contains("did not finish") == false, "the helper timed out: \(String(describing: error))")
        #expect(error?.description.contains("not a JSON object") == true, "\(String(describing: error))")
    }
}

@Suite("DockerCredentialStore")
struct DockerCredentialStoreTests {
    private func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func readsAuthsWithHubAliases() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Data(
            #"{"auths": {"https://index.docker.io/v1/": {"auth": "\#(base64("hub:pw"))"}, "127.0.0.1:5000": {"identitytoken": "it"}}}"#
                .utf8
        ).write(to: directory.appending("config.json"))
        let store = DockerCredentialStore(directory: directory.url)
        for alias in ["docker.io", "index.docker.io", "registry-1.docker.io"] {
            #expect(try await store.credentials(forRegistry: alias) == .basic(username: "hub", password: "pw"))
        }
        #expect(try await store.credentials(forRegistry: "127.0.0.1:5000") == .identityToken("it"))
        #expect(try await store.credentials(forRegistry: "ghcr.io") == nil)
    }

    @Test func storesInAuthsLikeDockerWithoutHelper() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("config.json")
        try Data(#"{"auths": {"docker.io": {"auth": "\#(base64("old:old"))"}}, "psFormat": "x"}"#.utf8).write(to: file)
        let store = DockerCredentialStore(directory: directory.url)
        try await store.store(.basic(username: "alice", password: "pw"), forRegistry: "docker.io")
        try await store.store(.basic(username: "bob", password: "pw2"), forRegistry: "127.0.0.1:5000")

        let json = try TestJSON(parsing: Data(contentsOf: file))
        #expect(json["auths"]?.object?.keys.sorted() == ["127.0.0.1:5000", "https://index.docker.io/v1/"])
        #expect(json["auths"]?["https://index.docker.io/v1/"]?["auth"]?.string == base64("alice:pw"))
        #expect(json["psFormat"]?.string == "x")
        #expect(try await store.credentials(forRegistry: "docker.io") == .basic(username: "alice", password: "pw"))

        #expect(try await store.erase(forRegistry: "registry-1.docker.io"))
        #expect(try await store.credentials(forRegistry: "docker.io") == nil)
        #expect(try await store.erase(forRegistry: "docker.io") == false)
        #expect(try await store.credentials(forRegistry: "127.0.0.1:5000")?.username == "bob")
    }

    @Test func credsStoreHoldsSecretsAndLeavesEmptyAuthsEntry() async throws {
        let sandbox = try HelperSandbox()
        let file = sandbox.directory.appending("config.json")
        try Data(#"{"credsStore": "dockyard-test"}"#.utf8).write(to: file)
        let store = DockerCredentialStore(configFile: file, environment: sandbox.environment)
        try await store.store(.basic(username: "alice", password: "pw"), forRegistry: "docker.io")

        let json = try TestJSON(parsing: Data(contentsOf: file))
        #expect(json["auths"]?["https://index.docker.io/v1/"]?.object == [:])
        #expect(json["credsStore"]?.string == "dockyard-test")
        let secrets = try TestJSON(parsing: Data(contentsOf: sandbox.secrets))
        #expect(secrets["https://index.docker.io/v1/"]?["Secret"]?.string == "pw")
        #expect(try await store.credentials(forRegistry: "docker.io") == .basic(username: "alice", password: "pw"))

        try await store.erase(forRegistry: "docker.io")
        #expect(try TestJSON(parsing: Data(contentsOf: sandbox.secrets)).object == [:])
        #expect(try TestJSON(parsing: Data(contentsOf: file))["auths"]?.object == [:])
    }

    @Test func credHelpersOverrideCredsStorePerRegistry() async throws {
        let sandbox = try HelperSandbox()
        let file = sandbox.directory.appending("config.json")
        try Data(
            #"{"credsStore": "missing-store", "credHelpers": {"127.0.0.1:5000": "dockyard-test"}, "auths": {"ghcr.io": {}}}"#
                .utf8
        ).write(to: file)
        try sandbox.seed(["127.0.0.1:5000": ("<token>", "refresh-abc")])
        let store = DockerCredentialStore(configFile: file, environment: sandbox.environment)
        #expect(try await store.credentials(forRegistry: "127.0.0.1:5000") == .identityToken("refresh-abc"))
        // Other registries use credsStore, whose helper is not installed: a typed error that says what to do.
        await #expect {
            try await store.credentials(forRegistry: "ghcr.io")
        } throws: { error in
            (error as? AuthError)?.code == .credentialHelperNotFound
                && (error as? AuthError)?.description.contains("docker-credential-missing-store") == true
        }
    }

    @Test func helperWithoutEntryFallsBackToAuths() async throws {
        let sandbox = try HelperSandbox()
        let file = sandbox.directory.appending("config.json")
        try Data(#"{"credsStore": "dockyard-test", "auths": {"docker.io": {"auth": "\#(base64("sk:opeo"))"}}}"#.utf8)
            .write(to: file)
        let store = DockerCredentialStore(configFile: file, environment: sandbox.environment)
        #expect(try await store.credentials(forRegistry: "docker.io") == .basic(username: "sk", password: "opeo"))
        #expect(sandbox.calls() == ["get"])
    }

    @Test func malformedConfigIsTypedError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Data("{ not json".utf8).write(to: directory.appending("config.json"))
        await #expect {
            try await DockerCredentialStore(directory: directory.url).credentials(forRegistry: "docker.io")
        } throws: { error in
            (error as? AuthError)?.code == .malformedConfig
        }
    }
}
