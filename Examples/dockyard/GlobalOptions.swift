import ArgumentParser
import Foundation

/// Options every `dockyard` command accepts (a contract: scripts depend on them).
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Docker configuration directory (as $DOCKER_CONFIG).")
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Map a registry name to a URL, NAME=URL (repeatable; also $DOCKYARD_ENDPOINTS).", valueName: "NAME=URL"))
    var endpoint: [String] = []

    @Option(name: .long, help: ArgumentHelp("A pull mirror, as daemon.json's registry-mirrors: URL mirrors Docker Hub, NAME=URL another registry; tried in order before the registry when reading (repeatable).", valueName: "[NAME=]URL"))
    var mirror: [String] = []

    @Option(name: .long, help: ArgumentHelp("Allow plain HTTP or unverified TLS for this registry (repeatable).", valueName: "NAME"))
    var insecure: [String] = []

    @Option(name: .customLong("ca-file"), help: "Extra CA certificate(s), PEM, to trust.")
    var caFile: String?

    @Option(name: .customLong("request-timeout"), help: ArgumentHelp("Overall deadline, in seconds, of each registry request that is not a blob transfer (manifests, tags, catalog, referrers, login, tokens); default 120.", valueName: "SECONDS"))
    var requestTimeout: Int?

    @Flag(name: .long, help: "Machine-readable JSON output.")
    var json = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Log requests (never credentials) to stderr.")
    var verbose = false

    /// `--endpoint` values followed by `$DOCKYARD_ENDPOINTS`, parsed as (name, url) pairs.
    func endpointPairs() throws -> [(name: String, url: String)] {
        var raw = endpoint
        if let env = ProcessInfo.processInfo.environment["DOCKYARD_ENDPOINTS"], !env.isEmpty {
            raw += env.split(separator: ",").map(String.init)
        }
        return try raw.map { item in
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex, item.index(after: eq) != item.endIndex else {
                throw ValidationError("--endpoint expects NAME=URL, got '\(item)'")
            }
            return (String(item[..<eq]), String(item[item.index(after: eq)...]))
        }
    }
}
