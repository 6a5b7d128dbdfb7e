import ArgumentParser
import Dockyard
import Foundation

/// `dockyard`: a command-line client for Docker Hub and OCI registries, built on Dockyard's public API only.
///
/// Exit status (a contract): 0 on success, 1 on failure with a one-line error on stderr, 2 on a usage error.
@main
struct DockyardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dockyard",
        abstract: "Work with Docker Hub and any OCI / Docker Registry v2 registry.",
        version: "0.1.0",
        subcommands: DockyardCommand.groups
    )

    /// The global options, accepted before the subcommand too (`dockyard --json tags REPO`); ArgumentParser hands
    /// them to the subcommand's own `GlobalOptions` group.
    @OptionGroup var global: GlobalOptions

    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exitForParserError(error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            // The command already reported (for example one line per invalid input); only the status is left.
            Foundation.exit(failure.status)
        } catch let error as ValidationError {
            // Thrown by a command's run(): show that command's usage, not the root's.
            exitForUsageError(error, in: type(of: command))
        } catch let error as ExitCode {
            Foundation.exit(error.rawValue)
        } catch let error as CleanExit {
            exitForParserError(error)
        } catch {
            // `--help` parses into a help command whose `run()` throws ArgumentParser's own error.
            let code = exitCode(for: error)
            if code == .success || code == .validationFailure { exitForParserError(error) }
            Output.error(error)
            Foundation.exit(1)
        }
    }

    /// Prints a usage error raised while a command ran, with that command's full usage line, and exits 2.
    private static func exitForUsageError(_ error: ValidationError, in command: any ParsableCommand.Type) -> Never {
        let path = commandPath(to: command, from: DockyardCommand.self) ?? [command._commandName]
        var usage = command.usageString()
        if usage.hasPrefix(command._commandName) { usage = path.joined(separator: " ") + usage.dropFirst(command._commandName.count) }
        Output.diagnostic("Error: \(error.message)\nUsage: \(usage)\n  See '\(path.joined(separator: " ")) --help' for more information.")
        Foundation.exit(2)
    }

    /// The command names from `root` down to `target`, e.g. `["dockyard", "manifest", "put"]`.
    private static func commandPath(to target: any ParsableCommand.Type, from root: any ParsableCommand.Type) -> [String]? {
        if root == target { return [root._commandName] }
        for child in root.configuration.subcommands {
            if let rest = commandPath(to: target, from: child) { return [root._commandName] + rest }
        }
        return nil
    }

    /// Prints ArgumentParser's message (help to stdout, usage errors to stderr) and exits 0 or 2.
    private static func exitForParserError(_ error: any Error) -> Never {
        let message = fullMessage(for: error)
        if exitCode(for: error) == .success {
            if !message.isEmpty { Output.line(message) }
            Foundation.exit(0)
        }
        if !message.isEmpty { Output.diagnostic(message) }
        Foundation.exit(2)
    }
}

/// Thrown by a command that has already written its own diagnostics and only needs to set the exit status.
struct CommandFailure: Error {
    /// The process exit status.
    var status: Int32 = 1
}
