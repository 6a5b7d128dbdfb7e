import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub token list|create|update|revoke …` (personal access tokens; `--org` for organization tokens)
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Personal access tokens (or, with --org, organization access tokens).",
            subcommands: [List.self, Inspect.self, Create.self, Update.self, Revoke.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List tokens (secrets are never shown again).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Option(help: "List this organization's access tokens instead.") var org: String?

            func run() async throws {
                if let org {
                    let items = try await HubCLI.withClient(global, hub) { client in try await client.organizationAccessTokens(of: org).collect() }
                    try HubCLI.printList(items, global: global, headers: ["ID", "LABEL", "ACTIVE", "CREATED BY", "EXPIRES"]) { token in
                        [token.id, token.label, token.isActive ? "yes" : "no", token.createdBy ?? "", HubCLI.date(token.expiresAt)]
                    }
                } else {
                    let items = try await HubCLI.withClient(global, hub) { client in try await client.accessTokens().collect() }
                    try HubCLI.printList(items, global: global, headers: ["UUID", "LABEL", "SCOPES", "ACTIVE", "LAST USED", "EXPIRES"]) { token in
                        [token.uuid, token.label, token.scopes.joined(separator: ","), token.isActive ? "yes" : "no", HubCLI.date(token.lastUsed), HubCLI.date(token.expiresAt)]
                    }
                }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a token; its secret is printed this once.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Option(help: "The token's label.") var label: String
            @Option(name: .customLong("scope"), help: "repo:read, repo:write, repo:admin or repo:public_read (repeatable); for --org: repo-pull, repo-push.")
            var scopes: [String] = []
            @Option(help: "Create an organization access token for this organization.") var org: String?
            @Option(name: .customLong("repository"), help: "For --org: the repositories (NS/NAME or NS/*) the token may use (repeatable).")
            var repositories: [String] = []
            @Option(help: "Expiry, ISO 8601 (e.g. 2030-01-01T00:00:00Z).") var expires: String?

            func validate() throws {
                if scopes.isEmpty { throw ValidationError("pass at least one --scope") }
                if org != nil, repositories.isEmpty { throw ValidationError("--org needs at least one --repository") }
                if let expires, ISO8601DateFormatter().date(from: expires) == nil { throw ValidationError("--expires must be an ISO 8601 date") }
            }

            func run() async throws {
                let expiry = expires.flatMap { ISO8601DateFormatter().date(from: $0) }
                if let org {
                    let token = try await HubCLI.withClient(global, hub) { client in
                        try await client.createOrganizationAccessToken(
                            in: org, label: label, resources: repositories.map { .init(path: $0, scopes: scopes) }, expiresAt: expiry)
                    }
                    try HubCLI.printObject(token, global: global) { "Created \(token.label) (\(token.id)). Its secret, shown only now:\n\(token.token ?? "")" }
                } else {
                    let token = try await HubCLI.withClient(global, hub) { client in
                        try await client.createAccessToken(label: label, scopes: scopes, expiresAt: expiry)
                    }
                    try HubCLI.printObject(token, global: global) { "Created \(token.label) (\(token.uuid)). Its secret, shown only now:\n\(token.token ?? "")" }
                }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Rename, deactivate or reactivate a token.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The token's UUID (or id, with --org).") var id: String
            @Option(help: "A new label.") var label: String?
            @Flag(help: "Deactivate it.") var inactive = false
            @Flag(help: "Activate it.") var active = false
            @Option(help: "The token is this organization's.") var org: String?

            func validate() throws {
                if active && inactive { throw ValidationError("--active and --inactive exclude each other") }
                if label == nil, !active, !inactive { throw ValidationError("nothing to change: pass --label, --active or --inactive") }
            }

            func run() async throws {
                let state: Bool? = active ? true : (inactive ? false : nil)
                if let org {
                    let token = try await HubCLI.withClient(global, hub) { client in
                        try await client.updateOrganizationAccessToken(id, in: org, label: label, isActive: state)
                    }
                    try HubCLI.printObject(token, global: global) { "Updated \(token.label) (\(token.isActive ? "active" : "inactive"))" }
                } else {
                    let token = try await HubCLI.withClient(global, hub) { client in
                        try await client.updateAccessToken(id, label: label, isActive: state)
                    }
                    try HubCLI.printObject(token, global: global) { "Updated \(token.label) (\(token.isActive ? "active" : "inactive"))" }
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a token.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The token's UUID (or id, with --org).") var id: String
            @Option(help: "The token is this organization's.") var org: String?

            func run() async throws {
                try await HubCLI.withClient(global, hub) { client in
                    if let org { try await client.deleteOrganizationAccessToken(id, in: org) } else { try await client.revokeAccessToken(id) }
                }
                HubCLI.printDone(global, ["id": .string(id), "status": .string("revoked")], text: "Revoked \(id)")
            }
        }
    }
}
