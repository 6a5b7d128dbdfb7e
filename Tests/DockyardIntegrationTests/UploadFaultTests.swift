@testable import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// Blob uploads against distribution 2.8.2 through a fault proxy of each test's own: request bodies cut in the
/// middle, out-of-order chunks, digests the registry rejects, and upload sessions that continue on another origin.
///
/// What distribution 2.8.2 does after a body is cut (checked here, not assumed): when the cut left bytes in the
/// session beyond the offset of its last `Location`, the first request to the session that finds them cancels it
/// (404 `BLOB_UPLOAD_INVALID`); when the cut left none, the session goes on and `GET` answers `204` with the offset.
/// Which request finds them depends on when the registry takes in the cut request's bytes: once it has, the status
/// `GET`; a busy registry may take them in after it answered the `GET` (from what it held before the cut), and then
/// the next `PATCH` or `PUT` finds them. The proxy's `hold` parameter makes each order certain. Distribution ignores
/// a chunk's `Content-Range` (so it never answers 416 to an out-of-order chunk): that check needs a registry that
/// implements it.
@Suite("Blob uploads through faults against a real registry", .requiresLocalHub, .tags(.integration), .privateFaultProxies)
struct UploadFaultTests {
    static let chunk = 64 * 1024

    /// A file of `size` seeded random bytes; the seed is in the test's output when a check fails.
    static func blobFile(_ directory: TemporaryDirectory, size: Int, seed: UInt64) throws -> (URL, ContentDigest, [UInt8]) {
        var generator = SeededGenerator(state: seed)
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let url = directory.url.appendingPathComponent("blob-\(seed)")
        try Data(bytes).write(to: url)
        return (url, ContentDigest.sha256(of: bytes), bytes)
    }

    static func repository(_ registry: LocalHub.Registry, _ stem: String) throws -> Repository {
        try ImageReference(normalizing: "\(registry.host)/dockyard/\(stem)-\(RegistryFixtures.uniqueSuffix()):x").repository
    }

    /// The blob as the registry serves it, read with curl straight from the registry (not through the proxy).
    static func stored(_ hub: LocalHub, _ repository: Repository, _ digest: ContentDigest) async throws -> ControlHTTP.Response {
        try await ControlHTTP.get(hub.open.v2("\(repository.path)/blobs/\(digest)"))
    }

