import DockyardTestSupport
import Foundation
import Testing

/// `dockyard login` prints what `docker login` prints, line by line.
@Suite("dockyard login looks like docker login", .requiresLocalHub, .serialized)
struct LoginLookTests {
    @Test("Login Succeeded on stdout; docker's unencrypted-storage warning on stderr; no prompt without a terminal")
    func dockerLines() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.url.path

        let good = try await cli.run(
            ["login", hub.token.host, "-u", hub.user.username, "--password-stdin", "--config", config],
            stdin: Data("\(hub.user.password)\n".utf8))
        #expect(good.status == 0, "\(good.stderrText)")
        #expect(good.stdoutLines.filter { !$0.isEmpty } == ["Login Succeeded"])
        let path = directory.appending("config.json").path
        #expect(good.stderrText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) == [
            "WARNING! Your credentials are stored unencrypted in '\(path)'.",
            "Configure a credential helper to remove this warning. See",
            "https://docs.docker.com/go/credential-store/",
            "",
            "",
        ])

        // Standard input is not a terminal here: docker refuses an interactive login, and so does dockyard (usage, 2).
        let interactive = try await cli.run(["login", hub.token.host, "--config", config])
        #expect(interactive.status == 2)
        #expect(interactive.stderrText.contains("non TTY"))
        let noUser = try await cli.run(["login", hub.token.host, "--password-stdin", "--config", config], stdin: Data("x\n".utf8))
        #expect(noUser.status == 2)

        // --json is unchanged.
        let json = try await cli.run(
            ["login", hub.token.host, "-u", hub.user.username, "--password-stdin", "--config", config, "--json"],
            stdin: Data("\(hub.user.password)\n".utf8))
        let object = try TestJSON(parsing: json.stdoutText)
        #expect(object["status"]?.string == "logged in")
        #expect(object["username"]?.string == hub.user.username)
    }
}
