import ArgumentParser
import Dockyard

extension DockyardCommand {
    /// `dockyard reference [--mode normalized|strict|docker|any|canonical] [--json] REF...` (a contract: scripts
    /// depend on its output and exit status).
    ///
    /// Parses each reference with one of `distribution/reference`'s parsers and prints its parts. With `--json`,
    /// one object per line: `{"input","valid":true,"domain","path","name","tag","digest","string","familiar",
    /// "normalized"}` or `{"input","valid":false,"error","message"}`. Exits 1 when any reference is invalid.
    struct Reference: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reference",
            abstract: "Parse image references and show their parts (works offline).",
            discussion: """
                Modes follow Docker's distribution/reference: normalized (ParseNormalizedNamed, the default), \
                strict (Parse), docker (ParseDockerRef), any (ParseAnyReference), canonical (ParseNamed). \
                Exits 1 when any reference is invalid, after reporting every one.
                """
        )

        /// The parser to use, named as in the CLI.
        enum Mode: String, ExpressibleByArgument, CaseIterable {
            case normalized, strict, docker, any, canonical

            var parseMode: ReferenceParseMode {
                switch self {
                case .normalized: .normalized
                case .strict: .strict
                case .docker: .docker
                case .any: .any
                case .canonical: .canonical
                }
            }
        }

        @OptionGroup var global: GlobalOptions

        @Option(name: .long, help: "Parser: normalized (default), strict, docker, any, canonical.")
        var mode: Mode = .normalized

        @Argument(help: ArgumentHelp("References to parse.", valueName: "REF"))
        var references: [String]

        func run() async throws {
            let outcomes = references.map { input in
                (input, Result { () throws(ReferenceError) in try AnyReference(parsing: input, mode: mode.parseMode) })
            }
            if global.json {
                for (input, outcome) in outcomes { printJSON(input: input, outcome: outcome) }
            } else {
                printTable(outcomes)
            }
            if outcomes.contains(where: { if case .failure = $0.1 { true } else { false } }) {
                throw CommandFailure(status: 1)
            }
        }

        private func printJSON(input: String, outcome: Result<AnyReference, ReferenceError>) {
            switch outcome {
            case .success(let reference):
                let parts = Parts(reference)
                Output.jsonObject([
                    "input": .string(input),
                    "valid": .bool(true),
                    "domain": .string(parts.domain),
                    "path": .optional(parts.path),
                    "name": .optional(parts.name),
                    "tag": .optional(parts.tag),
                    "digest": .optional(parts.digest),
                    "string": .string(reference.description),
                    "familiar": .optional(parts.familiar),
                    "normalized": .optional(parts.normalized),
                ])
            case .failure(let error):
                Output.jsonObject([
                    "input": .string(input),
                    "valid": .bool(false),
                    "error": .string(error.code),
                    "message": .string(error.description),
                ])
            }
        }

        private func printTable(_ outcomes: [(String, Result<AnyReference, ReferenceError>)]) {
            var rows: [[String]] = []
            for (input, outcome) in outcomes {
                switch outcome {
                case .success(let reference):
                    let parts = Parts(reference)
                    rows.append([
                        input, "ok", parts.domain.isEmpty ? "-" : parts.domain, parts.path ?? "-", parts.tag ?? "-",
                        parts.digest ?? "-", parts.familiar ?? "-",
                    ])
                case .failure(let error):
                    rows.append([input, error.code, "-", "-", "-", "-", "-"])
                    Output.diagnostic("dockyard: \(input.isEmpty ? "\"\"" : input): \(error.description)")
                }
            }
            if !global.quiet {
                Output.line(Output.table(headers: ["REFERENCE", "STATUS", "DOMAIN", "PATH", "TAG", "DIGEST", "FAMILIAR"], rows: rows))
            }
        }
    }
}

/// The printable parts of a parsed reference. `familiar` and `normalized` come from the normalized form of the
/// parsed name and are `nil` when it cannot be normalized; a bare digest is its own familiar and normalized form.
private struct Parts {
    var domain = ""
    var path: String?
    var name: String?
    var tag: String?
    var digest: String?
    var familiar: String?
    var normalized: String?

    init(_ reference: AnyReference) {
        digest = reference.digest?.description
        guard let image = reference.imageReference else {
            familiar = reference.familiar
            normalized = reference.normalized
            return
        }
        domain = image.domain
        path = image.path
        name = image.name
        tag = image.tag
        if let normalizedReference = try? image.normalized() {
            familiar = normalizedReference.familiar
            normalized = normalizedReference.description
        }
    }
}
