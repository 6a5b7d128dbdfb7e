import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard config REF [--platform P]`: the image's configuration JSON, exactly as stored.
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an image's configuration JSON exactly as stored (one platform of a multi-platform image).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image: a reference or oci:DIR[:NAME].")
        var image: String

        @Option(name: .long, help: ArgumentHelp("The platform to choose from a multi-platform image (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        func run() async throws {
            let image = try ImageCommandSupport.location(image)
            let platform = try InspectSupport.platform(platform)
            let blob = try await ClientFactory.withClient(global) { client in
                try await client.configuration(of: image, platform: platform)
            }
            Output.raw(blob.bytes)
            if blob.bytes.last != UInt8(ascii: "\n") { Output.line("") }
        }
    }

    /// `dockyard inspect REF [--json]`: what `skopeo inspect` shows.
    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe an image: digest, platforms, created, labels, env, entrypoint, layers with sizes.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image: a reference or oci:DIR[:NAME].")
        var image: String

        @Option(name: .long, help: ArgumentHelp("The platform to describe from a multi-platform image (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        func run() async throws {
            let image = try ImageCommandSupport.location(image)
            let platform = try InspectSupport.platform(platform)
            let (info, tags) = try await ClientFactory.withClient(global) { client -> (ImageInspection, [String]?) in
                let info = try await client.inspect(image, platform: platform)
                var tags: [String]?
                if case .registry(let reference) = image {
                    tags = try? await client.tags(in: reference.repository).collect()
                }
                return (info, tags)
            }
            let config = info.configuration.config
            let name: String
            switch image {
            case .registry(let reference): name = reference.withoutTag().withoutDigest().description
            default: name = image.description
            }
            if global.json {
                // skopeo inspect's field names, plus Entrypoint, Cmd, Platforms and MediaType.
                Output.jsonObject([
                    "Name": .string(name),
                    "Digest": .string(info.digest.description),
                    "RepoTags": .array((tags ?? []).map(JSONValue.string)),
                    "Created": .optional(info.configuration.created),
                    "Labels": .object((config?.labels ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }),
                    "Architecture": .string(info.configuration.architecture),
                    "Variant": .optional(info.configuration.variant),
                    "Os": .string(info.configuration.os),
                    "Layers": .array(info.manifest.layers.map { .string($0.digest.description) }),
                    "LayersData": .array(info.manifest.layers.map { layer in
                        .object([
                            ("MIMEType", .string(layer.mediaType.rawValue)), ("Digest", .string(layer.digest.description)),
                            ("Size", .int(layer.size)),
                        ])
                    }),
                    "Env": .array((config?.env ?? []).map(JSONValue.string)),
                    "Entrypoint": config?.entrypoint.map { .array($0.map(JSONValue.string)) } ?? .null,
                    "Cmd": config?.cmd.map { .array($0.map(JSONValue.string)) } ?? .null,
                    "MediaType": .string(info.mediaType.rawValue),
                    "ManifestDigest": .string(info.manifestDigest.description),
                    "Platforms": .array(info.platforms.map { .string($0.description) }),
                ])
                return
            }
            guard !global.quiet else { return }
            var lines = [
                "Name:         \(name)",
                "Digest:       \(info.digest)",
                "MediaType:    \(info.mediaType)",
            ]
            if info.manifestDigest != info.digest { lines.append("Manifest:     \(info.manifestDigest)") }
            lines.append("Platforms:    \(info.platforms.map(\.description).joined(separator: ", "))")
            if let tags { lines.append("Tags:         \(tags.joined(separator: ", "))") }
            lines.append("Created:      \(info.configuration.created ?? "-")")
            lines.append("Platform:     \(info.configuration.platform)")
            if let entrypoint = config?.entrypoint { lines.append("Entrypoint:   \(entrypoint)") }
            if let cmd = config?.cmd { lines.append("Cmd:          \(cmd)") }
            if let workingDir = config?.workingDir, !workingDir.isEmpty { lines.append("WorkingDir:   \(workingDir)") }
            if let user = config?.user, !user.isEmpty { lines.append("User:         \(user)") }
            for variable in config?.env ?? [] { lines.append("Env:          \(variable)") }
            for (key, value) in (config?.labels ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("Label:        \(key)=\(value)") }
            for port in (config?.exposedPorts ?? []).sorted() { lines.append("ExposedPort:  \(port)") }
            lines.append("Layers:")
            for layer in info.manifest.layers {
                lines.append("  \(layer.digest)  \(layer.size)  \(layer.mediaType)")
            }
            Output.line(lines.joined(separator: "\n"))
        }
    }

    /// `dockyard tag REF NEWTAG` and `dockyard tag --delete REF:TAG`.
    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put an image's manifest under another tag of its repository (no blob is downloaded), or remove a tag.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image, by tag or digest (with --delete: the tag to remove).")
        var reference: String

        @Argument(help: "The new tag.")
        var newTag: String?

        @Flag(name: .long, help: "Remove the tag REF alone, where the registry supports it.")
        var delete = false

        func validate() throws {
            if delete && newTag != nil { throw ValidationError("--delete takes only the tag to remove") }
            if !delete && newTag == nil { throw ValidationError("give the new tag: dockyard tag REF NEWTAG") }
        }

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            if delete {
                try await ClientFactory.withClient(global) { client in try await client.untag(reference) }
                if global.json {
                    Output.jsonObject(["deleted": .string(reference.description)])
                } else if !global.quiet {
                    Output.line("Removed tag \(reference)")
                }
                return
            }
            guard let newTag else { return }
            let descriptor: Descriptor
            do {
                descriptor = try await ClientFactory.withClient(global) { client in try await client.tag(reference, as: newTag) }
            } catch let error as ReferenceError {
                throw ValidationError("'\(newTag)' is not a valid tag: \(error)")
            }
            let target = try reference.withoutDigest().withTag(newTag)
            if global.json {
                Output.jsonObject([
                    "reference": .string(target.description), "digest": .string(descriptor.digest.description),
                    "mediaType": .string(descriptor.mediaType.rawValue),
                ])
            } else if !global.quiet {
                Output.line("Tagged \(target) \(descriptor.digest)")
            }
        }
    }
}

enum InspectSupport {
    static func platform(_ text: String?) throws -> Platform? {
        guard let text else { return nil }
        do {
            return try Platform(parsing: text)
        } catch {
            throw ValidationError("--platform \(text): expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8 (\(error))")
        }
    }
}
