import ArgumentParser
import Dockyard
import Foundation

/// Options every `dockyard hub …` and `dockyard search` command accepts besides the global ones.
struct HubOptions: ParsableArguments {
    @Option(name: .customLong("hub-url"), help: ArgumentHelp("The Docker Hub API base URL (also $DOCKYARD_HUB_URL).", valueName: "URL"))
    var hubURL: String?

    /// `--hub-url`, else `$DOCKYARD_HUB_URL`, else `https://hub.docker.com`.
    ///
    /// - Parameter insecure: The `--insecure` names; plain HTTP is allowed only for them and for loopback hosts.
    func baseURL(insecure: [String] = []) throws -> URL {
        let text = hubURL ?? ProcessInfo.processInfo.environment["DOCKYARD_HUB_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return HubClient.Configuration.dockerHubURL }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty
        else {
            throw ValidationError("--hub-url \(text): expected an http:// or https:// URL with a host")
        }
        if url.user != nil || url.password != nil {
            throw ValidationError("--hub-url must not contain credentials; log in with `dockyard hub login`")
        }
        let authority = url.port.map { "\(host):\($0)" } ?? host
        if scheme == "http", !HostPolicy.allowsPlainHTTP(forRegistry: authority, insecureRegistries: Set(insecure)) {
            throw ValidationError(
                "--hub-url \(scheme)://\(authority) is plain HTTP to a host that is not loopback; use https, or allow it with --insecure \(host)")
        }
        return url
    }

    /// The `--insecure` name that lists the Hub's host (`host` or `host:port`), if any: its certificate is then
    /// not verified.
    static func insecureName(for url: URL, in insecure: [String]) -> String? {
        guard let host = url.host?.lowercased() else { return nil }
        let names = [host] + (url.port.map { ["\(host):\($0)"] } ?? [])
        return insecure.first { names.contains($0.lowercased()) }
    }
}

/// Builds `HubClient`s for the `hub` commands, with the kept session.
enum HubCLI {
    /// Runs `body` with a client for the Hub; a kept session (or the docker.io credentials) logs in on demand.
    ///
    /// - Parameters:
    ///   - useKeptSession: Whether to log in with the session `dockyard hub login` kept.
    ///   - logsURLs: Whether `--verbose` may log request URLs; `false` when a URL is itself a secret (a build
    ///     trigger URL carries its token in the path).
    static func withClient<Result>(
        _ global: GlobalOptions,
        _ hub: HubOptions,
        useKeptSession: Bool = true,
        logsURLs: Bool = true,
        _ body: (HubClient) async throws -> Result
    ) async throws -> Result {
        let baseURL = try hub.baseURL(insecure: global.insecure)
        var tls = AsyncHTTPTransport.Configuration.TLS()
        if let caFile = global.caFile { tls.additionalTrustRoots = [URL(fileURLWithPath: caFile)] }
        // Only the name that was listed: `--insecure host:port` leaves the host's other ports verified.
        if let name = HubOptions.insecureName(for: baseURL, in: global.insecure) {
            tls.hostsWithoutCertificateVerification.insert(name)
        }
        var configuration = AsyncHTTPTransport.Configuration(tls: tls)
        if logsURLs { configuration.logger = .dockyardStandardError(verbose: global.verbose) }
        let transport = try AsyncHTTPTransport(configuration: configuration)
        let session: HubSessionSource = useKeptSession ? .stored(try sessionStore(global, hub)) : .anonymous
        return try await ClientFactory.run({ transport in
            let client = try HubClient(configuration: .init(baseURL: baseURL), session: session, transport: transport)
            return try await body(client)
        }, on: transport, shutdown: { await transport.shutdown() })
    }

    /// The session store of the Hub the options name.
    static func sessionStore(_ global: GlobalOptions, _ hub: HubOptions) throws -> HubSessionStore {
        HubSessionStore(
            store: DockerCredentialStore(directory: ClientFactory.configDirectory(global)),
            hubURL: try hub.baseURL(insecure: global.insecure))
    }

    /// Parses `NS/NAME`.
    static func repository(_ text: String) throws -> HubRepositoryPath {
        do { return try HubRepositoryPath(parsing: text) } catch { throw ValidationError(error.description) }
    }

    /// Parses `NS/NAME:TAG`.
    static func tagReference(_ reference: String) throws -> (HubRepositoryPath, String) {
        guard let colon = reference.lastIndex(of: ":"), !reference[reference.index(after: colon)...].contains("/") else {
            throw ValidationError("expected NS/NAME:TAG, got '\(reference)'")
        }
        let path = try repository(String(reference[..<colon]))
        let tag = String(reference[reference.index(after: colon)...])
        guard !tag.isEmpty else { throw ValidationError("expected NS/NAME:TAG, got '\(reference)'") }
        return (path, tag)
    }

    /// Parses `--url`: an absolute http(s) URL.
    static func hookURL(_ text: String) throws -> URL {
        guard let parsed = URL(string: text), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host != nil
        else { throw ValidationError("--url must be an http:// or https:// URL") }
        return parsed
    }

    /// Writes one JSON document on one line: sorted keys, ISO 8601 dates.
    static func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        Output.line(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Prints a list as a JSON array or a table.
    static func printList<Item: Encodable>(_ items: [Item], global: GlobalOptions, headers: [String], row: (Item) -> [String]) throws {
        if global.json {
            try json(items)
        } else if !global.quiet {
            Output.line(Output.table(headers: headers, rows: items.map(row)))
        }
    }

    /// Prints one object as JSON, or the given text.
    static func printObject(_ item: some Encodable, global: GlobalOptions, text: () -> String) throws {
        if global.json {
            try json(item)
        } else if !global.quiet {
            Output.line(text())
        }
    }

    /// Prints a status for a command that returns nothing.
    static func printDone(_ global: GlobalOptions, _ pairs: KeyValuePairs<String, JSONValue>, text: String) {
        if global.json {
            Output.jsonObject(pairs)
        } else if !global.quiet {
            Output.line(text)
        }
    }

    /// Asks a question on the controlling terminal (stdin may carry the password); `nil` without a terminal.
    static func promptOnTerminal(_ question: String) -> String? {
        // Only for a person at a terminal: never when output is captured (scripts, tests).
        guard isatty(STDERR_FILENO) == 1, let tty = FileHandle(forUpdatingAtPath: "/dev/tty") else { return nil }
        defer { try? tty.close() }
        tty.write(Data(question.utf8))
        var answer = Data()
        while true {
            let byte = tty.readData(ofLength: 1)
            if byte.isEmpty || byte.first == 10 { break }
            answer.append(byte)
        }
        return String(decoding: answer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
