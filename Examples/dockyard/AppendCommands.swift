import ArgumentParser
import Dockyard
import Foundation

/// The configuration flags `append` and `mutate` share.
struct ImageChangeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The program to run: a JSON array, or words split on spaces; \"\" clears it.", valueName: "CMD"))
    var entrypoint: String?

    @Option(name: .long, help: ArgumentHelp("The default arguments: a JSON array, or words split on spaces; \"\" clears them.", valueName: "ARGS"))
    var cmd: String?

    @Option(name: .long, help: ArgumentHelp("Set an environment variable (repeatable).", valueName: "K=V"))
    var env: [String] = []

    @Option(name: .long, help: ArgumentHelp("Set a label (repeatable).", valueName: "K=V"))
    var label: [String] = []

    @Option(name: .long, help: ArgumentHelp("Set an annotation on the manifest (repeatable).", valueName: "K=V"))
    var annotation: [String] = []

    @Option(name: .long, help: "The working directory.")
    var workdir: String?

    @Option(name: .long, help: ArgumentHelp("The user to run as.", valueName: "USER[:GROUP]"))
    var user: String?

    @Option(name: .long, help: ArgumentHelp("Expose a port (repeatable), e.g. 8080 or 53/udp.", valueName: "PORT[/PROTO]"))
    var expose: [String] = []

    @Option(name: .customLong("stop-signal"), help: "The signal that stops the container, e.g. SIGTERM.")
    var stopSignal: String?

    @Option(name: .long, help: ArgumentHelp("The image's created time, in seconds since 1970 (default: $SOURCE_DATE_EPOCH or 0).", valueName: "SECONDS"))
    var created: Int64?

    /// The changes these flags describe.
    func changes(createdBy: String) throws -> ImageChanges {
        var changes = ImageChanges()
        changes.createdBy = createdBy
        changes.entrypoint = try entrypoint.map { try Self.words($0, flag: "--entrypoint") }
        changes.cmd = try cmd.map { try Self.words($0, flag: "--cmd") }
        changes.environment = try Self.pairs(env, flag: "--env")
        changes.labels = try Self.pairs(label, flag: "--label")
        changes.annotations = try Self.pairs(annotation, flag: "--annotation")
        changes.workingDirectory = workdir
        changes.user = user
        changes.exposedPorts = expose
        changes.stopSignal = stopSignal
        if let created {
            guard created >= 0 else { throw ValidationError("--created must not be negative") }
            changes.created = Date(timeIntervalSince1970: TimeInterval(created))
        }
        return changes
    }

    static func words(_ text: String, flag: String) throws -> [String] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("[") {
            guard let words = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)) else {
                throw ValidationError("\(flag) \(text): not a JSON array of strings")
            }
            return words
        }
        return trimmed.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
    }

    static func pairs(_ items: [String], flag: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("\(flag) \(item): expected KEY=VALUE")
            }
            result[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return result
    }
}

/// Shared helpers of the image-making commands.
enum ImageCommandSupport {
    static func location(_ text: String, flag: String = "") throws -> ImageLocation {
        do {
            return try ImageLocation(parsing: text)
        } catch {
            throw ValidationError("\(flag.isEmpty ? "" : flag + " ")'\(text)' is neither an image reference nor oci:DIR[:NAME]: \(error)")
        }
    }

    static func platform(_ text: String?, all: Bool) throws -> PlatformSelection {
        if all { return .all }
        guard let text else { return .current }
        do {
            return .specific(try Platform(parsing: text))
        } catch {
            throw ValidationError("--platform \(text): expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8 (\(error))")
        }
    }

    static func totals(_ totals: TransferTotals) -> JSONValue {
        .object([
            ("transferred", .int(Int64(totals.transferred))), ("skipped", .int(Int64(totals.skipped))),
            ("mounted", .int(Int64(totals.mounted))), ("bytes", .int(totals.bytes)),
        ])
    }

    static func report(_ result: ImageBuildResult, verb: String, global: GlobalOptions) {
        if global.json {
            Output.jsonObject([
                "target": .string(result.target.description), "digest": .string(result.descriptor.digest.description),
                "mediaType": .string(result.descriptor.mediaType.rawValue),
                "manifests": .array(result.manifests.map { .string($0.digest.description) }),
                "configs": .array(result.configs.map { .string($0.digest.description) }),
                "totals": totals(result.totals),
            ])
        } else if !global.quiet {
            Output.line("\(verb) \(result.target) \(result.descriptor.digest) (\(result.totals.transferred) blobs written, "
                + "\(result.totals.mounted) mounted, \(result.totals.skipped) present)")
        }
    }
}

