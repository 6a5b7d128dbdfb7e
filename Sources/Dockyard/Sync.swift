import DockyardManifests
import DockyardReferences
import Foundation

/// Where a sync reads images: repositories of a registry, or a directory of OCI layouts.
public enum SyncSource: Sendable, Hashable {
    /// These repositories; every tag the filter takes.
    case repositories([Repository])
    /// A directory holding one OCI layout per repository, at `<directory>/<repository path>`, with entries named
    /// by tag (what ``SyncDestination/layouts(_:)`` writes).
    case layouts(URL)
}

/// Where a sync writes images.
public enum SyncDestination: Sendable, Hashable {
    /// A registry, by name (`registry.example.com`, `127.0.0.1:5000`), with an optional path prefix: the image
    /// `a/b:t` goes to `<registry>/<prefix>/a/b:t`.
    case registry(String, prefix: String? = nil)
    /// A directory of OCI layouts: the image `a/b:t` goes to the layout `<directory>/a/b`, entry `t`.
    case layouts(URL)
}

/// How ``RegistryClient/sync(from:to:options:progress:)`` works.
public struct SyncOptions: Sendable, Hashable {
    /// Which tags to take.
    public var tags: TagFilter
    /// Which platforms; all by default (indexes keep their digests).
    public var platforms: PlatformSelection
    /// How many images move at once; 4 by default, clamped to the range 1 through
    /// ``ImageTransferOptions/maxConcurrency`` (64).
    public var imageConcurrency: Int {
        didSet { imageConcurrency = ImageTransferOptions.clampedConcurrency(imageConcurrency) }
    }
    /// How many blobs of one image move at once; 4 by default, clamped to
    /// the range 1 through ``ImageTransferOptions/maxConcurrency`` (64).
    public var blobConcurrency: Int {
        didSet { blobConcurrency = ImageTransferOptions.clampedConcurrency(blobConcurrency) }
    }
    /// Whether an image whose destination tag already points at the source's digest is skipped without
    /// looking at its blobs; on by default. It is also what resumes an interrupted sync.
    public var skipIfPresent: Bool
    /// Whether to only plan: resolve both ends and report what would move, without moving anything.
    public var dryRun: Bool

    /// Creates options.
    ///
    /// - Parameters:
    ///   - tags: Which tags to take.
    ///   - platforms: Which platforms.
    ///   - imageConcurrency: Images at once (clamped to the range 1 through
    ///     ``ImageTransferOptions/maxConcurrency``).
    ///   - blobConcurrency: Blobs at once per image (clamped likewise).
    ///   - skipIfPresent: Whether to skip images already at the destination.
    ///   - dryRun: Whether to only plan.
    public init(
        tags: TagFilter = TagFilter(), platforms: PlatformSelection = .all, imageConcurrency: Int = 4,
        blobConcurrency: Int = 4, skipIfPresent: Bool = true, dryRun: Bool = false
    ) {
        self.tags = tags
        self.platforms = platforms
        self.imageConcurrency = ImageTransferOptions.clampedConcurrency(imageConcurrency)
        self.blobConcurrency = ImageTransferOptions.clampedConcurrency(blobConcurrency)
        self.skipIfPresent = skipIfPresent
        self.dryRun = dryRun
    }
}

/// One image of a sync: where it comes from and where it goes.
public struct SyncItem: Sendable, Hashable, Encodable {
    /// The source, as its `description` reads.
    public var source: String
    /// The destination, likewise.
    public var destination: String
}

/// One step of a sync.
public enum SyncEvent: Sendable {
    /// The plan is known: this many images.
    case planned(images: Int)
    /// An image was moved (or, with ``SyncOptions/skipIfPresent``, found up to date: ``ImageTransferResult/upToDate``).
    case image(SyncItem, ImageTransferResult)
    /// Dry run: the image's source digest, and what the destination's tag points at now (`nil` when nothing).
    case wouldTransfer(SyncItem, source: ContentDigest, destination: ContentDigest?)
    /// Everything is done.
    case completed(SyncSummary)
}

