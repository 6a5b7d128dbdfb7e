import Dockyard
import DockyardTestSupport
import Foundation
import Testing

@Suite("Image pull, push and copy against real registries", .tags(.integration), .requiresLocalHub)
struct ImageTests {
    @Test("A single-platform image round-trips: push from a layout, pull into another, same blobs and digest",
          arguments: RegistryKind.plain)
    func singlePlatformRoundTrip(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(in: sourceLayout, refName: "v1")
            let reference = try ImageFixtures.reference(server.registry, "single")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }

            let pushed = try await client.push(from: sourceLayout, to: reference)
            #expect(pushed.digest == built.entry.digest)
            #expect(pushed.totals.transferred == 3)

            let (target, targetLayout) = try ImageFixtures.layout()
            defer { target.remove() }
            let pulled = try await client.pull(reference, into: targetLayout)
            #expect(pulled.descriptor.digest == built.entry.digest)
            #expect(pulled.refName == "v1")
            #expect(pulled.totals.transferred == 3)
            #expect(try TestImages.blobFiles(targetLayout.directory) == TestImages.blobFiles(sourceLayout.directory))
            #expect(try targetLayout.entry(named: "v1").digest == built.entry.digest)

            let again = try await client.push(from: sourceLayout, to: reference)
            #expect(again.totals.skipped == 3)
            #expect(again.totals.transferred == 0)
        }
    }

    @Test("A multi-platform image round-trips with its index digest; one platform can be chosen", arguments: RegistryKind.plain)
    func multiPlatformRoundTrip(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(in: sourceLayout, refName: "multi", platforms: ["linux/amd64", "linux/arm64/v8"])
            let reference = try ImageFixtures.reference(server.registry, "multi")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }

            let pushed = try await client.push(from: sourceLayout, refName: "multi", to: reference, concurrency: 2)
            #expect(pushed.digest == built.entry.digest)
            #expect(pushed.manifests.count == 2)

            let (all, allLayout) = try ImageFixtures.layout()
            defer { all.remove() }
            let pulled = try await client.pull(reference, into: allLayout, platforms: .all)
            #expect(pulled.descriptor.digest == built.entry.digest)
            #expect(pulled.manifests.map(\.digest) == built.manifests.map(\.digest))
            #expect(try TestImages.blobFiles(allLayout.directory) == TestImages.blobFiles(sourceLayout.directory))

            let (one, oneLayout) = try ImageFixtures.layout()
            defer { one.remove() }
            let arm = try await client.pull(reference, into: oneLayout, platforms: .specific(try Platform(parsing: "linux/arm64/v8")))
            #expect(arm.descriptor.digest == built.manifests[1].digest)
            #expect(try oneLayout.entries().map(\.digest) == [built.manifests[1].digest])
            #expect(arm.totals.transferred == 3)
        }
    }

    @Test("An image pushed by dockyard comes back out through skopeo with the same digests", .requiresSkopeo)
    func pushThenSkopeo() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
        let reference = try ImageFixtures.reference(hub.open, "skopeo-out")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: sourceLayout, to: reference)

        let out = source.url.appendingPathComponent("skopeo-out")
        let result = try await ProcessRunner.run(
            "skopeo",
            arguments: ["copy", "--insecure-policy", "--src-tls-verify=false", "--multi-arch", "all",
                        "docker://\(reference)", "oci:\(out.path):v1"])
        #expect(result.succeeded, "\(result.stderrText)")
        let skopeoLayout = try OCILayout(at: out, create: false)
        #expect(try skopeoLayout.entry(named: "v1").digest == built.entry.digest)
        #expect(try TestImages.blobFiles(out) == TestImages.blobFiles(sourceLayout.directory))
    }

    @Test("An image copied in by skopeo pulls into a layout file for file like skopeo's own", .requiresSkopeo)
    func skopeoThenPull() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        _ = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [300_000, 5_000, 70_000])
        let reference = try ImageFixtures.reference(hub.open, "skopeo-in")
        let result = try await ProcessRunner.run(
            "skopeo",
            arguments: ["copy", "--insecure-policy", "--dest-tls-verify=false",
                        "oci:\(sourceLayout.directory.path):v1", "docker://\(reference)"])
        #expect(result.succeeded, "\(result.stderrText)")
        // skopeo's own pull of what it pushed is the reference layout.
        let skopeoOut = source.url.appendingPathComponent("skopeo-pull")
        let back = try await ProcessRunner.run(
            "skopeo",
            arguments: ["copy", "--insecure-policy", "--src-tls-verify=false", "docker://\(reference)", "oci:\(skopeoOut.path):v1"])
        #expect(back.succeeded, "\(back.stderrText)")

        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        let pulled = try await client.pull(reference, into: targetLayout)
        let skopeoLayout = try OCILayout(at: skopeoOut, create: false)
        #expect(pulled.descriptor.digest == (try skopeoLayout.entry(named: "v1").digest))
        let ours = try TestImages.blobFiles(targetLayout.directory)
        #expect(ours.count == 5)
        #expect(ours == (try TestImages.blobFiles(skopeoOut)))
        for (path, digest) in ours { #expect(path == "sha256/\(digest.encoded)") }
    }

    @Test("Pulling into a layout that holds some blobs fetches only the missing ones", .privateFaultProxies)
    func partialLayout() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [10_000, 20_000, 30_000])
        let reference = try ImageFixtures.reference(hub.fault.registry, "partial")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        // Set up behind the proxy (it fronts the open registry), so other tests' faults cannot touch the setup.
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        try await client.pull(ImageFixtures.on(hub.open, reference), into: targetLayout)
        let removed = built.blobs[2]
        try FileManager.default.removeItem(at: targetLayout.blobURL(for: removed.digest))

        let (again, blobGets) = try await hub.fault.withScenario(.none) { proxy in
            let mark = proxy.logMark()
            let again = try await client.pull(reference, into: targetLayout)
            let gets = try await proxy.requests(since: mark).filter {
                $0.method == "GET" && ($0.path ?? "").hasPrefix("/v2/\(reference.path)/blobs/sha256:")
            }
            return (again, gets)
        }
        #expect(blobGets.map(\.path) == ["/v2/\(reference.path)/blobs/\(removed.digest)"])
        #expect(again.totals.transferred == 1)
        #expect(again.totals.skipped == 3)
        #expect(targetLayout.contains(removed))
    }

    @Test("A connection reset in the middle of a layer resumes with Range and fetches no byte twice", .privateFaultProxies)
    func resetMidBlob() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [3_000_000])
        let layer = built.blobs[1]
        let reference = try ImageFixtures.reference(hub.fault.registry, "reset")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        // Set up behind the proxy (it fronts the open registry), so other tests' faults cannot touch the setup.
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        let entries: [FaultProxy.LogEntry] = try await hub.fault.withScenario(
            .resetMidBlob, params: ["after_bytes": .number(1_000_000), "path": .string("/blobs/\(layer.digest)$")]
        ) { proxy in
            let mark = proxy.logMark()
            try await client.pull(reference, into: targetLayout)
            return try await proxy.requests(since: mark).filter { $0.method == "GET" && ($0.path ?? "").hasSuffix("\(layer.digest)") }
        }
        #expect(targetLayout.contains(layer))
        #expect(entries.count == 2)
        #expect(entries.first?.fault == "reset-mid-blob")
        // The resumed request starts where the client's received bytes end: at most what the proxy sent before the
        // reset (bytes still in the client's socket buffer are lost with a RST), and well past zero.
        let resumedAt = entries.last?.range.flatMap { Int($0.dropFirst("bytes=".count).dropLast()) } ?? 0
        let sentBeforeReset = entries.first?.bytes ?? 0
        #expect(resumedAt > 0 && resumedAt <= sentBeforeReset, "resumed at \(resumedAt)")
        // Starting over would fetch the layer plus everything sent before the reset; resuming fetches less.
        let fetched = entries.compactMap(\.bytes).reduce(0, +)
        #expect(Int64(fetched) == layer.size + Int64(sentBeforeReset - resumedAt), "fetched \(fetched) for a \(layer.size)-byte layer")
        #expect(Int64(fetched) < layer.size + Int64(sentBeforeReset))
    }

    @Test("A corrupted byte fails the pull with a digest error and leaves no file behind", .privateFaultProxies)
    func corruptBlob() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", layerSizes: [200_000])
        let layer = built.blobs[1]
        let reference = try ImageFixtures.reference(hub.fault.registry, "corrupt")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        // Set up behind the proxy (it fronts the open registry), so other tests' faults cannot touch the setup.
        try await client.push(from: sourceLayout, to: ImageFixtures.on(hub.open, reference))

        let (target, targetLayout) = try ImageFixtures.layout()
        defer { target.remove() }
        let error: BlobTransferError? = try await hub.fault.withScenario(
            .corruptBlob, params: ["offset": .number(100_000), "path": .string("/blobs/\(layer.digest)$")]
        ) { _ in
            await #expect(throws: BlobTransferError.self) { try await client.pull(reference, into: targetLayout) }
        }
        #expect(error?.code == .digestMismatch)
        // The pull created the layout, so its failure removes it: nothing is left, no partial file, no empty directory.
        #expect(!FileManager.default.fileExists(atPath: targetLayout.directory.path))
        #expect(try targetLayout.entries().isEmpty)
    }

    @Test("Copy within a registry mounts every blob and keeps the index digest", arguments: RegistryKind.plain)
    func copyWithMount(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(in: sourceLayout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
            let from = try ImageFixtures.reference(server.registry, "copy-src")
            let to = try ImageFixtures.reference(server.registry, "copy-dst", tag: "copied")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            try await client.push(from: sourceLayout, to: from)

            let copied = try await client.copy(from: from, to: to, platforms: .all)
            #expect(copied.digest == built.entry.digest)
            #expect(copied.totals.mounted == built.blobs.count)
            #expect(copied.totals.transferred == 0)
            #expect(try await client.resolve(to).digest == built.entry.digest)
        }
    }

    @Test("Push mounts blobs this client has already put in another repository of the registry", arguments: RegistryKind.plain)
    func pushMounts(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(in: sourceLayout, refName: "v1")
            let first = try ImageFixtures.reference(server.registry, "mount-a")
            let second = try ImageFixtures.reference(server.registry, "mount-b")
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }

            let pushed = try await client.push(from: sourceLayout, to: first)
            #expect(pushed.totals.transferred == built.blobs.count)
            let events: [PushEvent] = try await {
                var events: [PushEvent] = []
                for try await event in client.pushEvents(from: sourceLayout, to: second) { events.append(event) }
                return events
            }()
            guard case .completed(let mounted)? = events.last else {
                Issue.record("the event stream did not end with .completed")
                return
            }
            #expect(mounted.totals.mounted == built.blobs.count)
            #expect(mounted.totals.transferred == 0)
            let froms = events.compactMap { if case .blob(.mounted(_, _, let from)) = $0 { from } else { nil } }
            #expect(froms.count == built.blobs.count && froms.allSatisfy { $0 == first.repository })
            #expect(try await client.resolve(second).digest == built.entry.digest)
        }
    }

    @Test("Copy between registries streams blobs and keeps the index digest", .privateFaultProxies)
    func copyAcrossRegistries() async throws {
        let hub = try LocalHub.required()
        let (source, sourceLayout) = try ImageFixtures.layout()
        defer { source.remove() }
        let built = try TestImages.build(in: sourceLayout, refName: "v1", platforms: ["linux/amd64", "linux/arm64/v8"])
        let from = try ImageFixtures.reference(hub.open, "xcopy")
        let to = try ImageFixtures.reference(hub.fault.registry, "xcopy")
        let client = try ImageFixtures.client()
        defer { Task { await client.shutdown() } }
        try await client.push(from: sourceLayout, to: from)

        let events: [CopyEvent] = try await hub.fault.withScenario(.none) { _ in
            var events: [CopyEvent] = []
            for try await event in client.copyEvents(from: from, to: to, platforms: .all) { events.append(event) }
            return events
        }
        guard case .completed(let copied)? = events.last else {
            Issue.record("the event stream did not end with .completed")
            return
        }
        #expect(copied.digest == built.entry.digest)
        #expect(copied.totals.transferred == built.blobs.count)
        #expect(try await client.resolve(to).digest == built.entry.digest)
        let verified = events.filter { if case .blob(.verified) = $0 { true } else { false } }
        #expect(verified.count == built.blobs.count)
        // The running totals end at every byte and blob of the plan, and read well.
        let totals = events.compactMap { if case .progressed(let progress) = $0 { progress } else { nil } }
        let planned = built.blobs.reduce(Int64(0)) { $0 + $1.size }
        #expect(totals.last?.completedBytes == planned)
        #expect(totals.last?.totalBytes == planned)
        #expect(totals.last?.completedBlobs == built.blobs.count)
        #expect(totals.last?.description.hasSuffix("(\(built.blobs.count) of \(built.blobs.count) blobs)") == true)
        #expect(!"\(events)".contains("Optional("))
    }

    @Test("With token auth: push, copy within the registry by mounting (pull scope on the source), pull back",
          arguments: [RegistryKind.token, .embeddedToken])
    func tokenRegistry(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { server in
            let (source, sourceLayout) = try ImageFixtures.layout()
            defer { source.remove() }
            let built = try TestImages.build(in: sourceLayout, refName: "v1")
            let from = try server.uniqueReference("token-src")
            let to = try server.uniqueReference("token-dst")
            let client = try server.client()
            defer { Task { await client.shutdown() } }

            let pushed = try await client.push(from: sourceLayout, to: from)
            #expect(pushed.totals.transferred == built.blobs.count)
            let copied = try await client.copy(from: from, to: to)
            #expect(copied.totals.mounted == built.blobs.count)
            #expect(copied.digest == built.entry.digest)

            let (target, targetLayout) = try ImageFixtures.layout()
            defer { target.remove() }
            let pulled = try await client.pull(to, into: targetLayout)
            #expect(pulled.descriptor.digest == built.entry.digest)
            #expect(try TestImages.blobFiles(targetLayout.directory) == TestImages.blobFiles(sourceLayout.directory))
        }
    }
}
