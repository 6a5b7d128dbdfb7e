import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub repo list|get|create|update|delete|description|categories|star|unstar|immutable-tags`
    struct Repo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List, inspect, create, update and delete repositories; their descriptions, categories, stars and immutable tags.",
            subcommands: [List.self, Get.self, Create.self, Update.self, Delete.self, Description.self, Categories.self,
                          Star.self, Unstar.self, ImmutableTags.self])

        static func row(_ repository: HubRepository) -> [String] {
            [repository.fullName, repository.isPrivate ? "private" : "public", String(repository.starCount ?? 0),
             String(repository.pullCount ?? 0), HubCLI.date(repository.lastUpdated), repository.description ?? ""]
        }
        static let headers = ["NAME", "VISIBILITY", "STARS", "PULLS", "LAST UPDATED", "DESCRIPTION"]

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a namespace's repositories (every page).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "The user or organization.") var namespace: String
            @Option(help: "Only names containing this.") var name: String?
            @Option(parsing: .unconditional, help: ArgumentHelp("Order: name, -name, last_updated, -last_updated, pull_count, -pull_count.", valueName: "FIELD"))
            var ordering: String?

            func validate() throws {
                if let ordering, HubRepositoryOrdering(rawValue: ordering) == nil {
                    throw ValidationError("--ordering must be one of: \(HubRepositoryOrdering.allCases.map(\.rawValue).joined(separator: ", "))")
                }
            }

            func run() async throws {
                let order = ordering.flatMap(HubRepositoryOrdering.init(rawValue:))
                let items = try await HubCLI.withClient(global, hub) { client in
                    try await client.repositories(in: namespace, name: name, ordering: order).collect()
                }
                try HubCLI.printList(items, global: global, headers: Repo.headers, row: Repo.row)
            }
        }

        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a repository.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let item = try await HubCLI.withClient(global, hub) { client in try await client.repository(path) }
                try HubCLI.printObject(item, global: global) { Output.table(headers: Repo.headers, rows: [Repo.row(item)]) }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a repository.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Flag(help: "Make it private.") var `private` = false
            @Option(help: "The short description.") var description: String?

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let item = try await HubCLI.withClient(global, hub) { client in
                    try await client.createRepository(path, isPrivate: `private`, description: description)
                }
                try HubCLI.printObject(item, global: global) { "Created \(item.fullName)" }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change a repository's descriptions or visibility.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Option(help: "The new short description.") var description: String?
            @Option(name: .customLong("full-description-file"), help: "A file with the new full description (Markdown).")
            var fullDescriptionFile: String?
            @Flag(help: "Make it private.") var `private` = false
            @Flag(help: "Make it public.") var `public` = false

            func validate() throws {
                if `private` && `public` { throw ValidationError("--private and --public exclude each other") }
                if description == nil, fullDescriptionFile == nil, !`private`, !`public` {
                    throw ValidationError("nothing to change: pass --description, --full-description-file, --private or --public")
                }
            }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                var fullDescription: String?
                if let fullDescriptionFile {
                    // Docker Hub keeps at most 25,000 characters; a larger file is refused before it is read whole.
                    let limit = 100_000
                    let bytes: [UInt8]
                    do {
                        bytes = try DockyardCommand.Manifest.Validate.read(fullDescriptionFile, limit: limit + 1)
                    } catch {
                        throw ReadFailure(description: "cannot read \(fullDescriptionFile): \(error). Check the path")
                    }
                    guard bytes.count <= limit, let text = String(validating: bytes, as: UTF8.self) else {
                        throw ReadFailure(
                            description: "\(fullDescriptionFile) is not UTF-8 text of at most \(limit) bytes; "
                                + "Docker Hub keeps at most 25,000 characters of full description")
                    }
                    fullDescription = text
                }
                let item = try await HubCLI.withClient(global, hub) { client in
                    var current: HubRepository?
                    if description != nil || fullDescription != nil {
                        current = try await client.updateRepository(path, description: description, fullDescription: fullDescription)
                    }
                    if `private` || `public` {
                        current = try await client.setPrivacy(path, isPrivate: `private`)
                    }
                    if let current { return current }
                    return try await client.repository(path)
                }
                try HubCLI.printObject(item, global: global) { "Updated \(item.fullName)" }
            }
        }

        /// A file given on the command line could not be used.
        struct ReadFailure: Error, CustomStringConvertible {
            var description: String
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a repository and all its tags.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                try await HubCLI.withClient(global, hub) { client in try await client.deleteRepository(path) }
                HubCLI.printDone(global, ["repository": .string(path.description), "status": .string("deleted")], text: "Deleted \(path)")
            }
        }
    }

    /// `dockyard hub tag list|inspect|delete`
    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List, inspect and delete tags.", subcommands: [List.self, Inspect.self, Delete.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List a repository's tags with their platforms (every page).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let items = try await HubCLI.withClient(global, hub) { client in try await client.tags(in: path).collect() }
                try HubCLI.printList(items, global: global, headers: ["TAG", "DIGEST", "PLATFORMS", "SIZE", "LAST UPDATED"]) { tag in
                    [tag.name, tag.digest ?? "-", tag.images.map(\.platform).joined(separator: ","), String(tag.fullSize ?? 0), HubCLI.date(tag.lastUpdated)]
                }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a tag.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME:TAG") var reference: String

            func run() async throws {
                let (path, tag) = try HubCLI.tagReference(reference)
                try await HubCLI.withClient(global, hub) { client in try await client.deleteTag(tag, in: path) }
                HubCLI.printDone(global, ["repository": .string(path.description), "tag": .string(tag), "status": .string("deleted")], text: "Deleted \(path):\(tag)")
            }
        }
    }
}