/// What a sync did, in counts and bytes.
public struct SyncSummary: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// Images the filters took.
    public var images = 0
    /// Images moved.
    public var transferred = 0
    /// Images already at the destination (or, in a dry run, that would be left alone).
    public var upToDate = 0
    /// Blob counts and bytes over every image.
    public var totals = TransferTotals()
    /// Whether this was a dry run.
    public var dryRun = false

    /// `200 images: 150 transferred, 50 up to date; blobs: 450 moved (12.0 MiB), 20 present, 30 mounted`.
    public var description: String {
        "\(images) images: \(transferred) \(dryRun ? "to transfer" : "transferred"), \(upToDate) up to date; blobs: \(totals)"
    }
}

/// A sync that cannot start: an invalid filter, a destination that is not a registry name, a source without layouts.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    /// What happened and what to do.
    public let message: String
    /// The message.
    public var description: String { message }
}

extension RegistryClient {
    /// Copies many repositories and tags from one place to another with this one client: registry to registry,
    /// registry to a directory of OCI layouts, or back.
    ///
    /// Tags are listed and filtered per repository, then images move through
    /// ``transfer(from:to:options:progress:)``, ``SyncOptions/imageConcurrency`` at once, each skipped when the
    /// destination already has its digest. Memory stays flat however many images there are: one small item per
    /// image is planned, and only the images in flight hold manifests. An interrupted sync resumes by running
    /// it again: finished images are skipped by digest, and blobs already at the destination are not sent again.
    ///
    /// ```swift
    /// let summary = try await client.sync(
    ///     from: .repositories([try Repository(normalizing: "registry.a/team/app")]),
    ///     to: .registry("registry.b", prefix: "mirror"),
    ///     options: SyncOptions(tags: TagFilter(semver: ">=1.0", latest: 5)))
    /// print(summary)
    /// ```
    ///
    /// - Parameters:
    ///   - source: The repositories, or a directory of layouts.
    ///   - destination: A registry (and path prefix), or a directory of layouts.
    ///   - options: Filters, platforms, concurrency, skip-if-present, dry run.
    ///   - progress: Receives ``SyncEvent``s from the transferring tasks; it must return quickly.
    /// - Returns: The counts and bytes.
    /// - Throws: ``SyncError`` for invalid options, or the first error of a listing or a transfer (the other
    ///   transfers are then cancelled).
    @discardableResult
    public func sync(
        from source: SyncSource,
        to destination: SyncDestination,
        options: SyncOptions = SyncOptions(),
        progress: (@Sendable (SyncEvent) -> Void)? = nil
    ) async throws -> SyncSummary {
        try options.tags.validate()
        let plan = try await syncPlan(source, destination, options)
        progress?(.planned(images: plan.count))
        let summary = SyncTally(dryRun: options.dryRun, images: plan.count)
        let transferOptions = ImageTransferOptions(
            platforms: options.platforms, concurrency: options.blobConcurrency, skipIfPresent: options.skipIfPresent)
        try await RegistryClient.forEach(plan, concurrency: options.imageConcurrency) { pair in
            let item = SyncItem(source: pair.source.description, destination: pair.destination.description)
            if options.dryRun {
                let from = try await pair.source.rootManifest().descriptor.digest
                let to = try await pair.destination.currentDigest()
                summary.planned(upToDate: from == to)
                progress?(.wouldTransfer(item, source: from, destination: to))
                return
            }
            let result = try await self.transfer(from: pair.source, to: pair.destination, options: transferOptions)
            summary.add(result)
            progress?(.image(item, result))
        }
        let final = summary.value
        progress?(.completed(final))
        return final
    }