    static func client(retry: RetryPolicy = .none) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configuration.retry = retry
        return try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
    }

    /// The requests of one upload, without the proxy's control events.
    static func uploadRequests(_ entries: [FaultProxy.LogEntry], _ repository: Repository) -> [FaultProxy.LogEntry] {
        entries.filter { $0.event == nil && ($0.path ?? "").hasPrefix("/v2/\(repository.path)/blobs/") }
    }

    /// What one upload through a fault scenario did: its result, its requests as the proxy logged them, and how many
    /// faults the proxy injected.
    struct LoggedUpload {
        var result: UploadResult
        var entries: [FaultProxy.LogEntry]
        var injected: Int
    }

    /// Uploads `file` through `fault` while `scenario` is set, and reads back what the proxy saw of it.
    static func upload(
        _ file: URL, digest: ContentDigest, with blobs: BlobClient, to repository: Repository,
        through fault: FaultProxy, _ scenario: FaultProxy.Scenario, params: [String: TestJSON]
    ) async throws -> LoggedUpload {
        try await fault.withScenario(scenario, params: params) { proxy in
            let mark = proxy.logMark()
            let result = try await blobs.upload(contentsOf: file, digest: digest)
            let injected = try await proxy.state().injected
            return LoggedUpload(
                result: result, entries: uploadRequests(try await proxy.requests(since: mark), repository), injected: injected)
        }
    }

    /// `METHOD STATUS RANGE` per request; a request the proxy cut is `cut`, one that ended without an answer for
    /// another reason shows the proxy's error.
    static func summary(_ entries: [FaultProxy.LogEntry]) -> String {
        entries.map { entry in
            let outcome = entry.status.map(String.init) ?? (entry.fault != nil ? "cut" : "no answer (\(entry.error ?? "?"))")
            return "\(entry.method ?? "?") \(outcome) \(entry.contentRange ?? "")"
        }.joined(separator: ", ")
    }

    @Test("A chunk cut before its first byte: the status GET gives the registry's offset and the upload goes on from there")
    func chunkCutAtZeroResumesFromRegistryOffset() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0001
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 300_000, seed: seed)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-zero")
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))

        // The third PATCH reaches the registry with its headers and no body byte.
        let upload = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .cutRequestBody, params: ["method": "PATCH", "skip": 2, "after_bytes": 0])
        #expect(upload.result.outcome == .uploaded)
        #expect(upload.injected == 1)
        let entries = upload.entries
        let methods = entries.compactMap(\.method)
        #expect(methods == ["HEAD", "POST", "PATCH", "PATCH", "PATCH", "GET", "PATCH", "PATCH", "PATCH", "PUT"], "seed \(seed): \(Self.summary(entries))")
        let cut = try #require(entries.first { $0.fault == "cut-request-body" })
        #expect(cut.requestBytes == 0)
        #expect(cut.contentRange == "131072-196607")
        let status = try #require(entries.first { $0.method == "GET" })
        #expect(status.status == 204)
        // The chunk after the status GET starts at the registry's offset (two whole chunks), in the same session.
        let resumed = try #require(entries.drop { $0.method != "GET" }.dropFirst().first)
        #expect(resumed.contentRange == "131072-196607", "seed \(seed): \(Self.summary(entries))")
        #expect(methods.filter { $0 == "POST" }.count == 1, "no new session")
        let stored = try await Self.stored(hub, repository, digest)
        #expect(stored.status == 200)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test("A chunk cut in the middle: distribution drops the session at the status GET, and the upload starts a new one from zero")
    func chunkCutMidBodyStartsOver() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0002
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 300_000, seed: seed)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-mid")
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))

        // The registry has taken in the cut bytes (and finished the cut request) before the status GET reaches it.
        let entries = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .cutRequestBody, params: ["method": "PATCH", "skip": 2, "after_bytes": 10_000, "hold": "before-next"]
        ).entries
        let cut = try #require(entries.first { $0.fault == "cut-request-body" })
        #expect(cut.requestBytes == 10_000)
        #expect(entries.compactMap(\.method) == ["HEAD", "POST", "PATCH", "PATCH", "PATCH", "GET", "POST"] + Array(repeating: "PATCH", count: 5) + ["PUT"],
                "\(Self.summary(entries))")
        let status = try #require(entries.first { $0.method == "GET" })
        #expect(status.status == 404, "distribution cancels a session whose size is past its offset: \(Self.summary(entries))")
        #expect(entries.filter { $0.method == "POST" }.count == 2, "a new session after the 404: \(Self.summary(entries))")
        let afterRestart = entries.drop { $0.method != "GET" }.filter { $0.method == "PATCH" }
        #expect(afterRestart.first?.contentRange == "0-65535")
        let stored = try await Self.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test("A monolithic PUT cut in the middle: status GET, a new session, one more whole PUT")
    func monolithicCutMidBody() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0003
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 1_000_000, seed: seed)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-mono")
        let blobs = try client.blobClient(for: repository, actions: [.pull, .push])

        // The registry has taken in the cut bytes before the status GET reaches it.
        let entries = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .cutRequestBody, params: ["method": "PUT", "after_bytes": 300_000, "hold": "before-next"]
        ).entries
        #expect(entries.compactMap(\.method) == ["HEAD", "POST", "PUT", "GET", "POST", "PUT"], "\(Self.summary(entries))")
        #expect(entries.first { $0.fault != nil }?.requestBytes == 300_000)
        #expect(entries.last?.status == 201)
        let stored = try await Self.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test(
        "A chunk cut in the middle that the registry takes in only after the status GET: the next PATCH finds the session dropped, and the upload starts a new one"
    )
    func chunkCutTakenInLateStartsOver() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0008
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 300_000, seed: seed)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-late")
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))

        // What a busy registry does: the status GET is answered from what the registry held before the cut (204,
        // two whole chunks); the registry takes in the cut bytes after that, and the next PATCH finds them.
        let upload = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .cutRequestBody, params: ["method": "PATCH", "skip": 2, "after_bytes": 10_000, "hold": "after-next"])
        #expect(upload.result.outcome == .uploaded)
        #expect(upload.injected == 1)
        let entries = upload.entries
        // The cut is logged once the registry has finished it: after the status GET, before the next PATCH.
        #expect(
            entries.compactMap(\.method)
                == ["HEAD", "POST", "PATCH", "PATCH", "GET", "PATCH", "PATCH", "POST"] + Array(repeating: "PATCH", count: 5) + ["PUT"],
            "seed \(seed): \(Self.summary(entries))")
        let cut = try #require(entries.first { $0.fault == "cut-request-body" })
        #expect(cut.requestBytes == 10_000)
        let status = try #require(entries.first { $0.method == "GET" })
        #expect(status.status == 204, "the registry answered the status GET before it had the cut bytes: \(Self.summary(entries))")
        #expect(status.responseRange == "0-131071")
        let afterCut = entries.drop { $0.fault != "cut-request-body" }.dropFirst()
        let dropped = try #require(afterCut.first)
        #expect(dropped.method == "PATCH" && dropped.status == 404, "the PATCH after the status GET finds the session dropped: \(Self.summary(entries))")
        #expect(dropped.contentRange == "131072-196607")
        let restarted = afterCut.drop { $0.method != "POST" }.dropFirst()
        #expect(restarted.first?.contentRange == "0-65535", "a new session from zero: \(Self.summary(entries))")
        #expect(entries.last?.status == 201)
        let stored = try await Self.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test("A monolithic PUT cut in the middle with the default retry policy: the transport's retry finds the session dropped, and the upload starts a new one")
    func monolithicCutRetriedStartsOver() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0009
        // Small: distribution answers the retried PUT without reading its body, and closes the connection 500 ms
        // later. A body of more than 256 KiB it leaves unread, so that close is a reset, which can reach the proxy
        // while it is still sending the body and wipe out the answer (seen under load with 1 MB); a smaller rest it
        // reads to its end first.
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 40_000, seed: seed)
        let client = try Self.client(retry: .default)
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-retried")
        let blobs = try client.blobClient(for: repository, actions: [.pull, .push])

        // The PUT is idempotent, so the transport sends it again (the body replayed) after the reset; the registry
        // has taken in the cut bytes by then and answers the retry 404 BLOB_UPLOAD_INVALID.
        let entries = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .cutRequestBody, params: ["method": "PUT", "after_bytes": 20_000, "hold": "before-next"]
        ).entries
        #expect(entries.compactMap(\.method) == ["HEAD", "POST", "PUT", "PUT", "POST", "PUT"], "\(Self.summary(entries))")
        #expect(entries.first { $0.fault != nil }?.requestBytes == 20_000)
        #expect(entries[safe: 3]?.status == 404, "the retried PUT finds the session dropped: \(Self.summary(entries))")
        #expect(entries.last?.status == 201)
        let stored = try await Self.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test("Resumes are bounded: every chunk cut, the upload stops after 1 + maxResumeAttempts tries with resumeFailed")
    func boundedAttempts() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let (file, digest, _) = try Self.blobFile(scratch, size: 200_000, seed: 0x5EED_0004)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "cut-all")
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push],
            configuration: .init(uploadStrategy: .chunked(size: Self.chunk), maxResumeAttempts: 2))

        let (error, injected) = try await hub.fault.withScenario(
            .cutRequestBody, params: ["method": "PATCH", "after_bytes": 0, "times": .null]
        ) { proxy in
            let error = await #expect(throws: BlobTransferError.self) { try await blobs.upload(contentsOf: file, digest: digest) }
            return (error, try await proxy.state().injected)
        }
        #expect(error?.code == .resumeFailed)
        #expect(injected == 3)
        #expect(try await Self.stored(hub, repository, digest).status == 404, "nothing was stored")
    }

    @Test("Bytes that do not match the digest: distribution answers DIGEST_INVALID, the client a digestMismatch error")
    func digestInvalid() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let (file, _, _) = try Self.blobFile(scratch, size: 50_000, seed: 0x5EED_0006)
        let wrong = ContentDigest.sha256(of: Array("some other bytes".utf8))
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.open, "digest-invalid")
        let blobs = try client.blobClient(for: repository, actions: [.pull, .push])
        let error = await #expect(throws: BlobTransferError.self) { try await blobs.upload(contentsOf: file, digest: wrong) }
        #expect(error?.code == .digestMismatch, "\(String(describing: error))")
        #expect(error?.status == 400)
        // The registry's own error code travels with the error (not only a code the client made up).
        #expect(error?.registryErrors.map(\.code) == ["DIGEST_INVALID"], "\(String(describing: error))")
        #expect(try await Self.stored(hub, repository, wrong).status == 404)
    }

    @Test("An upload Location on another origin is followed there (the proxy sees only the POST)")
    func locationOnAnotherOrigin() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "upload-fault")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0007
        let (file, digest, bytes) = try Self.blobFile(scratch, size: 300_000, seed: seed)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }
        let repository = try Self.repository(hub.fault.registry, "moved")
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: Self.chunk)))
        let entries = try await Self.upload(
            file, digest: digest, with: blobs, to: repository, through: hub.fault,
            .moveLocation, params: ["origin": .string(hub.open.url.absoluteString)]
        ).entries
        // HEAD and POST reach the proxy; the PATCHes and the PUT go to the origin the Location named.
        #expect(entries.compactMap(\.method) == ["HEAD", "POST"], "\(Self.summary(entries))")
        #expect(entries.last?.location?.hasPrefix(hub.open.url.absoluteString) == true)
        let stored = try await Self.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}

