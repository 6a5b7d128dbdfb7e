import Dockyard
import DockyardTestSupport
import Foundation
import NIOConcurrencyHelpers
import Testing

/// Image pull and push error paths against distribution 2.8.2 and localhub's token service, with fault proxies of
/// each test's own where a fault or the proxy's counters are involved.
@Suite("Image transfer error paths against real registries", .requiresLocalHub, .tags(.integration))
struct ImageErrorPathTests {
    /// Every file under `directory` (recursively), relative paths.
    static func files(_ directory: URL) -> [String] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { ($0 as? URL)?.path.replacingOccurrences(of: directory.path + "/", with: "") }.sorted()
    }

    /// The blob GETs of `digest` in the proxy log.
    static func gets(_ entries: [FaultProxy.LogEntry], _ digest: ContentDigest) -> [FaultProxy.LogEntry] {
        entries.filter { $0.method == "GET" && ($0.path ?? "").hasSuffix("/blobs/\(digest)") }
    }

    static func summary(_ entries: [FaultProxy.LogEntry]) -> String {
        entries.map { "\($0.status.map(String.init) ?? "-") range=\($0.range ?? "-") sent=\($0.bytes ?? 0) \($0.fault ?? "")" }
            .joined(separator: "; ")
    }

    @Test("A push into another user's namespace with the token service: AuthError insufficientScope; the own namespace works")
    func pushIntoAnotherNamespace() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        _ = try TestImages.build(in: sourceLayout, refName: "v1")
        var configuration = RegistryClient.Configuration(retry: .none)
        configuration.endpoints[hub.token.host] = hub.token.url
        let credentials = StaticCredentials(.basic(username: hub.user.username, password: hub.user.password), forRegistry: hub.token.host)
        let client = try RegistryClient(configuration: configuration, credentials: credentials)
        defer { Task { await client.shutdown() } }

        // Control: the credentials work, in the user's own namespace.
        let own = try ImageReference(normalizing: "\(hub.token.host)/\(hub.user.username)/scope-\(RegistryFixtures.uniqueSuffix()):v1")
        _ = try await client.push(from: sourceLayout, to: own)

        let foreignPath = "\(hub.user2.username)/scope-\(RegistryFixtures.uniqueSuffix())"
        let foreign = try ImageReference(normalizing: "\(hub.token.host)/\(foreignPath):v1")
        let mark = hub.tokenServer.logMark()
        let error = await #expect(throws: AuthError.self) { _ = try await client.push(from: sourceLayout, to: foreign) }
        #expect(error?.code == .insufficientScope, "\(String(describing: error))")
        // The token service was asked for push and granted no push on the other user's repository.
        let requests = try hub.tokenServer.requests(forRepository: foreignPath, since: mark)
        #expect(requests.contains { ($0.scopes ?? []).contains { $0.contains(foreignPath) && $0.contains("push") } }, "\(requests)")
        let granted = requests.flatMap { $0.access ?? [] }.filter { $0.name == foreignPath }
        #expect(!granted.contains { $0.actions.contains("push") }, "\(granted)")
        // Nothing arrived: the registry (as the other user would see it) has no such tag.
        let tags = await #expect(throws: RegistryError.self) {
            _ = try await RegistryFixtures.withClient(try RegistryClient(
                configuration: configuration,
                credentials: StaticCredentials(.basic(username: hub.user2.username, password: hub.user2.password), forRegistry: hub.token.host))
            ) { try await $0.tags(in: foreign.repository).collect() }
        }
        #expect(tags?.code == .nameUnknown, "\(String(describing: tags))")
    }

    @Test("Pulling a tag the repository does not have: RegistryError manifestUnknown (404), and no layout is created")
    func missingTag() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            _ = try TestImages.build(in: sourceLayout, refName: "v1")
            let reference = try ImageFixtures.reference(server.registry, "missing-tag")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: sourceLayout, to: reference)

            let (target, targetLayout) = try ImageFixtures.layout()
            defer { target.remove() }
            let missing = try ImageReference(normalizing: "\(reference.domain)/\(reference.path):no-such-tag")
            let error = await #expect(throws: RegistryError.self) { try await client.pull(missing, into: targetLayout) }
            #expect(error?.code == .manifestUnknown, "\(String(describing: error))")
            #expect(error?.status == 404)
            #expect(!FileManager.default.fileExists(atPath: targetLayout.directory.path))
            #expect(Self.files(target.url).isEmpty, "\(Self.files(target.url))")
        }
    }

    @Test("A layer reset three times in a row: four GETs, each from where the last stopped; a fourth reset is resumeFailed", .privateFaultProxies)
    func resetThreeTimes() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let seed: UInt64 = 0x5EED_0501
        let built = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [3_000_000], seed: seed)
        let layer = built.blobs[1]
        let reference = try ImageFixtures.reference(hub.fault.registry, "reset3")
        let client = try ImageFixtures.client { $0.blobs.maxResumeAttempts = 3 }
        defer { Task { await client.shutdown() } }
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        let params: [String: TestJSON] = ["after_bytes": 500_000, "times": 3, "path": .string("/blobs/\(layer.digest)$")]
        let entries = try await hub.fault.withScenario(.resetMidBlob, params: params) { proxy in
            let mark = proxy.logMark()
            try await client.pull(reference, into: targetLayout)
            return Self.gets(try await proxy.requests(since: mark), layer.digest)
        }
        let described = "seed \(seed): \(Self.summary(entries))"
        #expect(targetLayout.contains(layer))
        #expect(entries.map { $0.fault ?? "-" } == ["reset-mid-blob", "reset-mid-blob", "reset-mid-blob", "-"], "\(described)")
        // Byte accounting from the proxy log: each GET starts past the previous start and no later than what the
        // proxy had sent by then (bytes in flight at a reset are lost); the last one sends exactly the rest.
        let starts = entries.map { entry in entry.range.flatMap { Int64($0.dropFirst("bytes=".count).split(separator: "-").first ?? "") } ?? 0 }
        #expect(starts.first == 0, "\(described)")
        for index in entries.indices.dropFirst() {
            let sent = Int64(entries[index - 1].bytes ?? 0)
            #expect(starts[index] > starts[index - 1] && starts[index] <= starts[index - 1] + sent, "GET \(index): \(described)")
        }
        #expect(Int64(entries.last?.bytes ?? 0) == layer.size - (starts.last ?? 0), "\(described)")

        // One reset more than the client resumes: it stops after 1 + maxResumeAttempts GETs with resumeFailed.
        let (failedTarget, failedLayout) = try ImageFixtures.layout()
        defer { failedTarget.remove() }
        let (error, failed) = try await hub.fault.withScenario(
            .resetMidBlob, params: ["after_bytes": 500_000, "times": .null, "path": .string("/blobs/\(layer.digest)$")]
        ) { proxy in
            let mark = proxy.logMark()
            let error = await #expect(throws: BlobTransferError.self) { try await client.pull(reference, into: failedLayout) }
            return (error, Self.gets(try await proxy.requests(since: mark), layer.digest))
        }
        #expect(error?.code == .resumeFailed, "\(String(describing: error))")
        #expect(failed.count == 4, "seed \(seed): \(Self.summary(failed))")
        #expect(Self.files(failedTarget.url).isEmpty, "\(Self.files(failedTarget.url))")
    }

    @Test("Cancelling a pull while a layer streams: CancellationError, no temporary file, no layout directory", .privateFaultProxies)
    func cancelMidPull() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [2_000_000], seed: 0x5EED_0502)
        let layer = built.blobs[1]
        let reference = try ImageFixtures.reference(hub.fault.registry, "cancel")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        // The layer streams at 100 kB/s (20 s in all): the pull is cancelled once part of it is on disk.
        let outcome = try await hub.fault.withScenario(.slow, params: ["rate": 100_000, "path": .string("/blobs/\(layer.digest)$")]) { proxy in
            let pull = Task { try await client.pull(reference, into: targetLayout) }
            // Wait for the layer's body to be streaming (the proxy counts it) and a partial file to be on disk.
            try await Waiting.until("the layer streaming and a partial file in the layout") {
                let partial = Self.files(targetLayout.directory).filter { $0.contains(".partial-") }
                let matched = try await proxy.state().matched
                return (!partial.isEmpty && matched == 1, "matched \(matched); files: " + Self.files(target.url).joined(separator: ", "))
            }
            pull.cancel()
            return await pull.result
        }
        switch outcome {
        case .success: Issue.record("the pull finished although it was cancelled mid-layer")
        case .failure(let error): #expect(error is CancellationError, "\(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: targetLayout.directory.path), "\(Self.files(target.url))")
        #expect(Self.files(target.url).isEmpty, "\(Self.files(target.url))")
    }

    @Test("The layer concurrency is what the server sees: at most 3 blob GETs at once, and more than one", .privateFaultProxies)
    func concurrencyBoundAtServer() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(
            in: sourceLayout, refName: "v1", layerSizes: Array(repeating: 150_000, count: 8), seed: 0x5EED_0503)
        let reference = try ImageFixtures.reference(hub.fault.registry, "concurrency")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        // Each blob body takes about a second at 200 kB/s, so GETs that the client runs together overlap at the proxy.
        let (state, gets) = try await hub.fault.withScenario(.slow, params: ["rate": 200_000]) { proxy in
            let mark = proxy.logMark()
            try await client.pull(reference, into: targetLayout, concurrency: 3)
            let gets = try await proxy.requests(since: mark).filter { $0.method == "GET" && ($0.path ?? "").contains("/blobs/") }
            return (try await proxy.state(), gets)
        }
        #expect(gets.count == built.blobs.count)
        #expect(state.blobGetsInFlightMax <= 3, "\(state.raw)")
        #expect(state.blobGetsInFlightMax > 1, "\(state.raw)")
        #expect(try TestImages.blobFiles(targetLayout.directory).count == built.blobs.count + 1)
    }

    @Test("Eight concurrent pulls into one layout all succeed; every blob once, intact, no partial files, one entry")
    func eightPullsOneLayout() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(
                in: sourceLayout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"], layerSizes: [300_000, 50_000],
                seed: 0x5EED_0504)
            let reference = try ImageFixtures.reference(server.registry, "eight")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: sourceLayout, refName: "v1", to: reference)

            let target = try TemporaryDirectory(prefix: "image-test")
            defer { target.remove() }
            let directory = target.url.appendingPathComponent("layout")
            // Eight OCILayout values on one directory, as eight processes would have.
            let digests = try await withThrowingTaskGroup(of: ContentDigest.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let layout = try OCILayout(at: directory)
                        return try await client.pull(reference, into: layout, platforms: .all).descriptor.digest
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(digests == Array(repeating: built.entry.digest, count: 8))
            let layout = try OCILayout(at: directory, create: false)
            // Exactly the source's blobs, each file named by the digest of its bytes.
            let files = try TestImages.blobFiles(directory)
            #expect(files == (try TestImages.blobFiles(sourceLayout.directory)))
            for (path, digest) in files {
                #expect(path == "\(digest.algorithm)/\(digest.encoded)", "\(path) holds \(digest)")
            }
            #expect(Self.files(directory).filter { $0.contains("partial") }.isEmpty, "\(Self.files(directory))")
            #expect(try layout.entries().map(\.digest) == [built.entry.digest])
            #expect(try layout.entry(named: "v1").digest == built.entry.digest)
        }
    }
}