    /// The sync as events, ending with ``SyncEvent/completed(_:)``.
    ///
    /// - Parameters:
    ///   - source: The repositories, or a directory of layouts.
    ///   - destination: A registry, or a directory of layouts.
    ///   - options: Filters, platforms, concurrency, skip-if-present, dry run.
    /// - Returns: The events; the stream throws what ``sync(from:to:options:progress:)`` throws.
    public func syncEvents(
        from source: SyncSource, to destination: SyncDestination, options: SyncOptions = SyncOptions()
    ) -> AsyncThrowingStream<SyncEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.sync(from: source, to: destination, options: options) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// One image to move.
    struct SyncPair: Sendable {
        var source: any ImageSource
        var destination: any ImageDestination
    }

    /// Lists and filters the tags of every source repository and pairs each image with its destination.
    func syncPlan(_ source: SyncSource, _ destination: SyncDestination, _ options: SyncOptions) async throws -> [SyncPair] {
        var pairs: [SyncPair] = []
        switch source {
        case .repositories(let repositories):
            for repository in repositories {
                let tags = options.tags.apply(try await tags(in: repository).collect())
                for tag in tags {
                    let reference = try ImageReference(repository: repository, tag: tag)
                    pairs.append(SyncPair(source: image(reference), destination: try syncTarget(repository.path, tag, destination)))
                }
            }
        case .layouts(let directory):
            for path in try RegistryClient.layoutPaths(under: directory) {
                let layout = try OCILayout(at: directory.appendingPathComponent(path), create: false)
                let names = try layout.entries().compactMap { $0.annotations?[OCILayout.refNameAnnotation] }
                for tag in options.tags.apply(names) {
                    pairs.append(SyncPair(
                        source: layout.image(named: tag, blobConfiguration: configuration.blobs),
                        destination: try syncTarget(path, tag, destination)))
                }
            }
        }
        return pairs
    }

    private func syncTarget(_ path: String, _ tag: String, _ destination: SyncDestination) throws -> any ImageDestination {
        switch destination {
        case .registry(let registry, let prefix):
            let full = [prefix, path].compactMap { $0?.isEmpty == false ? $0 : nil }.joined(separator: "/")
            do {
                return image(try ImageReference(repository: Repository(domain: registry, path: full), tag: tag, digest: nil))
            } catch {
                throw SyncError(message: "\(registry)/\(full):\(tag) is not a valid image name: \(error)")
            }
        case .layouts(let directory):
            let layout = try OCILayout(at: directory.appendingPathComponent(path))
            return layout.image(named: tag, blobConfiguration: configuration.blobs)
        }
    }

    /// The relative paths of the OCI layouts under a directory (each holding `oci-layout`), sorted.
    static func layoutPaths(under directory: URL) throws -> [String] {
        let root = directory.standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else {
            throw SyncError(message: "\(directory.path) cannot be read")
        }
        var paths: [String] = []
        for case let url as URL in walker {
            if url.lastPathComponent == "blobs" { walker.skipDescendants(); continue }
            guard url.lastPathComponent == "oci-layout" else { continue }
            let folder = url.deletingLastPathComponent().standardizedFileURL.path
            paths.append(String(folder.dropFirst(root.path.count).drop { $0 == "/" }))
        }
        guard !paths.isEmpty else { throw SyncError(message: "\(directory.path) holds no OCI layout") }
        return paths.sorted()
    }
}

/// Adds up a sync's results from its concurrent tasks.
final class SyncTally: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var summary: SyncSummary

    init(dryRun: Bool, images: Int) {
        summary = SyncSummary()
        summary.dryRun = dryRun
        summary.images = images
    }

    var value: SyncSummary { lock.withLock { summary } }

    func add(_ result: ImageTransferResult) {
        lock.withLock {
            if result.upToDate { summary.upToDate += 1 } else { summary.transferred += 1 }
            summary.totals.add(result.totals)
        }
    }

    func planned(upToDate: Bool) {
        lock.withLock {
            if upToDate { summary.upToDate += 1 } else { summary.transferred += 1 }
        }
    }
}