/// Blob downloads from a real registry through a fault proxy of each test's own: a server that ignores `Range`,
/// and a body longer than the blob's descriptor says.
@Suite("Blob downloads through faults against a real registry", .requiresLocalHub, .tags(.integration), .privateFaultProxies)
struct DownloadFaultTests {
    /// Pushes `size` seeded bytes straight to the open registry (not through the proxy) and returns a client for the
    /// same repository seen through the proxy.
    static func pushed(
        _ hub: LocalHub, _ client: RegistryClient, size: Int, seed: UInt64
    ) async throws -> (blobs: BlobClient, digest: ContentDigest, bytes: [UInt8]) {
        var generator = SeededGenerator(state: seed)
        let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let digest = ContentDigest.sha256(of: bytes)
        let path = "dockyard/download-\(RegistryFixtures.uniqueSuffix())"
        let direct = try ImageReference(normalizing: "\(hub.open.host)/\(path):x").repository
        _ = try await RegistryFixtures.uploadBlob(bytes, to: direct, with: client)
        let proxied = try ImageReference(normalizing: "\(hub.fault.host)/\(path):x").repository
        return (try client.blobClient(for: proxied), digest, bytes)
    }

    @Test("A server that ignores Range: after a cut, the whole blob comes again and the file is still exact")
    func serverIgnoresRange() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "download-fault")
        defer { scratch.remove() }
        let client = try UploadFaultTests.client()
        defer { Task { await client.shutdown() } }
        let seed: UInt64 = 0x5EED_0101
        let (blobs, digest, bytes) = try await Self.pushed(hub, client, size: 600_000, seed: seed)
        let target = scratch.url.appendingPathComponent("blob")
        let entries = try await hub.fault.withScenario(.ignoreRange, params: ["cut_first_after": 200_000]) { proxy in
            let mark = proxy.logMark()
            try await blobs.download(digest, size: Int64(bytes.count), to: target)
            return try await proxy.requests(since: mark).filter { $0.method == "GET" && ($0.path ?? "").hasSuffix("\(digest)") }
        }
        // The first GET was cut; the client asked for the rest with Range and got the whole blob with 200 instead.
        #expect(entries.count == 2, "\(entries.map { "\($0.status ?? 0) \($0.range ?? "-") \($0.bytes ?? 0)" })")
        #expect(entries.first?.fault == "truncate")
        #expect(entries.last?.range?.hasPrefix("bytes=") == true && entries.last?.range != "bytes=0-")
        #expect(entries.last?.status == 200)
        #expect(try Data(contentsOf: target) == Data(bytes), "seed \(seed)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("A body longer than the descriptor's size fails with sizeMismatch and leaves no file")
    func bodyLongerThanDescriptor() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "download-fault")
        defer { scratch.remove() }
        let client = try UploadFaultTests.client()
        defer { Task { await client.shutdown() } }
        let (blobs, digest, bytes) = try await Self.pushed(hub, client, size: 100_000, seed: 0x5EED_0102)
        let target = scratch.url.appendingPathComponent("blob")
        let (error, injected) = try await hub.fault.withScenario(.growBlob, params: ["extra": 16]) { proxy in
            let error = await #expect(throws: BlobTransferError.self) {
                try await blobs.download(digest, size: Int64(bytes.count), to: target)
            }
            return (error, try await proxy.state().injected)
        }
        #expect(injected == 1, "one GET, refused at the first byte too many; not retried")
        #expect(error?.code == .sizeMismatch, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }

    @Test("A body shorter than its Content-Length every time: resumes are bounded and end in resumeFailed")
    func truncatedEveryTime() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "download-fault")
        defer { scratch.remove() }
        let client = try UploadFaultTests.client()
        defer { Task { await client.shutdown() } }
        let (blobs, digest, bytes) = try await Self.pushed(hub, client, size: 300_000, seed: 0x5EED_0103)
        let target = scratch.url.appendingPathComponent("blob")
        let (error, injected) = try await hub.fault.withScenario(.truncate, params: ["bytes": 1000, "times": .null]) { proxy in
            let error = await #expect(throws: BlobTransferError.self) {
                try await blobs.download(digest, size: Int64(bytes.count), to: target)
            }
            return (error, try await proxy.state().injected)
        }
        #expect(error?.code == .resumeFailed, "\(String(describing: error))")
        #expect(injected == 1 + BlobClient.Configuration().maxResumeAttempts)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).isEmpty)
    }
}
