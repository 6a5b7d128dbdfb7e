import ArgumentParser
import Dockyard
import Foundation

/// Parsing shared by the artifact commands.
enum ArtifactSupport {
    /// `FILE[:MEDIATYPE]`: the part after the last colon is a media type when it has a slash and the file exists
    /// without it.
    static func file(_ text: String) throws -> ArtifactFile {
        if let colon = text.lastIndex(of: ":"), text[text.index(after: colon)...].contains("/"),
            FileManager.default.fileExists(atPath: String(text[..<colon]))
        {
            return ArtifactFile(URL(fileURLWithPath: String(text[..<colon])), mediaType: MediaType(String(text[text.index(after: colon)...])))
        }
        guard FileManager.default.fileExists(atPath: text) else { throw ValidationError("\(text) does not exist") }
        return ArtifactFile(URL(fileURLWithPath: text))
    }

    static func report(_ descriptor: Descriptor, at reference: ImageReference, global: GlobalOptions) {
        if global.json {
            Output.jsonObject([
                "reference": .string(reference.description), "digest": .string(descriptor.digest.description),
                "mediaType": .string(descriptor.mediaType.rawValue), "artifactType": .optional(descriptor.artifactType?.rawValue),
                "size": .int(descriptor.size),
            ])
        } else if !global.quiet {
            Output.line("Pushed \(reference.withoutTag().withoutDigest())@\(descriptor.digest)")
        }
    }
}

extension DockyardCommand {
    /// `dockyard artifact push|pull`: OCI 1.1 artifacts, as oras makes them.
    struct Artifact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push files as an OCI artifact, or pull an artifact's files into a directory.",
            subcommands: [PushFiles.self, PullFiles.self, Delete.self])

        /// `dockyard artifact push REF --artifact-type T FILE[:MEDIATYPE]…`
        struct PushFiles: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "push", abstract: "Push files as an artifact.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "Where to push: REPO:TAG, or REPO to store it by digest only.") var reference: String
            @Argument(help: "The files, each FILE or FILE:MEDIATYPE.") var files: [String] = []
            @Option(name: .customLong("artifact-type"), help: "The artifact type, e.g. application/vnd.example.sbom+json.") var artifactType: String
            @Option(name: .long, help: ArgumentHelp("The manifest this artifact refers to (makes it a referrer).", valueName: "REF")) var subject: String?
            @Option(name: .long, help: ArgumentHelp("An annotation of the manifest (repeatable).", valueName: "K=V")) var annotation: [String] = []
            @Option(name: .long, help: ArgumentHelp("A config file, FILE[:MEDIATYPE] (default: the empty descriptor).", valueName: "FILE")) var config: String?

            func run() async throws {
                let reference = try ClientFactory.reference(reference)
                let files = try files.map(ArtifactSupport.file)
                let annotations = try ImageChangeOptions.pairs(annotation, flag: "--annotation")
                var configBlob: (bytes: [UInt8], mediaType: MediaType)?
                if let config {
                    let file = try ArtifactSupport.file(config)
                    configBlob = ([UInt8](try Data(contentsOf: file.url)), file.mediaType == "application/octet-stream" ? "application/vnd.oci.image.config.v1+json" : file.mediaType)
                }
                let subjectReference = try subject.map(ClientFactory.reference)
                let descriptor = try await ClientFactory.withClient(global) { client in
                    var subject: Descriptor?
                    if let subjectReference { subject = try await client.resolve(subjectReference) }
                    return try await client.pushArtifact(
                        files, artifactType: MediaType(artifactType), to: reference, config: configBlob, subject: subject,
                        annotations: annotations)
                }
                ArtifactSupport.report(descriptor, at: reference, global: global)
            }
        }

        /// `dockyard artifact pull REF -o DIR`
        struct PullFiles: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "pull", abstract: "Download an artifact's titled files into a directory.")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The artifact, by tag or digest.") var reference: String
            @Option(name: [.short, .customLong("output")], help: "The directory (created when missing).") var output = "."

            func run() async throws {
                let reference = try ClientFactory.reference(reference)
                let files = try await ClientFactory.withClient(global) { client in
                    try await client.pullArtifact(reference, into: URL(fileURLWithPath: output, isDirectory: true))
                }
                if global.json {
                    Output.jsonObject(["files": .array(files.map { .string($0.path) })])
                } else if !global.quiet {
                    for file in files { Output.line(file.path) }
                }
            }
        }

        /// `dockyard artifact delete REF`
        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Delete an artifact and remove it from its subject's referrers (tag schema on registries without the API).")
            @OptionGroup var global: GlobalOptions
            @Argument(help: "The artifact, by tag or digest.") var reference: String

            func run() async throws {
                let reference = try ClientFactory.reference(reference)
                let digest = try await ClientFactory.withClient(global) { client in try await client.deleteArtifact(reference) }
                if global.json {
                    Output.jsonObject(["deleted": .string(digest.description)])
                } else if !global.quiet {
                    Output.line("Deleted \(digest)")
                }
            }
        }
    }

    /// `dockyard attach REF --artifact-type T FILE…`: pushes files as a referrer of an image.
    struct Attach: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Attach files to an image as an artifact that refers to it (signature, SBOM, attestation …).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The image to attach to.") var reference: String
        @Argument(help: "The files, each FILE or FILE:MEDIATYPE.") var files: [String] = []
        @Option(name: .customLong("artifact-type"), help: "The artifact type.") var artifactType: String
        @Option(name: .long, help: ArgumentHelp("An annotation of the manifest (repeatable).", valueName: "K=V")) var annotation: [String] = []

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            let files = try files.map(ArtifactSupport.file)
            let annotations = try ImageChangeOptions.pairs(annotation, flag: "--annotation")
            let descriptor = try await ClientFactory.withClient(global) { client in
                let subject = try await client.resolve(reference)
                return try await client.pushArtifact(
                    files, artifactType: MediaType(artifactType), to: reference.withoutTag().withoutDigest(), subject: subject,
                    annotations: annotations)
            }
            ArtifactSupport.report(descriptor, at: reference, global: global)
        }
    }

    /// `dockyard referrers REF [--artifact-type T]`
    struct Referrers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the artifacts that refer to an image (referrers API, or the tag schema where it is missing).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The image.") var reference: String
        @Option(name: .customLong("artifact-type"), help: "Only referrers of this artifact type.") var artifactType: String?

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            let referrers = try await ClientFactory.withClient(global) { client in
                let digest = try await client.resolve(reference).digest
                return try await client.referrers(of: digest, in: reference.repository, artifactType: artifactType.map { MediaType($0) }).collect()
            }
            if global.json {
                for referrer in referrers {
                    Output.jsonObject([
                        "digest": .string(referrer.digest.description), "mediaType": .string(referrer.mediaType.rawValue),
                        "artifactType": .optional(referrer.artifactType?.rawValue), "size": .int(referrer.size),
                    ])
                }
            } else if !global.quiet {
                let rows = referrers.map { [$0.digest.description, $0.artifactType?.rawValue ?? "-", String($0.size)] }
                Output.line(Output.table(headers: ["DIGEST", "ARTIFACT TYPE", "SIZE"], rows: rows))
            }
        }
    }
}
