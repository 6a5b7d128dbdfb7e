@testable import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Blob upload edge cases against the embedded registry, which implements what distribution 2.8.2 does not: it
/// answers `416` to a chunk that does not continue the session, and announces `OCI-Chunk-Min-Length`. A fault proxy
/// of each test's own stands in front of it (its log records every chunk's `Content-Range`, the registry's `Range`
/// answers and the faults), and the registry's own request log is the second witness.
@Suite("Blob uploads against the embedded registry", .requiresLocalHub, .tags(.integration))
struct EmbeddedRegistryUploadTests {
    static let chunk = 64 * 1024

    /// What the registry logged, for the assertions and the failure messages.
    final class RequestLog: Sendable {
        private let records = NIOLockedValueBox<[EmbeddedRegistry.RequestRecord]>([])
        var all: [EmbeddedRegistry.RequestRecord] { records.withLockedValue { $0 } }
        @Sendable func append(_ record: EmbeddedRegistry.RequestRecord) { records.withLockedValue { $0.append(record) } }
    }

    /// Starts an embedded registry (with `configure` applied) and a fault proxy in front of it, and gives `body` a
    /// client whose endpoint for the proxy's host is the proxy.
    static func withProxiedRegistry(
        configure: (inout EmbeddedRegistry.Configuration) -> Void = { _ in },
        _ body: (EmbeddedRegistry, RequestLog, FaultProxy, RegistryClient) async throws -> Void
    ) async throws {
        let log = RequestLog()
        var configuration = EmbeddedRegistry.Configuration(requestLog: log.append)
        configure(&configuration)
        try await EmbeddedRegistry.withRegistry(configuration) { registry in
            try await FaultProxy.launch(inFrontOf: registry.url) { proxy in
                var clientConfiguration = RegistryClient.Configuration(retry: .none)
                clientConfiguration.endpoints[proxy.host] = proxy.url
                let client = try RegistryClient(configuration: clientConfiguration, credentials: AnonymousCredentials())
                do {
                    try await body(registry, log, proxy, client)
                    await client.shutdown()
                } catch {
                    await client.shutdown()
                    throw error
                }
            }
        }
    }

    static func repository(_ proxy: FaultProxy, _ stem: String) throws -> Repository {
        try ImageReference(normalizing: "\(proxy.host)/team/\(stem)-\(RegistryFixtures.uniqueSuffix()):x").repository
    }

    /// The blob as the registry serves it, read with curl straight from the registry (not through the proxy).
    static func stored(_ registry: EmbeddedRegistry, _ repository: Repository, _ digest: ContentDigest) async throws -> [UInt8] {
        let response = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/\(repository.path)/blobs/\(digest)"))
        return response.status == 200 ? Array(response.body) : []
    }

    static func uploads(_ entries: [FaultProxy.LogEntry]) -> [FaultProxy.LogEntry] {
        entries.filter { $0.event == nil && ($0.path ?? "").contains("/blobs/") }
    }

    static func summary(_ entries: [FaultProxy.LogEntry]) -> String {
        entries.map {
            "\($0.method ?? "?") \($0.contentRange ?? "") → \($0.status.map(String.init) ?? "cut") \($0.responseRange ?? "")"
                + ($0.fault.map { " [\($0)]" } ?? "")
        }.joined(separator: ", ")
    }

    /// The first byte after a `Range: 0-N` answer.
    static func offset(after range: String?) -> Int? {
        range.flatMap { $0.split(separator: "-").last }.flatMap { Int($0) }.map { $0 + 1 }
    }

