import Dockyard
import DockyardTestSupport
import Foundation
import Testing

@Suite("Blob transfer against real registries", .tags(.integration), .requiresLocalHub)
struct BlobTests {
    static func randomFile(_ directory: TemporaryDirectory, size: Int) throws -> (URL, ContentDigest) {
        var generator = TestImages.Generator(seed: TestSeed.make("blob bytes"))
        let bytes = generator.bytes(size)
        let url = directory.url.appendingPathComponent("blob-\(size)")
        try Data(bytes).write(to: url)
        return (url, ContentDigest.sha256(of: bytes))
    }

    @Test("A chunked upload sends PATCH chunks of the configured size, then the blob reads back verified", .privateFaultProxies)
    func chunkedUpload() async throws {
        let hub = try LocalHub.required()
        let directory = try TemporaryDirectory(prefix: "blob-test")
        defer { directory.remove() }
        let (file, digest) = try Self.randomFile(directory, size: 300_000)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let repository = try ImageFixtures.reference(hub.fault.registry, "chunked").repository
        let blobs = try client.blobClient(
            for: repository, actions: [.pull, .push], configuration: .init(uploadStrategy: .chunked(size: 64 * 1024)))

        let (result, requests) = try await hub.fault.withScenario(.none) { proxy in
            let mark = proxy.logMark()
            let result = try await blobs.upload(contentsOf: file)
            return (result, try await proxy.requests(since: mark).filter { $0.event == nil && ($0.path ?? "").contains("/\(repository.path)/") })
        }
        #expect(result.digest == digest)
        #expect(result.outcome == .uploaded)
        #expect(requests.filter { $0.method == "PATCH" }.count == 5)
        #expect(requests.filter { $0.method == "PUT" }.count == 1)

        #expect(try await blobs.exists(digest) == BlobInfo(digest: digest, size: 300_000))
        let target = directory.url.appendingPathComponent("back")
        try await blobs.download(digest, size: 300_000, to: target)
        #expect(try Data(contentsOf: target) == Data(contentsOf: file))
    }

    @Test("The default upload is one POST and one streaming PUT; a second upload is skipped after HEAD", .privateFaultProxies)
    func monolithicUploadAndSkip() async throws {
        let hub = try LocalHub.required()
        let directory = try TemporaryDirectory(prefix: "blob-test")
        defer { directory.remove() }
        let (file, digest) = try Self.randomFile(directory, size: 2_000_000)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let repository = try ImageFixtures.reference(hub.fault.registry, "mono").repository
        let blobs = try client.blobClient(for: repository, actions: [.pull, .push])

        let events = EventRecorder()
        let (first, methods) = try await hub.fault.withScenario(.none) { proxy in
            let mark = proxy.logMark()
            let first = try await blobs.upload(contentsOf: file, digest: digest, progress: events.record)
            let methods = try await proxy.requests(since: mark)
                .filter { $0.event == nil && ($0.path ?? "").contains("/\(repository.path)/") }.compactMap(\.method)
            return (first, methods)
        }
        #expect(first.outcome == .uploaded)
        #expect(methods == ["HEAD", "POST", "PUT"])
        #expect(events.all.last == .finished(digest: digest, size: 2_000_000))

        let second = try await blobs.upload(contentsOf: file)
        #expect(second.outcome == .skipped)
    }

    @Test("A cross-repository mount is used when the source repository has the blob, and refused otherwise",
          arguments: RegistryKind.plain)
    func mount(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            let directory = try TemporaryDirectory(prefix: "blob-test")
            defer { directory.remove() }
            let (file, digest) = try Self.randomFile(directory, size: 50_000)
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            let source = try ImageFixtures.reference(target.registry, "mount-src").repository
            let destination = try ImageFixtures.reference(target.registry, "mount-dst").repository
            let elsewhere = try ImageFixtures.reference(target.registry, "mount-none").repository
            try await client.blobClient(for: source, actions: [.pull, .push]).upload(contentsOf: file)

            let writer = try client.blobClient(for: destination, actions: [.pull, .push])
            #expect(try await writer.mount(digest, from: elsewhere) == false)
            let mounted = try await writer.upload(contentsOf: file, mountingFrom: source)
            #expect(mounted.outcome == .mounted(from: source))
            #expect(try await writer.exists(digest)?.size == 50_000)
        }
    }

    @Test("Streaming a missing blob is a blobNotFound error", arguments: RegistryKind.plain)
    func missingBlob(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            let blobs = try client.blobClient(for: try ImageFixtures.reference(target.registry, "missing").repository)
            let digest = ContentDigest.sha256(of: Array("not there".utf8))
            #expect(try await blobs.exists(digest) == nil)
            let error = await #expect(throws: BlobTransferError.self) {
                for try await _ in blobs.stream(digest) {}
            }
            #expect(error?.code == .blobNotFound)
        }
    }

    @Test("A download through a proxy that cuts the body (FIN) resumes and verifies", .privateFaultProxies)
    func truncatedResumes() async throws {
        let hub = try LocalHub.required()
        let directory = try TemporaryDirectory(prefix: "blob-test")
        defer { directory.remove() }
        let (file, digest) = try Self.randomFile(directory, size: 1_500_000)
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let repository = try ImageFixtures.reference(hub.fault.registry, "truncate").repository
        let blobs = try client.blobClient(for: repository)
        let behindProxy = try ImageFixtures.on(hub.open, ImageReference(repository: repository, tag: "x")).repository
        try await client.blobClient(for: behindProxy, actions: [.pull, .push]).upload(contentsOf: file, digest: digest)
        let target = directory.url.appendingPathComponent("out")
        let entries: [FaultProxy.LogEntry] = try await hub.fault.withScenario(
            .truncate, params: ["bytes": .number(700_000), "path": .string("/blobs/\(digest)$")]
        ) { proxy in
            let mark = proxy.logMark()
            try await blobs.download(digest, size: 1_500_000, to: target)
            return try await proxy.requests(since: mark).filter { $0.method == "GET" && ($0.path ?? "").hasSuffix("\(digest)") }
        }
        #expect(entries.count >= 2)
        #expect(entries.first?.range == nil)
        #expect(entries.dropFirst().allSatisfy { $0.range?.hasPrefix("bytes=") == true && $0.range != "bytes=0-" })
        // No restart from zero: the total stays below the blob plus the part sent before the cut.
        let fetched = entries.compactMap(\.bytes).reduce(0, +)
        #expect(fetched < 1_500_000 + 700_000, "fetched \(fetched)")
        #expect(try Data(contentsOf: target) == Data(contentsOf: file))
    }
}

final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [TransferEvent] = []
    var all: [TransferEvent] { lock.withLock { events } }
    var record: TransferEventHandler { { event in self.lock.withLock { self.events.append(event) } } }
}
