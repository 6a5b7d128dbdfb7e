@testable import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// Tag filters of a sync, offline.
@Suite("Sync tag filters")
struct ImageSyncFilterTests {
    static let tags = ["1.0.0", "1.2.0", "v1.3.1", "1.4.0-rc.1", "1.4.0", "2.0.0", "latest", "edge", "1.10.2"]

    @Test("Semantic-version ranges", arguments: [
        (">=1.2.0 <2", ["1.2.0", "v1.3.1", "1.4.0", "1.10.2"]),
        ("^1.3", ["v1.3.1", "1.4.0", "1.10.2"]),
        ("~1.4", ["1.4.0"]),
        ("1.x", ["1.0.0", "1.2.0", "v1.3.1", "1.4.0", "1.10.2"]),
        ("1.2 || >=2", ["1.2.0", "2.0.0"]),
        (">1.4.0", ["2.0.0", "1.10.2"]),
    ])
    func ranges(range: String, expected: [String]) {
        #expect(TagFilter(semver: range).apply(Self.tags) == expected)
    }

    @Test("Include and exclude patterns, then the latest N, highest version first")
    func patternsAndLatest() throws {
        #expect(TagFilter(include: [#"^v?1\."#], exclude: ["rc"]).apply(Self.tags) == ["1.0.0", "1.2.0", "v1.3.1", "1.4.0", "1.10.2"])
        #expect(TagFilter(latest: 3).apply(Self.tags) == ["2.0.0", "1.10.2", "1.4.0"])
        #expect(TagFilter(include: ["^(latest|edge)$"], latest: 1).apply(Self.tags) == ["latest"])
        #expect(throws: SyncError.self) { try TagFilter(include: ["("]).validate() }
        #expect(throws: SyncError.self) { try TagFilter(semver: ">=banana").validate() }
    }
}

/// `sync` against an embedded registry of each test's own: registry to registry, to layouts and back, dry run,
/// resume, the CLI. (The registry traffic under sync, push, pull, mount and tag lists, is proven against
/// `docker-registry` by ImageTests and RegistryClientTests.)
@Suite("Sync of many images", .tags(.integration))
struct ImageSyncTests {
    /// Pushes `tags` of a small image (each tag a different image) into `repositories` on `registry`.
    static func seed(
        _ registry: LocalHub.Registry, repositories: Int, tags: [String], client: RegistryClient
    ) async throws -> [Repository] {
        let stem = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        var made: [Repository] = []
        for index in 0..<repositories {
            let repository = try Repository(normalizing: "\(registry.host)/sync-\(stem)/app\(index)")
            for (number, tag) in tags.enumerated() {
                let (scratch, layout) = try ImageFixtures.layout()
                defer { scratch.remove() }
                _ = try TestImages.build(in: layout, refName: tag, layerSizes: [1_000 + index * 10 + number])
                try await client.push(from: layout, to: try ImageReference(repository: repository, tag: tag))
            }
            made.append(repository)
        }
        return made
    }

    @Test("Registry to registry with filters, then again (all up to date), then a dry run")
    func registryToRegistry() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            let sources = try await Self.seed(server.registry, repositories: 3, tags: ["1.0.0", "1.1.0", "2.0.0", "latest"], client: client)
            let prefix = "mirror-\(UInt64.random(in: 0..<UInt64.max))"
            let options = SyncOptions(tags: TagFilter(semver: "^1"), imageConcurrency: 3)

            let events = EventLog<SyncEvent>()
            let first = try await client.sync(
                from: .repositories(sources), to: .registry(server.registry.host, prefix: prefix), options: options) { events.append($0) }
            #expect(first.images == 6)
            #expect(first.transferred == 6)
            #expect(first.totals.mounted + first.totals.skipped == 12, "\(first)")  // same registry: blobs are mounted
            for source in sources {
                let mirrored = try Repository(domain: server.registry.host, path: "\(prefix)/\(source.path)")
                #expect(Set(try await client.tags(in: mirrored).collect()) == ["1.0.0", "1.1.0"])
                let original = try await client.resolve(try ImageReference(repository: source, tag: "1.1.0"))
                #expect(try await client.resolve(try ImageReference(repository: mirrored, tag: "1.1.0")).digest == original.digest)
            }
            #expect(events.all.filter { if case .image = $0 { true } else { false } }.count == 6)

