import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub org list|get`
    struct Org: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your organizations.", subcommands: [List.self, Get.self, Settings.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the organizations you belong to.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions

            func run() async throws {
                let items = try await HubCLI.withClient(global, hub) { client in try await client.organizations().collect() }
                try HubCLI.printList(items, global: global, headers: ["ORGANIZATION", "FULL NAME", "ROLE", "TEAMS"]) { org in
                    [org.name, org.fullName ?? "", org.userRole?.rawValue ?? "", (org.userGroups ?? []).joined(separator: ",")]
                }
            }
        }

        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show an organization.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String

            func run() async throws {
                let org = try await HubCLI.withClient(global, hub) { client in try await client.organization(organization) }
                try HubCLI.printObject(org, global: global) {
                    Output.table(headers: ["ORGANIZATION", "FULL NAME", "COMPANY", "JOINED"],
                                 rows: [[org.name, org.fullName ?? "", org.company ?? "", HubCLI.date(org.dateJoined)]])
                }
            }
        }
    }

    /// `dockyard hub member list|set-role|remove|export ORG [USER] [--role ROLE]`
    struct Member: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An organization's members.", subcommands: [List.self, SetRole.self, Remove.self, Export.self])

        /// Checks a `--role` value: owner, editor or member (any case), or none.
        static func checkRole(_ role: String?) throws {
            guard let role else { return }
            guard ["owner", "editor", "member"].contains(role.lowercased()) else {
                throw ValidationError("--role must be owner, editor or member")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List members (every page).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Option(help: "Only this role: owner, editor or member.") var role: String?
            @Option(help: "Only names or emails containing this.") var search: String?
            @Flag(help: "Include pending invitees.") var invitees = false

            func validate() throws { try Member.checkRole(role) }

            func run() async throws {
                let items = try await HubCLI.withClient(global, hub) { client in
                    try await client.members(of: organization, search: search, role: role.map(HubRole.init(rawValue:)),
                                             type: invitees ? .all : nil).collect()
                }
                try HubCLI.printList(items, global: global, headers: ["USERNAME", "ROLE", "TEAMS", "EMAIL"]) { member in
                    [member.username, member.role?.rawValue ?? "", member.groups.joined(separator: ","), member.user.email ?? ""]
                }
            }
        }

        struct SetRole: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a member's role.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Argument(help: "The member.") var user: String
            @Option(help: "owner, editor or member.") var role: String

            func validate() throws { try Member.checkRole(role) }

            func run() async throws {
                let member = try await HubCLI.withClient(global, hub) { client in
                    try await client.setRole(HubRole(rawValue: role), of: user, in: organization)
                }
                try HubCLI.printObject(member, global: global) { "\(member.username) is now \(member.role?.rawValue ?? role) of \(organization)" }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a member from the organization.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Argument(help: "The member.") var user: String

            func run() async throws {
                try await HubCLI.withClient(global, hub) { client in try await client.removeMember(user, from: organization) }
                HubCLI.printDone(global, ["organization": .string(organization), "user": .string(user), "status": .string("removed")],
                                 text: "Removed \(user) from \(organization)")
            }
        }

        struct Export: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Print the members as CSV (owners only).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String

            func run() async throws {
                let export = try await HubCLI.withClient(global, hub) { client in try await client.exportMembers(of: organization) }
                if global.json {
                    Output.jsonObject(["filename": .optional(export.filename), "csv": .string(export.csv)])
                } else {
                    Output.raw(Array(export.csv.utf8))
                }
            }
        }
    }

    /// `dockyard hub invite ORG USER... [--team TEAM] [--role ROLE] [--dry-run]`
    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Invite Docker IDs or emails to an organization.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Argument(help: "The organization.") var organization: String
        @Argument(help: "Docker IDs or emails.") var invitees: [String]
        @Option(help: "The team they join.") var team: String?
        @Option(help: "Their role: owner, editor or member.") var role: String?
        @Flag(name: .customLong("dry-run"), help: "Only report what would happen.") var dryRun = false

        func validate() throws {
            guard !invitees.isEmpty else { throw ValidationError("name at least one Docker ID or email to invite") }
            try Member.checkRole(role)
        }

        func run() async throws {
            let results = try await HubCLI.withClient(global, hub) { client in
                try await client.invite(invitees, to: organization, team: team, role: role.map(HubRole.init(rawValue:)), dryRun: dryRun)
            }
            try HubCLI.printList(results, global: global, headers: ["INVITEE", "STATUS", "INVITE"]) { result in
                [result.invitee, result.status, result.invite?.id ?? "-"]
            }
        }
    }

    /// `dockyard hub team list|create|delete|member|grant`
    struct Team: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "An organization's teams.", subcommands: [List.self, Create.self, Update.self, Delete.self, Member.self, Grant.self, Permissions.self, Revoke.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List teams (every page).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String

            func run() async throws {
                let items = try await HubCLI.withClient(global, hub) { client in try await client.teams(of: organization).collect() }
                try HubCLI.printList(items, global: global, headers: ["TEAM", "ID", "MEMBERS", "DESCRIPTION"]) { team in
                    [team.name, String(team.id), String(team.memberCount ?? 0), team.description ?? ""]
                }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a team.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Argument(help: "The team.") var team: String
            @Option(help: "What the team is for.") var description: String?

            func run() async throws {
                let created = try await HubCLI.withClient(global, hub) { client in
                    try await client.createTeam(team, in: organization, description: description)
                }
                try HubCLI.printObject(created, global: global) { "Created team \(created.name) (id \(created.id))" }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a team.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Argument(help: "The team.") var team: String

            func run() async throws {
                try await HubCLI.withClient(global, hub) { client in try await client.deleteTeam(team, in: organization) }
                HubCLI.printDone(global, ["organization": .string(organization), "team": .string(team), "status": .string("deleted")],
                                 text: "Deleted team \(team)")
            }
        }

        /// `dockyard hub team member list|add|remove ORG TEAM [USER]`
        struct Member: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A team's members.", subcommands: [List.self, Add.self, Remove.self])

            struct List: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "List a team's members.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "The organization.") var organization: String
                @Argument(help: "The team.") var team: String

                func run() async throws {
                    let items = try await HubCLI.withClient(global, hub) { client in
                        try await client.teamMembers(of: team, in: organization).collect()
                    }
                    try HubCLI.printList(items, global: global, headers: ["USERNAME", "FULL NAME", "EMAIL"]) { user in
                        [user.username, user.fullName ?? "", user.email ?? ""]
                    }
                }
            }

            struct Add: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Add a user to a team.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "The organization.") var organization: String
                @Argument(help: "The team.") var team: String
                @Argument(help: "The user.") var user: String

                func run() async throws {
                    try await HubCLI.withClient(global, hub) { client in try await client.addTeamMember(user, to: team, in: organization) }
                    HubCLI.printDone(global, ["team": .string(team), "user": .string(user), "status": .string("added")], text: "Added \(user) to \(team)")
                }
            }

            struct Remove: AsyncParsableCommand {
                static let configuration = CommandConfiguration(abstract: "Remove a user from a team.")
                @OptionGroup var global: GlobalOptions
                @OptionGroup var hub: HubOptions
                @Argument(help: "The organization.") var organization: String
                @Argument(help: "The team.") var team: String
                @Argument(help: "The user.") var user: String

                func run() async throws {
                    try await HubCLI.withClient(global, hub) { client in try await client.removeTeamMember(user, from: team, in: organization) }
                    HubCLI.printDone(global, ["team": .string(team), "user": .string(user), "status": .string("removed")], text: "Removed \(user) from \(team)")
                }
            }
        }

        /// `dockyard hub team grant ORG TEAM NS/NAME --permission read|write|admin`
        struct Grant: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Give a team a permission on a repository.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The organization.") var organization: String
            @Argument(help: "The team.") var team: String
            @Argument(help: "NS/NAME") var repository: String
            @Option(help: "read, write or admin.") var permission: String

            func validate() throws {
                guard HubRepositoryPermission(rawValue: permission) != nil else {
                    throw ValidationError("--permission must be read, write or admin")
                }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                guard let level = HubRepositoryPermission(rawValue: permission) else { throw ValidationError("--permission must be read, write or admin") }
                let granted = try await HubCLI.withClient(global, hub) { client in
                    let id = try await client.team(team, in: organization).id
                    return try await client.grant(level, toTeam: id, in: path)
                }
                try HubCLI.printObject(granted, global: global) { "Team \(team) has \(granted.permission.rawValue) on \(path)" }
            }
        }
    }
}
