import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Hub {
    /// `dockyard hub webhook list|get|create|update|delete|serve …`
    struct Webhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A repository's webhooks (webhook pipelines), and a local receiver of their deliveries.",
            subcommands: [List.self, Get.self, Create.self, Update.self, Delete.self, Serve.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List webhooks.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let items = try await HubCLI.withClient(global, hub) { client in try await client.webhookPipelines(in: path).collect() }
                try HubCLI.printList(items, global: global, headers: ["NAME", "SLUG", "HOOKS"]) { pipeline in
                    [pipeline.name, pipeline.slug, pipeline.webhooks.map(\.hookURL.absoluteString).joined(separator: " → ")]
                }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a webhook called after every push.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The webhook's name.") var name: String
            @Option(help: "The URL deliveries are POSTed to.") var url: String
            @Flag(name: .customLong("expect-final-callback"), help: "Complete only after the hook's callback.") var expectFinalCallback = false

            func validate() throws { _ = try HubCLI.hookURL(url) }

            func run() async throws {
                let path = try HubCLI.repository(repository)
                let pipeline = try await HubCLI.withClient(global, hub) { client in
                    try await client.createWebhookPipeline(named: name, hooks: [.init(name: name, hookURL: try HubCLI.hookURL(url))],
                                                           expectFinalCallback: expectFinalCallback, in: path)
                }
                try HubCLI.printObject(pipeline, global: global) { "Created webhook \(pipeline.slug) on \(path)" }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a webhook.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var hub: HubOptions
            @Argument(help: "NS/NAME") var repository: String
            @Argument(help: "The webhook's name (slug).") var name: String

            func run() async throws {
                let path = try HubCLI.repository(repository)
                try await HubCLI.withClient(global, hub) { client in try await client.deleteWebhookPipeline(name, in: path) }
                HubCLI.printDone(global, ["repository": .string(path.description), "webhook": .string(name), "status": .string("deleted")],
                                 text: "Deleted webhook \(name)")
            }
        }
    }
}
