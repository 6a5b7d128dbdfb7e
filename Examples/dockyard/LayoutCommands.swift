import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard layout ls|gc DIR`: look after an OCI image layout directory.
    struct LayoutGroup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "layout", abstract: "List the images of an OCI layout, or remove blobs no image uses.",
            subcommands: [List.self, Collect.self])

        static func open(_ path: String) throws -> OCILayout {
            try OCILayout(at: URL(fileURLWithPath: path, isDirectory: true), create: false)
        }

        /// `dockyard layout ls DIR`
        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the images of an OCI layout.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The OCI layout directory.") var directory: String

            func run() async throws {
                let images = try LayoutGroup.open(directory).images()
                if global.json {
                    for image in images {
                        Output.jsonObject([
                            "name": .optional(image.name), "digest": .string(image.descriptor.digest.description),
                            "mediaType": .string(image.descriptor.mediaType.rawValue), "size": .int(image.descriptor.size),
                            "platforms": .array(image.platforms.map { .string($0.description) }),
                        ])
                    }
                    return
                }
                let rows = images.map { image in
                    [image.name ?? "-", image.descriptor.digest.description, image.descriptor.mediaType.isIndex ? "index" : "manifest",
                     image.platforms.map(\.description).joined(separator: ",")]
                }
                Output.line(Output.table(headers: ["NAME", "DIGEST", "KIND", "PLATFORMS"], rows: rows))
            }
        }

        /// `dockyard layout gc DIR [--dry-run]`
        struct Collect: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "gc", abstract: "Remove the blobs no image of the layout refers to (do not run it while writing to the layout).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The OCI layout directory.") var directory: String
            @Flag(name: .customLong("dry-run"), help: "Only report what would be removed.") var dryRun = false

            func run() async throws {
                let result = try LayoutGroup.open(directory).collectGarbage(dryRun: dryRun)
                if global.json {
                    Output.jsonObject([
                        "removed": .array(result.removed.map { .string($0.description) }), "bytes": .int(result.bytes),
                        "kept": .int(Int64(result.kept)), "dryRun": .bool(dryRun),
                    ])
                } else if !global.quiet {
                    Output.line("\(dryRun ? "Would remove" : "Removed") \(result.removed.count) blobs (\(result.bytes) bytes); kept \(result.kept)")
                }
            }
        }
    }
}
