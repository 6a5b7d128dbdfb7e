import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small local HTTP server that receives Docker Hub webhook deliveries and checks their shape.
///
/// Each `POST` body is decoded with ``WebhookDelivery/decode(from:)``: a valid delivery is answered `200` and
/// yielded as ``Event/delivery(_:)``; a body that is not a delivery is answered `400` and yielded as
/// ``Event/rejected(_:)``; a body over ``Configuration/maximumBodySize`` is answered `413`; any other method `405`.
/// The receiver does not answer callbacks itself: send one with ``HubClient/sendCallback(_:to:allowedHosts:)``,
/// which only calls Docker Hub's callback host unless told otherwise.
///
/// ```swift
/// try await WebhookReceiver.withReceiver(.init(host: "127.0.0.1", port: 8099)) { receiver in
///     print("listening on \(receiver.url)")
///     for await event in receiver.events {
///         guard case .delivery(let delivery) = event else { continue }
///         print(delivery.repository.repoName, delivery.pushData.tag)
///         try await hub.sendCallback(try WebhookCallback(state: .success), to: delivery.callbackURL)
///     }
/// }
/// ```
public final class WebhookReceiver: Sendable {
    /// Where the receiver listens and how much it reads.
    public struct Configuration: Sendable, Hashable {
        /// The address to listen on (`127.0.0.1` by default; `0.0.0.0` for every interface).
        public var host: String
        /// The port; `0` picks a free one (see ``WebhookReceiver/port``).
        public var port: Int
        /// The largest request body read; a larger one is answered `413` and never held in memory.
        public var maximumBodySize: Int

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - host: The address to listen on.
        ///   - port: The port, `0` for a free one.
        ///   - maximumBodySize: The largest body read, in bytes (1 MiB by default).
        public init(host: String = "127.0.0.1", port: Int = 0, maximumBodySize: Int = 1 << 20) {
            self.host = host
            self.port = port
            self.maximumBodySize = maximumBodySize
        }
    }

    /// What one request brought.
    public enum Event: Sendable {
        /// A well-formed Docker Hub delivery (answered `200`).
        case delivery(WebhookDelivery)
        /// A request that was not a delivery (answered `400` or `413`), and why.
        case rejected(WebhookPayloadError)
    }

    /// The address the receiver listens on.
    public let host: String
    /// The port the receiver listens on (the one picked when the configuration said `0`).
    public let port: Int
    /// The requests received, in order; the stream ends when the receiver stops.
    public let events: AsyncStream<Event>

    /// `http://HOST:PORT/`: the URL to give Docker Hub (through a tunnel or proxy when the receiver is local).
    public var url: URL {
        let shown = host.contains(":") ? "[\(host)]" : host
        return URL(string: "http://\(shown):\(port)/") ?? URL(fileURLWithPath: "/")
    }

    private init(host: String, port: Int, events: AsyncStream<Event>) {
        self.host = host
        self.port = port
        self.events = events
    }

    /// Starts a receiver, runs `body` with it, and stops it when `body` returns or throws.
    ///
    /// - Parameters:
    ///   - configuration: Where to listen.
    ///   - body: What to do while the receiver runs, typically iterating ``events``.
    /// - Returns: What `body` returns.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` when the address cannot be listened
    ///   on (taken, or not an address of this machine); what `body` throws.
    public static func withReceiver<Result>(
        _ configuration: Configuration = Configuration(),
        _ body: (WebhookReceiver) async throws -> Result
    ) async throws -> Result {
        guard (0...65535).contains(configuration.port) else {
            throw HubAPIError(.invalidArgument, message: "the webhook receiver's port \(configuration.port) is not 0–65535")
        }
        guard configuration.maximumBodySize > 0 else {
            throw HubAPIError(.invalidArgument, message: "the webhook receiver's maximum body size must be positive")
        }
        let server: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw HubAPIError(
                .invalidArgument,
                message: "cannot listen on \(configuration.host):\(configuration.port) for webhook deliveries (\(error)); "
                    + "choose another port or an address of this machine")
        }
        let (events, continuation) = AsyncStream.makeStream(of: Event.self)
        let receiver = WebhookReceiver(
            host: configuration.host, port: server.channel.localAddress?.port ?? configuration.port, events: events)
        let limit = configuration.maximumBodySize
        let serverChannel = server.channel
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.executeThenClose { connections in
                    try await withThrowingDiscardingTaskGroup { connectionGroup in
                        for try await connection in connections {
                            connectionGroup.addTask { await serve(connection, limit: limit, continuation: continuation) }
                        }
                    }
                }
            }
            func stop() async {
                continuation.finish()
                group.cancelAll()
                try? await serverChannel.close()
            }
            do {
                let result = try await body(receiver)
                await stop()
                return result
            } catch {
                await stop()
                throw error
            }
        }
    }

    /// Reads the requests of one connection and answers each.
    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, limit: Int,
        continuation: AsyncStream<Event>.Continuation
    ) async {
        // A connection that breaks off mid-request is dropped; the other connections go on.
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await answer(inbound, outbound, limit: limit, continuation: continuation)
            }
        } catch {}
    }

    /// Answers the first request of a connection, then waits for the client to close it.
    private static func answer(
        _ inbound: NIOAsyncChannelInboundStream<HTTPServerRequestPart>, _ outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        limit: Int, continuation: AsyncStream<Event>.Continuation
    ) async throws {
        var head: HTTPRequestHead?
        var body: [UInt8] = []
        var tooLarge = false
        var answered = false
        for try await part in inbound {
            // After the answer (which says `Connection: close`) the connection is left for the client to close:
            // closing it here could cut the answer off before it leaves the socket. Anything more is ignored.
            if answered { continue }
            switch part {
            case .head(let requestHead):
                head = requestHead
                body = []
                tooLarge = false
            case .body(let buffer):
                // Past the limit the rest is read and dropped: memory stays bounded.
                if tooLarge || buffer.readableBytes > limit - body.count {
                    tooLarge = true
                    body = []
                } else {
                    body += buffer.readableBytesView
                }
            case .end:
                let status: HTTPResponseStatus
                var event: Event?
                if head?.method != .POST {
                    status = .methodNotAllowed
                } else if tooLarge {
                    status = .payloadTooLarge
                    event = .rejected(WebhookPayloadError(message: "the webhook body is over \(limit) bytes"))
                } else {
                    do {
                        event = .delivery(try WebhookDelivery.decode(from: body))
                        status = .ok
                    } catch {
                        event = .rejected(error)
                        status = .badRequest
                    }
                }
                // The answer is written before the event is handed on: a consumer that stops the receiver on this
                // event (after its last expected delivery) must not cut off the answer to the request that carried
                // it.
                defer { if let event { continuation.yield(event) } }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                headers.add(name: "Connection", value: "close")
                if status == .methodNotAllowed { headers.add(name: "Allow", value: "POST") }
                try await outbound.write(.head(HTTPResponseHead(version: head?.version ?? .http1_1, status: status, headers: headers)))
                try await outbound.write(.end(nil))
                answered = true
            }
        }
    }
}