    @Test("A chunk sent from an offset the registry is already past gets 416; the client asks for the offset and goes on from there")
    func outOfOrderChunkGets416() async throws {
        try await Self.withProxiedRegistry { registry, _, proxy, client in
            let scratch = try TemporaryDirectory(prefix: "embedded-upload")
            defer { scratch.remove() }
            let seed: UInt64 = 0x5EED_0301
            let (file, digest, bytes) = try UploadFaultTests.blobFile(scratch, size: 300_000, seed: seed)
            let repository = try Self.repository(proxy, "out-of-order")
            let blobs = try client.blobClient(
                for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))

            // The registry's answer to the second chunk (Range 0-131071) reaches the client as 0-65535, so the client
            // sends the second chunk again: from 65536, where the registry already holds 131072 bytes.
            let entries = try await proxy.withScenario(.understateRange, params: ["skip": 1, "by": 65536]) { proxy in
                let mark = proxy.logMark()
                let result = try await blobs.upload(contentsOf: file, digest: digest)
                #expect(result.outcome == .uploaded)
                return Self.uploads(try await proxy.requests(since: mark))
            }
            let described = "seed \(seed): \(Self.summary(entries))"
            let refused = try #require(entries.first { $0.status == 416 }, "no 416: \(described)")
            #expect(refused.method == "PATCH")
            #expect(refused.contentRange == "65536-131071", "\(described)")
            #expect(refused.responseRange == "0-131071", "the registry says where it is: \(described)")
            // After the 416: a status GET, then the next chunk from the registry's offset, in the same session.
            let after = entries.drop { $0.status != 416 }.dropFirst()
            let status = try #require(after.first, "\(described)")
            #expect(status.method == "GET" && status.status == 204, "\(described)")
            #expect(status.responseRange == "0-131071")
            #expect(after.dropFirst().first?.contentRange == "131072-196607", "\(described)")
            #expect(entries.count { $0.method == "POST" } == 1, "one session: \(described)")
            #expect(entries.count { $0.status == 416 } == 1, "\(described)")
            #expect(try await Self.stored(registry, repository, digest) == bytes, "seed \(seed)")
        }
    }

    @Test("OCI-Chunk-Min-Length above the configured chunk size: every PATCH but the last is at least that long")
    func chunkMinimumHonoured() async throws {
        let minimum = 100_000
        try await Self.withProxiedRegistry(configure: { $0.minimumChunkLength = minimum }) { registry, log, proxy, client in
            let scratch = try TemporaryDirectory(prefix: "embedded-upload")
            defer { scratch.remove() }
            let seed: UInt64 = 0x5EED_0302
            let (file, digest, bytes) = try UploadFaultTests.blobFile(scratch, size: 350_000, seed: seed)
            let repository = try Self.repository(proxy, "chunk-min")
            let blobs = try client.blobClient(
                for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))
            let mark = proxy.logMark()
            _ = try await blobs.upload(contentsOf: file, digest: digest)
            let entries = Self.uploads(try await proxy.requests(since: mark))

            // The registry announced the minimum when the session opened...
            let post = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/\(repository.path)/blobs/uploads/"))
            #expect(post.headers["oci-chunk-min-length"] == String(minimum))
            // ...and the chunks follow it: 100,000 bytes each (not the configured 65,536), the rest in the last one.
            let patches = entries.filter { $0.method == "PATCH" }
            #expect(patches.map { $0.contentRange ?? "" } == ["0-99999", "100000-199999", "200000-299999", "300000-349999"],
                    "seed \(seed): \(Self.summary(entries))")
            // The registry's own log agrees on the bytes each PATCH carried.
            let received = log.all.filter { $0.method == "PATCH" && $0.target.hasPrefix("/v2/\(repository.path)/") }.map(\.bytesIn)
            #expect(received == [100_000, 100_000, 100_000, 50_000], "\(log.all.map(\.description))")
            #expect(try await Self.stored(registry, repository, digest) == bytes, "seed \(seed)")
        }
    }

    @Test("A chunk cut in the middle: the status GET gives the registry's offset and the next chunk starts there")
    func resumeAfterCut() async throws {
        try await Self.withProxiedRegistry { registry, _, proxy, client in
            let scratch = try TemporaryDirectory(prefix: "embedded-upload")
            defer { scratch.remove() }
            let seed: UInt64 = 0x5EED_0303
            let (file, digest, bytes) = try UploadFaultTests.blobFile(scratch, size: 300_000, seed: seed)
            let repository = try Self.repository(proxy, "cut")
            let blobs = try client.blobClient(
                for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))

            let (entries, injected) = try await proxy.withScenario(
                .cutRequestBody, params: ["method": "PATCH", "skip": 2, "after_bytes": 10_000]
            ) { proxy in
                let mark = proxy.logMark()
                _ = try await blobs.upload(contentsOf: file, digest: digest)
                return (Self.uploads(try await proxy.requests(since: mark)), try await proxy.state().injected)
            }
            let described = "seed \(seed): \(Self.summary(entries))"
            #expect(injected == 1)
            let cut = try #require(entries.first { $0.fault == "cut-request-body" }, "\(described)")
            #expect(cut.contentRange == "131072-196607")
            #expect(cut.requestBytes == 10_000)
            let after = entries.drop { $0.fault != "cut-request-body" }.dropFirst()
            let status = try #require(after.first, "\(described)")
            #expect(status.method == "GET" && status.status == 204, "\(described)")
            // Whatever the registry kept of the cut chunk, the client continues at the offset it reported.
            let resumeAt = try #require(Self.offset(after: status.responseRange), "\(described)")
            #expect(after.dropFirst().first?.contentRange?.hasPrefix("\(resumeAt)-") == true, "\(described)")
            #expect(try await Self.stored(registry, repository, digest) == bytes, "seed \(seed)")
        }
    }

    @Test("Every chunk cut: the upload gives up after 1 + maxResumeAttempts tries with resumeFailed, nothing stored")
    func resumeBounded() async throws {
        try await Self.withProxiedRegistry { registry, _, proxy, client in
            let scratch = try TemporaryDirectory(prefix: "embedded-upload")
            defer { scratch.remove() }
            let (file, digest, _) = try UploadFaultTests.blobFile(scratch, size: 200_000, seed: 0x5EED_0304)
            let repository = try Self.repository(proxy, "cut-all")
            let blobs = try client.blobClient(
                for: repository, actions: [.pull, .push],
                configuration: .init(uploadStrategy: .chunked(size: Self.chunk), maxResumeAttempts: 2))
            let (error, injected) = try await proxy.withScenario(
                .cutRequestBody, params: ["method": "PATCH", "after_bytes": 1000, "times": .null]
            ) { proxy in
                let error = await #expect(throws: BlobTransferError.self) { try await blobs.upload(contentsOf: file, digest: digest) }
                return (error, try await proxy.state().injected)
            }
            #expect(error?.code == .resumeFailed, "\(String(describing: error))")
            #expect(injected == 3)
            #expect(try await Self.stored(registry, repository, digest).isEmpty)
        }
    }
}
