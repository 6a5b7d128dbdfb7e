import ArgumentParser
import Dockyard
import DockyardRegistryServer
import Foundation

extension DockyardCommand {
    /// `dockyard serve [--address HOST:PORT] [--storage DIR] [--htpasswd FILE] [--token [--anonymous-pull]
    /// [--pull-only USER]...] [--read-only]`: an OCI registry in this process, like `crane registry serve`. Logs one
    /// line per request on stderr (not with `--quiet`); stops on SIGINT or SIGTERM.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Run an OCI distribution-spec 1.1 registry (plain HTTP) until interrupted.",
            discussion: """
                Content lives in memory unless --storage names a directory, where it is stored content-addressed \
                and survives a restart. The first line on stdout is the registry's URL; each request is logged in \
                one line on stderr. SIGINT or SIGTERM stops the registry; every upload that completed is kept.

                With --token, clients authenticate at the registry's own token service (<URL>/token) with the \
                users of --htpasswd and send scoped bearer tokens: users may pull, push and delete everywhere \
                unless named with --pull-only.
                """
        )

        @Option(name: .long, help: ArgumentHelp("Address to listen on (port 0: any free port).", valueName: "HOST:PORT"))
        var address: String = "127.0.0.1:5000"

        @Option(name: .long, help: ArgumentHelp("Keep content in this directory instead of memory.", valueName: "DIR"))
        var storage: String?

        @Option(name: .long, help: ArgumentHelp("Require Basic authentication against this htpasswd file (bcrypt entries).", valueName: "FILE"))
        var htpasswd: String?

        @Flag(name: .long, help: "Require bearer tokens from the registry's own token service at <URL>/token (users from --htpasswd).")
        var token = false

        @Flag(name: .long, help: "With --token: clients without credentials get tokens that pull from every repository.")
        var anonymousPull = false

        @Option(name: .long, help: ArgumentHelp("With --token: this user may only pull (repeatable).", valueName: "USER"))
        var pullOnly: [String] = []

        @Flag(name: .long, help: "Refuse every request that would change content.")
        var readOnly = false

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            _ = try parsedAddress()
            if !token, anonymousPull || !pullOnly.isEmpty {
                throw ValidationError("--anonymous-pull and --pull-only need --token")
            }
            if token, htpasswd == nil, !anonymousPull {
                throw ValidationError("--token needs users (--htpasswd FILE) or --anonymous-pull")
            }
        }

        private func parsedAddress() throws -> (host: String, port: Int) {
            guard let colon = address.lastIndex(of: ":") else {
                throw ValidationError("--address must be HOST:PORT, got '\(address)'")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else {
                throw ValidationError("--address must be HOST:PORT with a port from 0 to 65535, got '\(address)'")
            }
            return (host, port)
        }

        func run() async throws {
            let (host, port) = try parsedAddress()
            var configuration = EmbeddedRegistry.Configuration(host: host, port: port, readOnly: readOnly)
            if let storage { configuration.storage = .directory(URL(fileURLWithPath: storage)) }
            if token {
                configuration.authentication = .token(EmbeddedRegistry.TokenAuthentication(
                    users: htpasswd.map { .htpasswd(URL(fileURLWithPath: $0)) } ?? .list([:]),
                    access: Dictionary(pullOnly.map { ($0, .pullOnly) }, uniquingKeysWith: { first, _ in first }),
                    anonymousPull: anonymousPull
                ))
            } else if let htpasswd {
                configuration.authentication = .htpasswd(URL(fileURLWithPath: htpasswd))
            }
            if !global.quiet {  // --quiet: no request log
                configuration.requestLog = { record in Output.diagnostic(record.description) }
            }
            let registry = try await EmbeddedRegistry.start(configuration)
            Output.line(registry.url.absoluteString)
            Output.diagnostic(
                "dockyard serve: listening on \(registry.url.absoluteString)"
                    + (storage.map { ", storage \($0)" } ?? ", storage in memory")
                    + (readOnly ? ", read-only" : "")
                    + (token ? ", token auth (realm \(registry.url.absoluteString)/token)" : htpasswd != nil ? ", Basic auth" : "")
            )
            let signal = await SignalWaiter.wait(for: [SIGINT, SIGTERM])
            Output.diagnostic("dockyard serve: signal \(signal), stopping")
            await registry.shutdown()
        }
    }
}

/// Waits for one of a set of signals (the signals are ignored by the default handler meanwhile).
enum SignalWaiter {
    static func wait(for signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "dockyard.signals")
            let box = SignalBox(continuation)
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { box.fire(number) }
                box.sources.append(source)
                source.resume()
            }
        }
    }

    private final class SignalBox: @unchecked Sendable {
        private var continuation: CheckedContinuation<Int32, Never>?
        var sources: [any DispatchSourceSignal] = []

        init(_ continuation: CheckedContinuation<Int32, Never>) { self.continuation = continuation }

        func fire(_ number: Int32) {
            // Runs on the box's serial queue.
            guard let continuation else { return }
            self.continuation = nil
            continuation.resume(returning: number)
        }
    }
}
