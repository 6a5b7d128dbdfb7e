import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand.Manifest {
    /// The `manifest` subcommands that talk to a registry (`get`, `put`, …). This file is owned by the registry
    /// client's work; ``allSubcommands`` appends this list to the offline ones.
    static var registryCommands: [any ParsableCommand.Type] {
        [Get.self, Put.self]
    }

    /// `dockyard manifest get REF [--raw] [--platform OS/ARCH[/VARIANT]]`
    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch a manifest or index from a registry (digest checked against the bytes).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The image reference, by tag or digest.")
        var reference: String

        @Flag(name: .long, help: "Write the exact bytes the registry sent to standard output.")
        var raw = false

        @Option(name: .long, help: ArgumentHelp("From an index, the manifest of this platform.", valueName: "OS/ARCH[/VARIANT]"))
        var platform: String?

        func validate() throws {
            if raw, global.json { throw ValidationError("--raw and --json cannot be combined") }
        }

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            var platform: Platform?
            if let text = self.platform {
                do {
                    platform = try Platform(parsing: text)
                } catch {
                    throw ValidationError("--platform \(text): \(error)")
                }
            }
            let document = try await ClientFactory.withClient(global) { client in
                if let platform { return try await client.resolve(reference, platform: platform) }
                return try await client.manifest(for: reference)
            }
            if raw {
                Output.raw(document.bytes)
            } else if global.json {
                let manifest = String(decoding: ManifestGetOutput.compact(document.bytes), as: UTF8.self)
                Output.line(
                    "{\"reference\":\(JSONValue.string(reference.description).rendered)"
                        + ",\"digest\":\(JSONValue.string(document.digest.description).rendered)"
                        + ",\"mediaType\":\(JSONValue.string(document.mediaType.rawValue).rendered)"
                        + ",\"size\":\(document.bytes.count)"
                        + ",\"manifest\":\(manifest)}")
            } else {
                Output.raw(ManifestGetOutput.pretty(document.bytes))
                Output.line("")
            }
        }
    }

    /// `dockyard manifest put FILE REF`
    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a manifest or index file under a tag or digest; prints its digest.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The manifest file (its mediaType field gives the Content-Type).")
        var file: String

        @Argument(help: "Where to put it: REPO:TAG or REPO@DIGEST.")
        var reference: String

        @Option(name: .customLong("media-type"), help: "The media type, when the document has no mediaType field.")
        var mediaType: String?

        func validate() throws {
            if let mediaType, DocumentKind(mediaType: MediaType(rawValue: mediaType)) == nil {
                throw ValidationError("--media-type \(mediaType) is not a manifest, index or image configuration media type")
            }
        }

        func run() async throws {
            let reference = try ClientFactory.reference(reference)
            // Read as `manifest validate` reads: at most one byte over the manifest limit, never the whole of a
            // large file.
            let bytes: [UInt8]
            do {
                bytes = try DockyardCommand.Manifest.Validate.read(file)
            } catch {
                throw PutFailure(description: "cannot read \(file): \(error). Check the path")
            }
            let document: ManifestDocument
            do {
                document = try ManifestDocument(bytes: bytes, mediaType: mediaType.map { MediaType(rawValue: $0) })
            } catch {
                let hint = mediaType == nil ? "; give its media type with --media-type if it has no mediaType field" : ""
                throw PutFailure(description: "\(file) is not a manifest or index: \(error)\(hint)")
            }
            let digest = try await ClientFactory.withClient(global) { try await $0.putManifest(document, as: reference) }
            if global.json {
                Output.jsonObject([
                    "reference": .string(reference.description),
                    "digest": .string(digest.description),
                    "mediaType": .string(document.mediaType.rawValue),
                    "size": .int(Int64(document.bytes.count)),
                ])
            } else {
                Output.line(digest.description)
            }
        }

        /// A failure before anything was sent: the file could not be read or is not a manifest.
        struct PutFailure: Error, CustomStringConvertible {
            var description: String
        }
    }
}

/// Re-renders manifest JSON for display, keeping its key order and values exactly as sent.
enum ManifestGetOutput {
    /// The document indented by two spaces per level.
    static func pretty(_ bytes: [UInt8]) -> [UInt8] { render(bytes, indent: true) }

    /// The document on one line without insignificant whitespace, for embedding in `--json` output.
    static func compact(_ bytes: [UInt8]) -> [UInt8] { render(bytes, indent: false) }

    private static func render(_ bytes: [UInt8], indent: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        var depth = 0
        var inString = false
        var escaped = false
        var index = 0
        func newline() {
            guard indent else { return }
            out.append(UInt8(ascii: "\n"))
            out += Array(repeating: UInt8(ascii: " "), count: depth * 2)
        }
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                out.append(byte)
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                continue
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(byte)
                // An empty container stays on one line.
                var look = index
                while look < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[look]) { look += 1 }
                if look < bytes.count, bytes[look] == byte + 2 {
                    out.append(bytes[look])
                    index = look + 1
                } else {
                    depth += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth = max(0, depth - 1)
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(byte)
                if indent { out.append(UInt8(ascii: " ")) }
            default:
                out.append(byte)
            }
        }
        return out
    }
}