            let again = try await client.sync(from: .repositories(sources), to: .registry(server.registry.host, prefix: prefix), options: options)
            #expect(again.upToDate == 6)
            #expect(again.transferred == 0)

            var dry = options
            dry.dryRun = true
            dry.tags = TagFilter()
            let plan = try await client.sync(from: .repositories(sources), to: .registry(server.registry.host, prefix: prefix), options: dry)
            #expect(plan.images == 12)
            #expect(plan.upToDate == 6)
            #expect(plan.transferred == 6)
            #expect(plan.totals == TransferTotals())
        }
    }

    @Test("Registry to a directory of layouts and back to the registry, resuming where it stopped")
    func throughLayouts() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            let sources = try await Self.seed(server.registry, repositories: 2, tags: ["1.0", "1.1", "1.2"], client: client)
            let scratch = try TemporaryDirectory(prefix: "sync-layouts")
            defer { scratch.remove() }
            let directory = scratch.url.appendingPathComponent("mirror")

            // An "interrupted" first run took only the newest tag; the full run resumes and skips it by digest.
            let partial = try await client.sync(from: .repositories(sources), to: .layouts(directory), options: SyncOptions(tags: TagFilter(latest: 1)))
            #expect(partial.transferred == 2)
            let full = try await client.sync(from: .repositories(sources), to: .layouts(directory))
            #expect(full.images == 6)
            #expect(full.upToDate == 2)
            #expect(full.transferred == 4)
            let layout = try OCILayout(at: directory.appendingPathComponent(sources[0].path), create: false)
            #expect(Set(try layout.entries().compactMap { $0.annotations?[OCILayout.refNameAnnotation] }) == ["1.0", "1.1", "1.2"])

            let prefix = "back-\(UInt64.random(in: 0..<UInt64.max))"
            let back = try await client.sync(from: .layouts(directory), to: .registry(server.registry.host, prefix: prefix))
            #expect(back.images == 6)
            #expect(back.transferred == 6)
            let returned = try ImageReference(normalizing: "\(server.registry.host)/\(prefix)/\(sources[1].path):1.2")
            #expect(try await client.resolve(returned).digest == (try await client.resolve(try ImageReference(repository: sources[1], tag: "1.2")).digest))
        }
    }

    @Test("dockyard sync prints one line per image and a summary, or JSON events", .requiresDockyardBinary)
    func command() async throws {
        try await RegistryUnderTest.with(.embeddedOpen) { server in
            let client = try ImageFixtures.client()
            defer { Task { await client.shutdown() } }
            let sources = try await Self.seed(server.registry, repositories: 2, tags: ["1.0", "2.0"], client: client)
            let cli = try DockyardCLI()
            let prefix = "cli-\(UInt64.random(in: 0..<UInt64.max))"
            let destination = "\(server.registry.host)/\(prefix)"

            let dry = try await cli.run(["sync", "--dry-run", "--json"] + sources.map(\.name) + [destination])
            #expect(dry.status == 0, "\(dry.stderrText)")
            let plan = try DockyardCLI.jsonLines(dry)
            #expect(plan.filter { $0["event"]?.string == "plan" }.count == 4)
            #expect(plan.last?["event"]?.string == "summary")

            let text = try await cli.run(["sync", "--tag", "^1\\."] + sources.map(\.name) + [destination])
            #expect(text.status == 0, "\(text.stderrText)")
            #expect(text.stdoutLines.count == 3, "\(text.stdoutLines)")
            #expect(text.stdoutLines.last?.hasPrefix("Synced 2 images: 2 transferred, 0 up to date; blobs: ") == true)

            let json = try await cli.run(["sync", "--json"] + sources.map(\.name) + [destination])
            let events = try DockyardCLI.jsonLines(json)
            #expect(events.filter { $0["event"]?.string == "image" && $0["upToDate"]?.bool == true }.count == 2)
            #expect(events.last?["transferred"]?.int == 2)
            #expect(events.last?["upToDate"]?.int == 2)
        }
    }
}

/// Collects events from concurrent tasks.
final class EventLog<Event: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [Event] = []
    func append(_ event: Event) { lock.withLock { events.append(event) } }
    var all: [Event] { lock.withLock { events } }
}
