import ArgumentParser
import Dockyard
import Foundation

/// Options every `dockyard hub …` and `dockyard search` command accepts besides the global ones.
struct HubOptions: ParsableArguments {
    @Option(name: .customLong("hub-url"), help: ArgumentHelp("The Docker Hub API base URL (also $DOCKYARD_HUB_URL).", valueName: "URL"))
    var hubURL: String?

    /// `--hub-url`, else `$DOCKYARD_HUB_URL`, else `https://hub.docker.com`.
    func baseURL() throws -> URL {
        let text = hubURL ?? ProcessInfo.processInfo.environment["DOCKYARD_HUB_URL"].flatMap { $0.isEmpty ? nil : $0 }
        guard let text else { return HubClient.Configuration.dockerHubURL }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw ValidationError("--hub-url \(text): expected an http:// or https:// URL with a host")
        }
        return url
    }
}

/// Builds `HubClient`s for the `hub` commands, with the kept session.
enum HubCLI {
    /// Runs `body` with a client for the Hub; a kept session (or the docker.io credentials) logs in on demand.
    static func withClient<Result>(
        _ global: GlobalOptions,
        _ hub: HubOptions,
        useKeptSession: Bool = true,
        _ body: (HubClient) async throws -> Result
    ) async throws -> Result {
        let baseURL = try hub.baseURL()
        var tls = AsyncHTTPTransport.Configuration.TLS()
        if let caFile = global.caFile { tls.additionalTrustRoots = [URL(fileURLWithPath: caFile)] }
        if let host = baseURL.host, global.insecure.contains(host) || global.insecure.contains(baseURL.port.map { "\(host):\($0)" } ?? host) {
            tls.hostsWithoutCertificateVerification.insert(host)
        }
        let transport = try AsyncHTTPTransport(configuration: .init(tls: tls))
        do {
            let client = try HubClient(configuration: .init(baseURL: baseURL), transport: transport)
            if useKeptSession, let login = try await sessionStore(global, hub).load() {
                try await client.login(login)
            }
            let result = try await body(client)
            await transport.shutdown()
            return result
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// The session store of the Hub the options name.
    static func sessionStore(_ global: GlobalOptions, _ hub: HubOptions) throws -> HubSessionStore {
        HubSessionStore(store: DockerCredentialStore(directory: ClientFactory.configDirectory(global)), hubURL: try hub.baseURL())
    }

    /// Parses `NS/NAME`.
    static func repository(_ text: String) throws -> HubRepositoryPath {
        do { return try HubRepositoryPath(parsing: text) } catch { throw ValidationError(error.description) }
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
