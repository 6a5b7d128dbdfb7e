import ArgumentParser
import Dockyard
import Foundation

extension DockyardCommand {
    /// `dockyard manifest …`: work with manifests, indexes, image configurations and descriptors.
    struct Manifest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "manifest",
            abstract: "Validate manifests, indexes, configs and descriptors; fetch and push manifests.",
            subcommands: Manifest.allSubcommands
        )

        /// The offline subcommands, then those that talk to a registry (ManifestRegistryCommands.swift).
        static var allSubcommands: [any ParsableCommand.Type] {
            [Validate.self] + registryCommands
        }
    }
}

extension DockyardCommand.Manifest {
    /// `dockyard manifest validate [--kind manifest|index|config|descriptor|layout] [--json] FILE...` (a contract:
    /// scripts depend on its output and exit status).
    ///
    /// Validates each file as strictly as the OCI image-spec JSON schemas plus go-digest's checks. With `--json`,
    /// one object per line: `{"file","valid","kind","mediaType","digest","error"}`, where `digest` is the sha256
    /// of the file's exact bytes, `mediaType` the document's own `mediaType` field (`null` when absent), `kind`
    /// the kind it was validated as (`null` when it could not be told) and `error` `null` when valid. Exits 1 when
    /// any file is invalid or unreadable, after reporting every one.
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Validate OCI / Docker manifests, indexes, image configs, descriptors and oci-layout files (offline).",
            discussion: """
                Rules: the OCI image-spec 1.1 JSON schemas, image-spec's own Go validator, and go-digest (sha256, \
                sha384 and sha512 digests need exactly 64, 96 or 128 lowercase hex digits). Docker schema 2 \
                manifests, manifest lists and configs are accepted as manifest, index and config; legacy Docker \
                schema 1 manifests as manifest. The JSON must be strict UTF-8 without duplicate keys, and files \
                over 4 MiB are refused.

                Kinds: manifest, index (also an OCI image layout's index.json), config, descriptor (a single \
                content descriptor), layout (an OCI image layout's oci-layout file, {"imageLayoutVersion": \
                "1.0.0"}). Without --kind, the document's mediaType decides, else its fields do.

                FILE may be - to read standard input. Exits 1 when any file is invalid, after reporting every one.
                """
        )

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: ArgumentHelp("What the files are: manifest, index, config, descriptor, layout (default: from the document).", valueName: "kind"))
        var kind: DocumentKind?

        @Argument(help: ArgumentHelp("Files to validate; - reads standard input.", valueName: "FILE"))
        var files: [String]

        func validate() throws {
            if files.filter({ $0 == "-" }).count > 1 {
                throw ValidationError("standard input (-) can be read only once")
            }
        }

        func run() async throws {
            var anyInvalid = false
            var rows: [[String]] = []
            for file in files {
                let outcome = Self.check(file: file, as: kind)
                anyInvalid = anyInvalid || !outcome.valid
                if global.json {
                    Output.jsonObject([
                        "file": .string(file),
                        "valid": .bool(outcome.valid),
                        "kind": .optional(outcome.kind?.rawValue),
                        "mediaType": .optional(outcome.mediaType?.rawValue),
                        "digest": .optional(outcome.digest?.description),
                        "error": .optional(outcome.error),
                    ])
                } else {
                    rows.append([
                        file, outcome.valid ? "valid" : "INVALID", outcome.kind?.rawValue ?? "-",
                        outcome.digest?.description ?? "-", outcome.error ?? "",
                    ])
                }
            }
            if !global.json, !global.quiet || anyInvalid {
                Output.line(Output.table(headers: ["FILE", "RESULT", "KIND", "DIGEST", "ERROR"], rows: rows))
            }
            if anyInvalid { throw CommandFailure(status: 1) }
        }

        /// The outcome for one file.
        struct Outcome {
            var valid: Bool
            var kind: DocumentKind?
            var mediaType: MediaType?
            var digest: ContentDigest?
            var error: String?
        }

        static func check(file: String, as kind: DocumentKind?) -> Outcome {
            let bytes: [UInt8]
            do {
                bytes = try read(file)
            } catch {
                return Outcome(valid: false, kind: kind, error: "cannot read \(file == "-" ? "standard input" : file): \(error)")
            }
            let report = ManifestValidator.report(for: bytes, as: kind)
            return Outcome(
                valid: report.isValid, kind: report.kind, mediaType: report.mediaType, digest: report.digest,
                error: report.error.map(String.init(describing:)))
        }

        /// Reads a file (or standard input), by default at most one byte more than a manifest may have so that an
        /// oversized input is reported as too large without being read whole.
        static func read(_ file: String, limit: Int = ManifestDocument.maximumSize + 1) throws -> [UInt8] {
            let handle: FileHandle
            if file == "-" {
                handle = FileHandle.standardInput
            } else {
                guard let opened = FileHandle(forReadingAtPath: file) else {
                    throw ReadError(file: file)
                }
                handle = opened
            }
            defer { if file != "-" { try? handle.close() } }
            var bytes: [UInt8] = []
            while bytes.count < limit {
                guard let chunk = try handle.read(upToCount: min(64 * 1024, limit - bytes.count)), !chunk.isEmpty else { break }
                bytes.append(contentsOf: chunk)
            }
            return bytes
        }

        struct ReadError: Error, CustomStringConvertible {
            var file: String
            var description: String {
                FileManager.default.fileExists(atPath: file) ? "permission denied or not a regular file" : "no such file"
            }
        }
    }
}

extension DocumentKind: ExpressibleByArgument {}