extension DockyardCommand {
    /// `dockyard append BASE -t TARGET --layer DIR[:/path]…`: adds layers built from files to an image.
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add layers built from files to an image and push it (base layers are never downloaded).",
            discussion: """
                BASE and TARGET are image references, oci:DIR[:NAME] for an OCI layout, and BASE may be scratch. \
                Each --layer is one layer: a directory's contents (or one file) placed at the path given, / by default. \
                Layers are reproducible: sorted entries, owner 0:0, modification time $SOURCE_DATE_EPOCH or 0.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var changeOptions: ImageChangeOptions

        @Argument(help: "The base image: a reference, oci:DIR[:NAME] or scratch.")
        var base: String

        @Option(name: [.short, .customLong("target")], help: "Where the new image goes: a reference or oci:DIR[:NAME].")
        var target: String

        @Option(name: .long, help: ArgumentHelp("A layer from a directory or file, placed at PATH in the image (repeatable).", valueName: "SRC[:PATH]"))
        var layer: [String] = []

        @Option(name: .long, help: ArgumentHelp("The platform of a multi-platform base to build on (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        @Flag(name: .customLong("all-platforms"), help: "Append to every platform of a multi-platform base, in a new index.")
        var allPlatforms = false

        @Option(name: .customLong("compression-level"), help: "The gzip level of new layers, 0 to 9.")
        var compressionLevel = 6

        func validate() throws {
            if platform != nil && allPlatforms { throw ValidationError("--platform and --all-platforms exclude each other") }
            if layer.isEmpty { throw ValidationError("give at least one --layer SRC[:PATH]; to change only the configuration use mutate") }
            guard (0...9).contains(compressionLevel) else { throw ValidationError("--compression-level must be from 0 to 9") }
        }

        /// Splits `SRC[:PATH]`: the part after the last colon is the path when it starts with a slash.
        static func layerSpec(_ text: String) -> (source: String, path: String?) {
            if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].hasPrefix("/") {
                return (String(text[..<colon]), String(text[text.index(after: colon)...]))
            }
            return (text, nil)
        }

        func run() async throws {
            let base = try ImageCommandSupport.location(base)
            let target = try ImageCommandSupport.location(target, flag: "--target")
            if case .scratch = target { throw ValidationError("--target cannot be scratch") }
            let selection = try ImageCommandSupport.platform(platform, all: allPlatforms)
            let changes = try changeOptions.changes(createdBy: "dockyard append")
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dockyard-append-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            var layers: [Layer] = []
            let options = LayerOptions(compression: .gzip(level: compressionLevel))
            for (position, spec) in layer.enumerated() {
                let (source, path) = Self.layerSpec(spec)
                let url = URL(fileURLWithPath: source)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                    throw ValidationError("--layer \(spec): \(source) does not exist")
                }
                let content: LayerContent = isDirectory.boolValue
                    ? .directory(url, at: path ?? "/")
                    : .file(url, at: path ?? "/" + url.lastPathComponent)
                layers.append(try LayerBuilder.build([content], to: scratch.appendingPathComponent("layer-\(position)"), options: options))
            }
            let result = try await ClientFactory.withClient(global) { client in
                try await client.append(layers, to: base, as: target, platforms: selection, changes: changes)
            }
            ImageCommandSupport.report(result, verb: "Wrote", global: global)
        }
    }

    /// `dockyard mutate REF -t TARGET [config flags]`: changes an image's configuration without adding layers.
    struct Mutate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an image's configuration (entrypoint, env, labels …) without touching its layers.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var changeOptions: ImageChangeOptions

        @Argument(help: "The image: a reference or oci:DIR[:NAME].")
        var image: String

        @Option(name: [.short, .customLong("target")], help: "Where the changed image goes: a reference or oci:DIR[:NAME].")
        var target: String

        @Option(name: .long, help: ArgumentHelp("The platform of a multi-platform image to change (default: this host's).", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        @Flag(name: .customLong("all-platforms"), help: "Change every platform, in a new index.")
        var allPlatforms = false

        func validate() throws {
            if platform != nil && allPlatforms { throw ValidationError("--platform and --all-platforms exclude each other") }
        }

        func run() async throws {
            let image = try ImageCommandSupport.location(image)
            let target = try ImageCommandSupport.location(target, flag: "--target")
            let selection = try ImageCommandSupport.platform(platform, all: allPlatforms)
            let changes = try changeOptions.changes(createdBy: "dockyard mutate")
            let result = try await ClientFactory.withClient(global) { client in
                try await client.mutate(image, as: target, platforms: selection, changes: changes)
            }
            ImageCommandSupport.report(result, verb: "Wrote", global: global)
        }
    }
}
