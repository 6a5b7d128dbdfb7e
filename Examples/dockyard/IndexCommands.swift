import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard index create|append TARGET --manifest REF…`: multi-platform indexes from images.
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or extend a multi-platform index (platforms taken from each image's configuration).",
            subcommands: [Create.self, Append.self])

        /// The options `create` and `append` share.
        struct IndexOptions: ParsableArguments {
            @Argument(help: "Where the index goes: a reference or oci:DIR[:NAME].")
            var target: String

            @Option(name: [.short, .customLong("manifest")], help: ArgumentHelp("An image to list (repeatable): a reference or oci:DIR[:NAME]; an index adds all its platforms.", valueName: "REF"))
            var manifest: [String] = []

            @Option(name: .long, help: ArgumentHelp("An annotation of the index (repeatable).", valueName: "K=V"))
            var annotation: [String] = []

            func validate() throws {
                if manifest.isEmpty { throw ValidationError("give at least one --manifest REF") }
            }

            func run(_ global: GlobalOptions, appending: Bool) async throws {
                let target = try ImageCommandSupport.location(target)
                let images = try manifest.map { try ImageCommandSupport.location($0, flag: "--manifest") }
                let annotations = try ImageChangeOptions.pairs(annotation, flag: "--annotation")
                let result = try await ClientFactory.withClient(global) { client in
                    try await client.createIndex(from: images, as: target, appending: appending, annotations: annotations)
                }
                if global.json {
                    Output.jsonObject([
                        "target": .string(result.target.description), "digest": .string(result.descriptor.digest.description),
                        "mediaType": .string(result.descriptor.mediaType.rawValue),
                        "manifests": .array(result.manifests.map { entry in
                            .object([
                                ("digest", .string(entry.digest.description)),
                                ("platform", .optional(entry.platform?.description)),
                            ])
                        }),
                        "totals": ImageCommandSupport.totals(result.totals),
                    ])
                } else if !global.quiet {
                    Output.line("Wrote index \(result.target) \(result.descriptor.digest)")
                    for entry in result.manifests {
                        Output.line("  \(entry.platform?.description ?? "-")  \(entry.digest)")
                    }
                }
            }
        }

        /// `dockyard index create TARGET --manifest REF…`
        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create an index listing the given images.")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var options: IndexOptions
            func run() async throws { try await options.run(global, appending: false) }
        }

        /// `dockyard index append TARGET --manifest REF…`
        struct Append: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add images to an existing index (an image replaces the entry of the same platform).")
            @OptionGroup var global: GlobalOptions
            @OptionGroup var options: IndexOptions
            func run() async throws { try await options.run(global, appending: true) }
        }
    }
}
