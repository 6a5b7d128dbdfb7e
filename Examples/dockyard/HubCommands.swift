import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard hub …`: the Docker Hub REST API.
    struct Hub: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with Docker Hub: repositories, tags, organizations, teams, tokens, webhooks and builds.",
            subcommands: [Login.self, Logout.self, Whoami.self, Repo.self, Tag.self, Org.self, Member.self, Invite.self,
                          Invites.self, Team.self, Token.self, Webhook.self, Build.self, AuditLog.self])
    }
}

extension DockyardCommand.Hub {
    /// `dockyard hub login -u USER --password-stdin [--otp CODE]`
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to Docker Hub and keep the session in the docker credential store.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions

        @Option(name: .shortAndLong, help: "The Docker ID (or organization, for an organization access token).")
        var username: String

        @Flag(name: .customLong("password-stdin"), help: "Read the password or access token from standard input.")
        var passwordStdin = false

        @Option(help: "The two-factor authentication code, for accounts that need one.")
        var otp: String?

        func validate() throws {
            guard passwordStdin else { throw ValidationError("pass the password on standard input with --password-stdin") }
            guard !username.isEmpty else { throw ValidationError("the user name must not be empty") }
        }

        func run() async throws {
            let secret = try ClientFactory.passwordFromStandardInput()
            let login = HubLogin(username: username, secret: secret)
            let code = otp
            let store = try HubCLI.sessionStore(global, hub)
            try await HubCLI.withClient(global, hub, useKeptSession: false) { client in
                try await client.login(login, twoFactorCode: {
                    if let code { return code }
                    if let typed = HubCLI.promptOnTerminal("Two-factor authentication code: "), !typed.isEmpty { return typed }
                    throw HubAPIError(.twoFactorRequired, message: "the account has two-factor authentication and no code was given")
                }, savingTo: store)
            }
            HubCLI.printDone(global, ["username": .string(username), "key": .string(store.key), "status": .string("logged in")], text: "Login Succeeded")
        }
    }

    /// `dockyard hub logout`
    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget the kept Docker Hub session.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions

        func run() async throws {
            let store = try HubCLI.sessionStore(global, hub)
            let found = try await store.erase()
            HubCLI.printDone(global, ["key": .string(store.key), "found": .bool(found), "status": .string("logged out")],
                             text: found ? "Removing login credentials for \(store.key)" : "Not logged in to \(store.key)")
        }
    }
}

