import DockyardTestSupport
import Foundation
import Testing

/// The exit-status contract every `dockyard` command shares: 0 on success, 1 on failure with a one-line error on
/// stderr, 2 on a usage error.
@Suite("dockyard exit statuses", .requiresDockyardBinary)
struct CommandLineContractTests {
    static let usageErrors: [[String]] = [
        ["frobnicate"],                                  // unknown command
        ["reference"],                                   // missing REF
        ["reference", "--mode", "sideways", "ubuntu"],   // bad option value
        ["reference", "--no-such-flag", "ubuntu"],       // unknown option
        ["manifest", "validate"],                        // missing FILE
        ["manifest", "frobnicate"],                      // unknown subcommand
    ]

    @Test("usage errors exit 2 and explain themselves on stderr", arguments: usageErrors)
    func usageError(_ arguments: [String]) async throws {
        let result = try await DockyardCLI().run(arguments)
        #expect(result.status == 2, "stdout: \(result.stdoutText) stderr: \(result.stderrText)")
        #expect(!result.stderrText.isEmpty)
    }

    @Test("--help and --version exit 0")
    func helpAndVersion() async throws {
        let cli = try DockyardCLI()
        let help = try await cli.run("--help")
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("reference"))
        let version = try await cli.run("--version")
        #expect(version.status == 0)
        #expect(!version.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    @Test("a runtime failure exits 1 with one line on stderr")
    func runtimeFailure() async throws {
        // Nothing listens on port 9 of loopback: the request fails at run time, not at parse time.
        let result = try await DockyardCLI().run(
            ["tags", "127.0.0.1:9/nothing/here"], environment: ["DOCKER_CONFIG": FileManager.default.temporaryDirectory.path])
        #expect(result.status == 1, "stderr: \(result.stderrText)")
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderrText)")
        #expect(lines.first?.hasPrefix("dockyard: ") == true)
    }
}
