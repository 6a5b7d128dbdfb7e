// webhook-receiver: listens on loopback for Docker Hub webhook deliveries, prints each one, and answers its
// callback with DockyardHubAPI's `HubClient.sendCallback(_:to:)`.
//
//   webhook-receiver [--port N] [--state success|failure|error] [--description TEXT] [--context TEXT]
//                    [--target-url URL] [--once]
//
// It prints `listening on http://127.0.0.1:PORT/` first, then one JSON line per delivery:
//   {"repository":"alice/tools","tag":"v9","pusher":"alice","pushed_at":"…","callback":"accepted"}
import DockyardHTTPClient
import DockyardHubAPI
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

struct Options {
    var port = 0
    var state = WebhookCallback.State.success
    var description: String? = "Received by dockyard webhook-receiver"
    var context: String? = "dockyard webhook-receiver"
    var targetURL: URL?
    var once = false

    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else { throw UsageError("\(flag) needs a value") }
            return next
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--port":
                guard let port = Int(try value(argument)), (0...65535).contains(port) else { throw UsageError("--port needs 0–65535") }
                self.port = port
            case "--state":
                let text = try value(argument)
                guard let state = WebhookCallback.State(rawValue: text) else { throw UsageError("--state must be success, failure or error") }
                self.state = state
            case "--description": description = try value(argument)
            case "--context": context = try value(argument)
            case "--target-url":
                let text = try value(argument)
                guard let url = URL(string: text) else { throw UsageError("--target-url needs a URL") }
                targetURL = url
            case "--once": once = true
            case "-h", "--help":
                print("usage: webhook-receiver [--port N] [--state success|failure|error] [--description TEXT] [--context TEXT] [--target-url URL] [--once]")
                exit(0)
            default: throw UsageError("unknown argument \(argument)")
            }
        }
    }
}

struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints a line at once (stdout may be a pipe read by a test).
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func jsonLine(_ pairs: [(String, String)]) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes]
    let fields = pairs.map { key, value in
        let quoted = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
        return "\"\(key)\":\(quoted)"
    }
    return "{" + fields.joined(separator: ",") + "}"
}

/// Handles one delivery: decodes it, prints it, answers its callback.
func handle(body: [UInt8], options: Options, client: HubClient) async -> (status: HTTPResponseStatus, done: Bool) {
    let delivery: WebhookDelivery
    do {
        delivery = try WebhookDelivery.decode(from: body)
    } catch {
        emit(jsonLine([("error", error.description)]))
        return (.badRequest, false)
    }
    var outcome = "accepted"
    do {
        let callback = try WebhookCallback(state: options.state, description: options.description, context: options.context, targetURL: options.targetURL)
        try await client.sendCallback(callback, to: delivery.callbackURL)
    } catch {
        outcome = "failed: \(error)"
    }
    emit(jsonLine([
        ("repository", delivery.repository.repoName), ("tag", delivery.pushData.tag), ("pusher", delivery.pushData.pusher),
        ("pushed_at", ISO8601DateFormatter().string(from: delivery.pushData.pushedAt)), ("callback", outcome),
    ]))
    return (.ok, options.once)
}

func serve(options: Options) async throws {
    let transport = try AsyncHTTPTransport()
    let client = try HubClient(transport: transport)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
        .bind(host: "127.0.0.1", port: options.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
            }
        }
    emit("listening on http://127.0.0.1:\(server.channel.localAddress?.port ?? options.port)/")
    do {
        try await server.executeThenClose { connections in
            connections: for try await connection in connections {
                // One connection at a time: deliveries are sequential, and the receiver is a demonstration.
                var finished = false
                try? await connection.executeThenClose { inbound, outbound in
                    var body: [UInt8] = []
                    for try await part in inbound {
                        switch part {
                        case .head:
                            body = []
                        case .body(let buffer):
                            guard body.count + buffer.readableBytes <= 1 << 20 else { throw UsageError("delivery over 1 MiB") }
                            body += buffer.readableBytesView
                        case .end:
                            let (status, done) = await handle(body: body, options: options, client: client)
                            var headers = HTTPHeaders()
                            headers.add(name: "Content-Length", value: "0")
                            headers.add(name: "Connection", value: "close")
                            try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
                            try await outbound.write(.end(nil))
                            finished = done
                            return
                        }
                    }
                }
                if finished { break connections }
            }
        }
    } catch {
        await transport.shutdown()
        throw error
    }
    await transport.shutdown()
}

do {
    let options = try Options(arguments: Array(CommandLine.arguments.dropFirst()))
    try await serve(options: options)
} catch {
    FileHandle.standardError.write(Data("webhook-receiver: \(error)\n".utf8))
    exit(1)
}
