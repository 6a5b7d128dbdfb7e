import ArgumentParser
import Dockyard
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DockyardCommand {
    /// `dockyard login [REGISTRY] [-u USER] [--password-stdin]`, like `docker login`.
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to a registry: verify the credentials, then store them as docker does.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The registry (default: Docker Hub).")
        var registry: String = "docker.io"

        @Option(name: .shortAndLong, help: "The user name (asked for on a terminal when not given).")
        var username: String?

        @Flag(name: .customLong("password-stdin"), help: "Read the password or access token from standard input.")
        var passwordStdin = false

        func validate() throws {
            if let username, username.isEmpty { throw ValidationError("the user name must not be empty") }
            guard passwordStdin || Terminal.isInteractive else {
                throw ValidationError(
                    "cannot perform an interactive login from a non TTY device; pass the password on standard input with --password-stdin")
            }
            if passwordStdin, username == nil {
                throw ValidationError("must provide --username with --password-stdin")
            }
        }

        func run() async throws {
            let user: String
            if let username {
                user = username
            } else {
                guard let typed = Terminal.prompt("Username: ", echo: true), !typed.isEmpty else {
                    throw ValidationError("the user name must not be empty")
                }
                user = typed
            }
            let password: String
            if passwordStdin {
                password = try ClientFactory.passwordFromStandardInput()
            } else {
                guard let typed = Terminal.prompt("Password: ", echo: false), !typed.isEmpty else {
                    throw ValidationError("the password must not be empty")
                }
                password = typed
            }
            let directory = ClientFactory.configDirectory(global)
            try await ClientFactory.withClient(global) { client in
                try await client.login(registry: registry, username: user, password: password, configDirectory: directory)
            }
            if global.json {
                Output.jsonObject(["registry": .string(registry), "username": .string(user), "status": .string("logged in")])
                return
            }
            if !global.quiet, let warning = Login.unencryptedWarning(registry: registry, directory: directory) {
                FileHandle.standardError.write(Data(warning.utf8))
            }
            if !global.quiet { Output.line("Login Succeeded") }
        }

        /// docker's warning when the password went into `config.json` itself (no credential helper for the
        /// registry), or `nil` when a helper keeps it.
        static func unencryptedWarning(registry: String, directory: URL?) -> String? {
            let folder = directory ?? DockerConfig.defaultDirectory
            let store = DockerCredentialStore(directory: folder)
            let key = registry == "docker.io" || registry == "index.docker.io" ? DockerConfig.dockerHubKey : registry
            guard (try? store.helper(forRegistry: key)) == nil else { return nil }
            let path = folder.appendingPathComponent("config.json").path
            return "WARNING! Your credentials are stored unencrypted in '\(path)'.\n"
                + "Configure a credential helper to remove this warning. See\n"
                + "https://docs.docker.com/go/credential-store/\n\n"
        }
    }

    /// `dockyard logout [REGISTRY]`
    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the stored credentials of a registry.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The registry (default: Docker Hub).")
        var registry: String = "docker.io"

        func run() async throws {
            let directory = ClientFactory.configDirectory(global)
            let removed = try await ClientFactory.withClient(global) { client in
                try await client.logout(registry: registry, configDirectory: directory)
            }
            if global.json {
                Output.jsonObject(["registry": .string(registry), "removed": .bool(removed)])
            } else if !global.quiet {
                Output.line(removed ? "Removed login credentials for \(registry)" : "Not logged in to \(registry)")
            }
        }
    }
}

/// The controlling terminal, for docker-style prompts.
enum Terminal {
    /// Whether standard input is a terminal a person types at.
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 }

    /// Writes `question` to standard error and reads one line from standard input; with `echo` off, the typed
    /// characters are not shown (as docker's password prompt). `nil` without a terminal or at end of input.
    static func prompt(_ question: String, echo: Bool) -> String? {
        guard isInteractive else { return nil }
        FileHandle.standardError.write(Data(question.utf8))
        var saved = termios()
        let canHide = !echo && tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var hidden = saved
            hidden.c_lflag &= ~tcflag_t(ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
        }
        defer {
            if canHide {
                _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        guard let line = readLine(strippingNewline: true) else { return nil }
        return line.trimmingCharacters(in: .whitespaces)
    }
}
