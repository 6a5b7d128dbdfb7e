import ArgumentParser
import Dockyard
import Foundation

extension WebhookCallback.State: ExpressibleByArgument {}

extension DockyardCommand.Hub.Webhook {
    /// `dockyard hub webhook serve [--address HOST:PORT] [--callback] [--allow-callback-host H]… [--count N]`
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Receive Docker Hub webhook deliveries locally: check each one's shape, print it, and optionally send its callback.",
            discussion: """
                Prints one line per delivery (one JSON object with --json) after a first line saying where it listens. \\
                A request that is not a Docker Hub delivery is answered 400 and reported on standard error. \\
                With --callback, each delivery's callback_url is called, only on Docker Hub's callback host \\
                (registry.hub.docker.com) or the Hub API's host, unless --allow-callback-host names another.
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var hub: HubOptions
        @Option(help: ArgumentHelp("Where to listen; port 0 picks a free one.", valueName: "HOST:PORT")) var address = "127.0.0.1:8099"
        @Flag(help: "Send each delivery's callback.") var callback = false
        @Option(name: .customLong("callback-state"), help: "The callback's state: success, failure or error.") var callbackState: WebhookCallback.State = .success
        @Option(name: .customLong("callback-description"), help: "The callback's description (at most 255 characters).") var callbackDescription: String?
        @Option(name: .customLong("callback-context"), help: "The callback's context (at most 100 characters).") var callbackContext = "dockyard hub webhook serve"
        @Option(name: .customLong("allow-callback-host"), help: ArgumentHelp("Also send callbacks to this host (repeatable).", valueName: "HOST"))
        var allowCallbackHost: [String] = []
        @Option(help: "Stop after this many deliveries.") var count: Int?

        /// One delivery as `--json` prints it.
        struct Received: Encodable {
            var repository: String
            var tag: String
            var pusher: String
            var pushedAt: Date
            /// `not sent`, `sent` or `failed`.
            var callback: String
            var callbackState: WebhookCallback.State?
            var callbackError: String?

            enum CodingKeys: String, CodingKey {
                case repository, tag, pusher, callback
                case pushedAt = "pushed_at", callbackState = "callback_state", callbackError = "callback_error"
            }
        }

        /// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback).
        static func parse(_ address: String) throws -> (host: String, port: Int) {
            guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (0...65535).contains(port) else {
                throw ValidationError("--address must be HOST:PORT with a port 0–65535, e.g. 127.0.0.1:8099")
            }
            var host = String(address[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            return (host.isEmpty ? "127.0.0.1" : host, port)
        }

        func makeCallback() throws -> WebhookCallback {
            do {
                return try WebhookCallback(state: callbackState, description: callbackDescription, context: callbackContext)
            } catch {
                throw ValidationError(error.description)
            }
        }

        func validate() throws {
            _ = try Serve.parse(address)
            _ = try makeCallback()
            if let count, count <= 0 { throw ValidationError("--count must be positive") }
        }

        func run() async throws {
            let (host, port) = try Serve.parse(address)
            let answer = try makeCallback()
            let allowed = Set(allowCallbackHost)
            // Callbacks carry no credentials: the callback URL is the capability.
            try await HubCLI.withClient(global, hub, useKeptSession: false, logsURLs: false) { client in
                try await WebhookReceiver.withReceiver(.init(host: host, port: port)) { receiver in
                    if global.json {
                        Output.jsonObject(["status": .string("listening"), "url": .string(receiver.url.absoluteString)])
                    } else {
                        Output.line("Listening on \(receiver.url.absoluteString) for Docker Hub webhook deliveries")
                    }
                    var received = 0
                    for await event in receiver.events {
                        switch event {
                        case .rejected(let problem):
                            Output.diagnostic("dockyard: refused a request that is not a Docker Hub delivery: \(problem)")
                        case .delivery(let delivery):
                            var record = Received(
                                repository: delivery.repository.repoName, tag: delivery.pushData.tag, pusher: delivery.pushData.pusher,
                                pushedAt: delivery.pushData.pushedAt, callback: "not sent")
                            if callback {
                                do {
                                    try await client.sendCallback(answer, to: delivery.callbackURL, allowedHosts: allowed)
                                    record.callback = "sent"
                                    record.callbackState = answer.state
                                } catch {
                                    record.callback = "failed"
                                    record.callbackError = ErrorHints.describe(error)
                                }
                            }
                            if global.json {
                                try HubCLI.json(record)
                            } else if !global.quiet {
                                var text = "\(HubCLI.date(record.pushedAt))  \(record.repository):\(record.tag)  pushed by \(record.pusher)"
                                switch record.callback {
                                case "sent": text += "  callback: sent (\(answer.state.rawValue))"
                                case "failed": text += "  callback: failed: \(record.callbackError ?? "")"
                                default: break
                                }
                                Output.line(text)
                            }
                            received += 1
                            if let count, received >= count { return }
                        }
                    }
                }
            }
        }
    }
}
