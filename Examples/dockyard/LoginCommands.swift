import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard login [REGISTRY] -u USER --password-stdin`
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to a registry: verify the credentials, then store them as docker does.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The registry (default: Docker Hub).")
        var registry: String = "docker.io"

        @Option(name: .shortAndLong, help: "The user name.")
        var username: String

        @Flag(name: .customLong("password-stdin"), help: "Read the password or access token from standard input.")
        var passwordStdin = false

        func validate() throws {
            guard passwordStdin else {
                throw ValidationError("pass the password on standard input with --password-stdin")
            }
            guard !username.isEmpty else { throw ValidationError("the user name must not be empty") }
        }

        func run() async throws {
            let password = try ClientFactory.passwordFromStandardInput()
            let directory = ClientFactory.configDirectory(global)
            try await ClientFactory.withClient(global) { client in
                try await client.login(
                    registry: registry, username: username, password: password, configDirectory: directory)
            }
            if global.json {
                Output.jsonObject(["registry": .string(registry), "username": .string(username), "status": .string("logged in")])
            } else if !global.quiet {
                Output.line("Login Succeeded")
            }
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
