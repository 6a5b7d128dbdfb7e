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

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            // Already reported (for example one line per invalid input); just set the status.
            exit(failure.status)
        } catch {
            let code = exitCode(for: error)
            if code == ExitCode.success.rawValue || isUsageOrHelp(error) {
                exit(withError: code == ExitCode.success.rawValue ? nil : error)
            }
            Output.error(error)
            Foundation.exit(1)
        }
    }

    /// Exits with ArgumentParser's message, mapping its usage status to 2.
    private static func exit(withError error: (any Error)?) -> Never {
        guard let error else { Foundation.exit(0) }
        let message = fullMessage(for: error)
        if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        let code = exitCode(for: error)
        Foundation.exit(code == ExitCode.success.rawValue ? 0 : (code == ExitCode.validationFailure.rawValue ? 2 : code))
    }

    private static func exit(_ status: Int32) -> Never { Foundation.exit(status) }

    private static func isUsageOrHelp(_ error: any Error) -> Bool {
        if error is ValidationError || error is CleanExit { return true }
        let code = exitCode(for: error)
        return code == ExitCode.validationFailure.rawValue || code == ExitCode.success.rawValue
            || String(describing: type(of: error)).contains("CommandError")
    }
}

/// Thrown by a command that has already written its own diagnostics and only needs to set the exit status.
struct CommandFailure: Error {
    var status: Int32 = 1
}
