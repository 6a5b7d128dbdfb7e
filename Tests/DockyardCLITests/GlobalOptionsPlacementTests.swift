import DockyardTestSupport
import Foundation
import Testing

/// Global options work on either side of the subcommand: `dockyard --json tags R` and `dockyard tags --json R`.
@Suite("dockyard global options and usage errors", .requiresDockyardBinary)
struct GlobalOptionsPlacementTests {
    static let placements: [[String]] = [
        ["--json", "reference", "nginx:1.27"],
        ["reference", "--json", "nginx:1.27"],
        ["reference", "nginx:1.27", "--json"],
        ["--config", "/nonexistent-dockyard-config", "--json", "reference", "nginx:1.27"],
    ]

    @Test("--json before or after the subcommand gives the same JSON line", arguments: placements)
    func jsonPlacement(_ arguments: [String]) async throws {
        let result = try await DockyardCLI().run(arguments)
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == 1)
        #expect(result.stdoutText.hasPrefix("{\"input\":\"nginx:1.27\",\"valid\":true,"))
        #expect(result.stdoutText.contains("\"normalized\":\"docker.io/library/nginx:1.27\""))
    }

    @Test("a usage error found while a command runs shows that command's usage and exits 2")
    func usageErrorFromRun() async throws {
        // `blob get` needs REPO@DIGEST; the check happens in run(), after parsing.
        let result = try await DockyardCLI().run(["blob", "get", "localhost:5000/x/y:latest"])
        #expect(result.status == 2)
        #expect(result.stderrText.contains("Usage: dockyard blob get "))
        #expect(result.stderrText.contains("See 'dockyard blob get --help'"))
    }

    @Test("bare dockyard prints its help and exits 0")
    func bareCommand() async throws {
        let result = try await DockyardCLI().run([String]())
        #expect(result.status == 0)
        #expect(result.stdoutText.contains("SUBCOMMANDS"))
    }
}
