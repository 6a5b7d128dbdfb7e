import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub whoami`: the account the kept session belongs to.
    struct Whoami: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the Docker Hub account you are logged in as.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions

        func run() async throws {
            let user = try await HubCLI.withClient(global, hub) { client in try await client.currentUser() }
            try HubCLI.printObject(user, global: global) { user.username }
        }
    }

    /// `dockyard hub invites list|cancel|resend`: an organization's pending invites.
    struct Invites: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An organization's pending invites.", subcommands: [List.self, Cancel.self, Resend.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List pending invites (owners only).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String

            func run() async throws {
                let items = try await HubCLI.withClient(global, hub) { client in try await client.invites(of: organization).collect() }
                try HubCLI.printList(items, global: global, headers: ["ID", "INVITEE", "TEAM", "ROLE", "INVITER", "CREATED"]) { invite in
                    [invite.id, invite.invitee, invite.team ?? "-", invite.role ?? "-", invite.inviterUsername ?? "-", HubCLI.date(invite.createdAt)]
                }
            }
        }

        struct Cancel: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Cancel a pending invite.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The invite's id.") var id: String

            func run() async throws {
                try await HubCLI.withClient(global, hub) { client in try await client.cancelInvite(id) }
                HubCLI.printDone(global, ["id": .string(id), "status": .string("cancelled")], text: "Cancelled invite \(id)")
            }
        }

        struct Resend: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Send a pending invite's email again.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The invite's id.") var id: String

            func run() async throws {
                try await HubCLI.withClient(global, hub) { client in try await client.resendInvite(id) }
                HubCLI.printDone(global, ["id": .string(id), "status": .string("resent")], text: "Resent invite \(id)")
            }
        }
    }

    /// `dockyard hub audit-log ACCOUNT [--action A] [--actor U] [--limit N]`
    struct AuditLog: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "audit-log", abstract: "An organization's audit log, newest first.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The organization.") var account: String
        @Option(help: "Only events of this action, e.g. repo.create (see the Hub's action list).") var action: String?
        @Option(help: "Only events by this user.") var actor: String?
        @Option(help: "Only events on this object.") var name: String?
        @Option(help: "The most events to show.") var limit = 100

        func validate() throws {
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
        }

        func run() async throws {
            let items = try await HubCLI.withClient(global, hub) { client in
                try await client.auditLog(of: account, action: action, name: name, actor: actor).collect(limit: limit)
            }
            try HubCLI.printList(items, global: global, headers: ["TIME", "ACTION", "ACTOR", "OBJECT"]) { entry in
                [HubCLI.date(entry.timestamp), entry.action, entry.actor ?? "-", entry.name ?? "-"]
            }
        }
    }
}

extension DockyardCommand.Hub.Org {
    /// `dockyard hub org settings ORG`
    struct Settings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an organization's settings (owners only).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The organization.") var organization: String

        func run() async throws {
            let settings = try await HubCLI.withClient(global, hub) { client in try await client.organizationSettings(of: organization) }
            try HubCLI.printObject(settings, global: global) {
                let images = settings.restrictedImages
                return "Restricted images: \(images.enabled ? "on" : "off") (official: \(images.allowOfficialImages ? "allowed" : "denied"), "
                    + "verified publishers: \(images.allowVerifiedPublishers ? "allowed" : "denied"))"
            }
        }
    }
}

extension DockyardCommand.Hub.Team {
    /// `dockyard hub team update ORG TEAM [--name NEW] [--description TEXT]`
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a team or change its description.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The organization.") var organization: String
        @Argument(help: "The team.") var team: String
        @Option(help: "The new name.") var name: String?
        @Option(help: "The new description.") var description: String?

        func validate() throws {
            guard name != nil || description != nil else { throw ValidationError("give --name or --description") }
        }

        func run() async throws {
            let updated = try await HubCLI.withClient(global, hub) { client in
                try await client.updateTeam(team, in: organization, newName: name, description: description)
            }
            try HubCLI.printObject(updated, global: global) { "Updated team \(updated.name)" }
        }
    }

    /// `dockyard hub team permissions NS/NAME`
    struct Permissions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the teams' permissions on a repository.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let items = try await HubCLI.withClient(global, hub) { client in try await client.teamPermissions(in: path).collect() }
            try HubCLI.printList(items, global: global, headers: ["TEAM ID", "TEAM", "PERMISSION"]) { permission in
                [String(permission.teamID), permission.teamName ?? "-", permission.permission.rawValue]
            }
        }
    }

    /// `dockyard hub team revoke ORG TEAM NS/NAME`
    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a team's permission on a repository away.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The organization.") var organization: String
        @Argument(help: "The team.") var team: String
        @Argument(help: "NS/NAME") var repository: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            try await HubCLI.withClient(global, hub) { client in
                let id = try await client.team(team, in: organization).id
                try await client.revokePermission(ofTeam: id, in: path)
            }
            HubCLI.printDone(global, ["team": .string(team), "repository": .string(path.description), "status": .string("revoked")],
                             text: "Revoked \(team)'s permission on \(path)")
        }
    }
}

extension DockyardCommand.Hub.Token {
    /// `dockyard hub token inspect UUID`
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one access token (never its secret).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The token's UUID.") var uuid: String

        func run() async throws {
            let token = try await HubCLI.withClient(global, hub) { client in try await client.accessToken(uuid) }
            try HubCLI.printObject(token, global: global) {
                [
                    "UUID:       \(token.uuid)", "Label:      \(token.label)", "Scopes:     \(token.scopes.joined(separator: ", "))",
                    "Active:     \(token.isActive)", "Created:    \(HubCLI.date(token.createdAt))",
                    "Last used:  \(HubCLI.date(token.lastUsed))", "Expires:    \(HubCLI.date(token.expiresAt))",
                ].joined(separator: "\n")
            }
        }
    }
}

extension DockyardCommand.Hub.Webhook {
    /// `dockyard hub webhook get NS/NAME SLUG`
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one webhook and its hooks.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Argument(help: "The webhook's slug.") var slug: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let pipeline = try await HubCLI.withClient(global, hub) { client in try await client.webhookPipeline(slug, in: path) }
            try HubCLI.printObject(pipeline, global: global) {
                "\(pipeline.name) (\(pipeline.slug))\n"
                    + Output.table(headers: ["HOOK", "URL"], rows: pipeline.webhooks.map { [$0.name, $0.hookURL.absoluteString] })
            }
        }
    }

    /// `dockyard hub webhook update NS/NAME SLUG [--name N] [--url URL] [--add-hook NAME=URL]… [--remove-hook NAME]…`
    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename a webhook, change its URL, add or remove hooks.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Argument(help: "The webhook's slug.") var slug: String
        @Option(help: "The new name.") var name: String?
        @Option(help: "The new URL of the first hook.") var url: String?
        @Option(name: .customLong("add-hook"), help: ArgumentHelp("Add a hook (repeatable).", valueName: "NAME=URL")) var addHook: [String] = []
        @Option(name: .customLong("remove-hook"), help: ArgumentHelp("Remove the hook of this name (repeatable).", valueName: "NAME")) var removeHook: [String] = []

        func validate() throws {
            guard name != nil || url != nil || !addHook.isEmpty || !removeHook.isEmpty else {
                throw ValidationError("give --name, --url, --add-hook or --remove-hook")
            }
            if let url { _ = try HubCLI.hookURL(url) }
            _ = try parsedHooks()
        }

        func parsedHooks() throws -> [HubWebhookPipeline.Hook] {
            try addHook.map { text in
                guard let eq = text.firstIndex(of: "="), eq > text.startIndex else { throw ValidationError("--add-hook takes NAME=URL") }
                return HubWebhookPipeline.Hook(name: String(text[..<eq]), hookURL: try HubCLI.hookURL(String(text[text.index(after: eq)...])))
            }
        }

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let added = try parsedHooks()
            let pipeline = try await HubCLI.withClient(global, hub) { client in
                var hooks: [HubWebhookPipeline.Hook]?
                if url != nil || !added.isEmpty || !removeHook.isEmpty {
                    var current = try await client.webhookPipeline(slug, in: path).webhooks
                    if let url, !current.isEmpty { current[0].hookURL = try HubCLI.hookURL(url) }
                    current.removeAll { removeHook.contains($0.name) }
                    hooks = current + added
                }
                return try await client.updateWebhookPipeline(slug, in: path, name: name, hooks: hooks)
            }
            try HubCLI.printObject(pipeline, global: global) { "Updated webhook \(pipeline.slug) on \(path)" }
        }
    }
}

extension DockyardCommand.Hub.Build {
    /// `dockyard hub build logs NS/NAME BUILD`
    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one build's log output.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "NS/NAME") var repository: String
        @Argument(help: "The build code.") var build: String

        func run() async throws {
            let path = try HubCLI.repository(repository)
            let details = try await HubCLI.withClient(global, hub) { client in try await client.build(build, in: path) }
            if global.json {
                Output.jsonObject(["build_code": .string(details.buildCode), "status": .string(details.status.description),
                                   "logs": .optional(details.results?.logs)])
            } else if !global.quiet {
                let logs = details.results?.logs ?? ""
                FileHandle.standardOutput.write(Data(logs.utf8))
            }
        }
    }
}
