import DockyardAuth
import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import DockyardTransport
import Foundation

/// Which platforms of a multi-platform image (an index) to move.
public enum PlatformSelection: Sendable, Hashable {
    /// The platform of the running host (``DockyardManifests/Platform/current``).
    case current
    /// Every entry of the index, which keeps the index and its digest as they are.
    case all
    /// One platform, such as `linux/arm64/v8`.
    case specific(Platform)
}

/// How ``RegistryClient/transfer(from:to:options:progress:)`` moves an image.
public struct ImageTransferOptions: Sendable, Hashable {
    /// Which platforms of an index to move; with ``PlatformSelection/all`` the index itself is moved (same digest),
    /// otherwise the one platform's manifest. The host's platform by default.
    public var platforms: PlatformSelection
    /// How many blobs move at once; 4 by default.
    ///
    /// A value below 1 counts as 1 and one above ``maxConcurrency`` as ``maxConcurrency``: the stored value is
    /// always in `1...maxConcurrency`.
    public var concurrency: Int {
        didSet { concurrency = Self.clampedConcurrency(concurrency) }
    }
    /// Whether to do nothing when the destination's name already points at the digest being moved (the
    /// skip-if-present decision of a sync); off by default, so blobs are still checked one by one.
    public var skipIfPresent: Bool

    /// Creates options.
    ///
    /// - Parameters:
    ///   - platforms: Which platforms to move.
    ///   - concurrency: How many blobs move at once, clamped to the range 1 through ``maxConcurrency`` (64).
    ///   - skipIfPresent: Whether an image already at the destination is left alone without checking its blobs.
    public init(platforms: PlatformSelection = .current, concurrency: Int = 4, skipIfPresent: Bool = false) {
        self.platforms = platforms
        self.concurrency = Self.clampedConcurrency(concurrency)
        self.skipIfPresent = skipIfPresent
    }

    /// The most blobs or images Dockyard moves at once, whatever a caller asks for: 64.
    ///
    /// Every `concurrency` a caller gives (``concurrency``, ``SyncOptions/imageConcurrency``,
    /// ``SyncOptions/blobConcurrency``, the `concurrency:` of pull, push, copy and append) is clamped to
    /// `1...maxConcurrency`, so that a mistaken value neither stops the work (0 or less) nor opens thousands of
    /// connections and files at once.
    public static let maxConcurrency = 64

    /// Clamps a requested concurrency to the range 1 through ``maxConcurrency`` (64).
    ///
    /// - Parameter requested: What the caller asked for.
    /// - Returns: 1 for values below 1, ``maxConcurrency`` for values above it, otherwise `requested`.
    public static func clampedConcurrency(_ requested: Int) -> Int {
        Swift.min(Swift.max(requested, 1), maxConcurrency)
    }
}

/// How far an image transfer has come, in bytes and blobs.
///
/// `description` reads `12.0 MiB of 40.0 MiB (3 of 5 blobs)`.
public struct ImageTransferProgress: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Bytes moved or found present so far.
    public var completedBytes: Int64
    /// Bytes of every blob of the selection, as the manifests state them.
    public var totalBytes: Int64
    /// Blobs done (moved, skipped or mounted).
    public var completedBlobs: Int
    /// Blobs of the selection.
    public var totalBlobs: Int

    /// Creates a value.
    ///
    /// - Parameters:
    ///   - completedBytes: Bytes done.
    ///   - totalBytes: Bytes in all.
    ///   - completedBlobs: Blobs done.
    ///   - totalBlobs: Blobs in all.
    public init(completedBytes: Int64 = 0, totalBytes: Int64, completedBlobs: Int = 0, totalBlobs: Int) {
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
        self.completedBlobs = completedBlobs
        self.totalBlobs = totalBlobs
    }

    /// The share done, from 0 to 1 (1 when there is nothing to move).
    public var fractionCompleted: Double {
        totalBytes > 0 ? max(0, min(1, Double(completedBytes) / Double(totalBytes))) : (completedBlobs >= totalBlobs ? 1 : 0)
    }

    /// `12.0 MiB of 40.0 MiB (3 of 5 blobs)`.
    public var description: String {
        "\(TransferEvent.bytes(completedBytes)) of \(TransferEvent.bytes(totalBytes)) (\(completedBlobs) of \(totalBlobs) blobs)"
    }
}

/// What an image transfer is about to move: the blobs of the selected platforms, moved or not.
public struct ImageTransferPlan: Sendable, Hashable {
    /// Every blob (configs and layers), each once, in manifest order.
    public var blobs: [Descriptor]
    /// The layers among ``blobs`` (what `docker pull` shows a line for).
    public var layers: [Descriptor]
    /// The totals to reach, with nothing done yet.
    public var progress: ImageTransferProgress

    /// Creates a plan.
    ///
    /// - Parameters:
    ///   - blobs: Every blob.
    ///   - layers: The layers among them.
    public init(blobs: [Descriptor], layers: [Descriptor]) {
        self.blobs = blobs
        self.layers = layers
        self.progress = ImageTransferProgress(totalBytes: RegistryClient.plannedBytes(blobs), totalBlobs: blobs.count)
    }
}

/// One step of an image transfer (pull, push, copy, sync), for progress bars and logs.
///
/// A stream of these starts with ``resolved(_:)``, then ``planned(_:)``, then for every blob its ``blob(_:)``
/// events each followed by ``progressed(_:)`` with the running totals, then ``manifest(_:)`` for every manifest and
/// index written, and ends with ``completed(_:)`` carrying the result.
public enum ImageTransferEvent<Result: Sendable>: Sendable {
    /// The source's name was resolved to this manifest or index.
    case resolved(Descriptor)
    /// The blobs of the selection, moved or not: nothing done yet.
    case planned(ImageTransferPlan)
    /// A blob's own event (started, progressed, resumed, verified, skipped, mounted, finished).
    case blob(TransferEvent)
    /// The running totals after a blob event.
    case progressed(ImageTransferProgress)
    /// A manifest or index was written to the destination.
    case manifest(Descriptor)
    /// Everything is done.
    case completed(Result)

    /// The same event with the result turned into another type.
    ///
    /// - Parameter transform: Turns the result of ``completed(_:)``.
    /// - Returns: The event.
    public func map<Other: Sendable>(_ transform: (Result) throws -> Other) rethrows -> ImageTransferEvent<Other> {
        switch self {
        case .resolved(let descriptor): return .resolved(descriptor)
        case .planned(let plan): return .planned(plan)
        case .blob(let event): return .blob(event)
        case .progressed(let progress): return .progressed(progress)
        case .manifest(let descriptor): return .manifest(descriptor)
        case .completed(let result): return .completed(try transform(result))
        }
    }
}

extension ImageTransferEvent: CustomStringConvertible {
    /// The event for people, such as `progressed: 12.0 MiB of 40.0 MiB (3 of 5 blobs)`.
    public var description: String {
        switch self {
        case .resolved(let descriptor): return "resolved \(descriptor.digest)"
        case .planned(let plan): return "planned \(plan.blobs.count) blobs, \(TransferEvent.bytes(plan.progress.totalBytes))"
        case .blob(let event): return event.description
        case .progressed(let progress): return "progressed: \(progress)"
        case .manifest(let descriptor): return "manifest \(descriptor.digest)"
        case .completed(let result): return "completed: \(result)"
        }
    }
}

/// An event of ``RegistryClient/pullEvents(_:into:platforms:concurrency:)``.
public typealias PullEvent = ImageTransferEvent<PullResult>
/// An event of ``RegistryClient/pushEvents(from:refName:to:concurrency:blobConfiguration:)``.
public typealias PushEvent = ImageTransferEvent<PushResult>
/// An event of ``RegistryClient/copyEvents(from:to:platforms:concurrency:blobConfiguration:)``.
public typealias CopyEvent = ImageTransferEvent<CopyResult>

/// Blob counts and bytes of one image operation.
public struct TransferTotals: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Blobs whose bytes moved.
    public var transferred = 0
    /// Blobs the destination already had.
    public var skipped = 0
    /// Blobs mounted from another repository.
    public var mounted = 0
    /// Bytes moved.
    public var bytes: Int64 = 0

    /// Creates zero totals.
    public init() {}

    /// `6 moved (52.6 KiB), 0 present, 0 mounted`.
    public var description: String {
        "\(transferred) moved (\(TransferEvent.bytes(bytes))), \(skipped) present, \(mounted) mounted"
    }

    /// Adds another operation's totals (saturating).
    ///
    /// - Parameter other: The totals to add.
    public mutating func add(_ other: TransferTotals) {
        transferred += other.transferred
        skipped += other.skipped
        mounted += other.mounted
        let (sum, overflow) = bytes.addingReportingOverflow(other.bytes)
        bytes = overflow ? .max : sum
    }
}

/// What ``RegistryClient/transfer(from:to:options:progress:)`` did.
public struct ImageTransferResult: Sendable, Hashable, Encodable, CustomStringConvertible {
    /// The source, as its `description` reads (`registry/repository:tag`, `oci:/path:name`).
    public var source: String
    /// The destination, likewise.
    public var destination: String
    /// The digest of the top-level document written (the index with all platforms, else one manifest).
    public var digest: ContentDigest
    /// The top-level document's descriptor.
    public var descriptor: Descriptor
    /// The digest the source's name resolved to (the index for a multi-platform image, whatever was selected).
    public var resolvedDigest: ContentDigest
    /// The platform manifests moved.
    public var manifests: [Descriptor]
    /// Blob counts and bytes.
    public var totals: TransferTotals
    /// Whether the destination already pointed at this digest and nothing was done (``ImageTransferOptions/skipIfPresent``).
    public var upToDate: Bool

    /// `source -> destination digest (n moved (bytes), m present, k mounted)`.
    public var description: String { "\(source) -> \(destination) \(digest) (\(totals))" }
}

/// Why an image transfer cannot go ahead, independent of where the image lives.
public struct ImageTransferError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The code's name.
        public var description: String { name }
        /// The index has no entry for the platform asked for.
        public static let platformUnknown = Code("platformUnknown")
        /// The document is neither an OCI/Docker v2 manifest nor an index (a Docker schema 1 manifest, say).
        public static let unsupportedManifest = Code("unsupportedManifest")
    }

    /// What went wrong.
    public let code: Code
    /// The image concerned.
    public let subject: String
    /// What happened and what to do.
    public let message: String

    /// `subject: message`.
    public var description: String { "\(subject): \(message)" }
}

extension RegistryClient {
    /// Moves an image from a source to a destination: the one engine under pull, push, copy and sync.
    ///
    /// The source's manifest or index is read and the selected platform manifests fetched; every blob the
    /// destination lacks is then moved, at most ``ImageTransferOptions/concurrency`` at once: the destination
    /// skips what it has, mounts what a repository of its registry holds (the source, or one this client has
    /// seen the blob in), and streams the rest in, verified, without holding a blob in memory. Platform manifests
    /// follow by digest, and the top-level document comes last, so the destination never names an image whose
    /// parts are missing. Manifests move byte for byte: digests, the index's included, stay the same.
    ///
    /// When the transfer fails, the destination removes what it created (``ImageDestination/discard()``).
    ///
    /// ```swift
    /// let layout = try OCILayout(at: URL(fileURLWithPath: "alpine"))
    /// let result = try await client.transfer(
    ///     from: client.image(try ImageReference(normalizing: "alpine:3.20")), to: layout.image(named: "3.20"))
    /// print(result.digest)
    /// ```
    ///
    /// - Parameters:
    ///   - source: Where the image comes from (``image(_:)``, ``OCILayout/image(named:blobConfiguration:)``, …).
    ///   - destination: Where it goes.
    ///   - options: Platforms, concurrency, skip-if-present.
    ///   - progress: Receives the events, on the transferring tasks; it must return quickly.
    /// - Returns: What was moved.
    /// - Throws: ``ImageTransferError`` (platform missing, unsupported manifest), and the source's and
    ///   destination's errors: ``RegistryError``, ``LayoutError``, `BlobTransferError`, `AuthError`, `TransportError`.
    @discardableResult
    public func transfer(
        from source: any ImageSource,
        to destination: any ImageDestination,
        options: ImageTransferOptions = ImageTransferOptions(),
        progress: (@Sendable (ImageTransferEvent<ImageTransferResult>) -> Void)? = nil
    ) async throws -> ImageTransferResult {
        do {
            return try await ImageTransferRun(source: source, destination: destination, options: options, emit: progress).run()
        } catch {
            await destination.discard()
            throw error
        }
    }

    /// Moves an image, reporting progress as a stream of events that ends with ``ImageTransferEvent/completed(_:)``.
    ///
    /// The transfer runs while the stream is iterated and is cancelled when the consumer stops.
    ///
    /// - Parameters:
    ///   - source: Where the image comes from.
    ///   - destination: Where it goes.
    ///   - options: Platforms, concurrency, skip-if-present.
    /// - Returns: The events; the stream throws what ``transfer(from:to:options:progress:)`` throws.
    public func transferEvents(
        from source: any ImageSource,
        to destination: any ImageDestination,
        options: ImageTransferOptions = ImageTransferOptions()
    ) -> AsyncThrowingStream<ImageTransferEvent<ImageTransferResult>, any Error> {
        events(from: source, to: destination, options: options) { $0 }
    }

    /// The event stream of a transfer, with its result turned into another type (what the conveniences return).
    func events<Result: Sendable>(
        from source: any ImageSource,
        to destination: any ImageDestination,
        options: ImageTransferOptions,
        result transform: @escaping @Sendable (ImageTransferResult) -> Result
    ) -> AsyncThrowingStream<ImageTransferEvent<Result>, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let result = try await self.transfer(from: source, to: destination, options: options) { event in
                        if case .completed = event { return }
                        continuation.yield(event.map(transform))
                    }
                    continuation.yield(.completed(transform(result)))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A ``DockyardBlobTransfer/BlobClient`` for one repository, sending through this client's authorizing,
    /// retrying and redirecting pipeline.
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - actions: The actions needed: `[.pull]` to read, `[.pull, .push]` to upload.
    ///   - extraScopes: Further scopes, such as `pull` on the source of a cross-repository mount.
    ///   - configuration: The blob client's tunables; the client's ``Configuration/blobs`` by default.
    /// - Returns: The blob client.
    /// - Throws: ``RegistryError`` when the registry has no usable endpoint.
    public func blobClient(
        for repository: Repository,
        actions: [Scope.Action] = [.pull],
        extraScopes: [Scope] = [],
        configuration: BlobClient.Configuration? = nil
    ) throws -> BlobClient {
        BlobClient(
            transport: transport(for: repository, actions: actions, extraScopes: extraScopes),
            repositoryURL: try baseURL(for: repository),
            configuration: configuration ?? self.configuration.blobs)
    }

    /// The blobs' sizes added up, for the plan event.
    ///
    /// Sizes come from manifests, which may claim anything: a negative size counts as 0 and a total beyond
    /// `Int64.max` stays there, instead of trapping on overflow.
    static func plannedBytes(_ blobs: [Descriptor]) -> Int64 {
        blobs.reduce(Int64(0)) { total, blob in
            let (sum, overflow) = total.addingReportingOverflow(max(0, blob.size))
            return overflow ? .max : sum
        }
    }

    /// Runs the same work on every item with at most `limit` running at once (clamped to
    /// 1 through ``ImageTransferOptions/maxConcurrency``); the first error cancels the rest.
    static func forEach<Item: Sendable>(
        _ items: [Item],
        concurrency limit: Int,
        _ body: @escaping @Sendable (Item) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = items.makeIterator()
            for _ in 0..<ImageTransferOptions.clampedConcurrency(limit) {
                guard let item = pending.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = pending.next() {
                    group.addTask { try await body(item) }
                }
            }
        }
    }
}

/// One run of the transfer engine: plan, blobs, manifests.
struct ImageTransferRun {
    let source: any ImageSource
    let destination: any ImageDestination
    let options: ImageTransferOptions
    let emit: (@Sendable (ImageTransferEvent<ImageTransferResult>) -> Void)?

    /// What to write: the top-level document and the platform manifests under it.
    struct Selection {
        var root: ManifestDocument
        var rootDescriptor: Descriptor
        var resolved: Descriptor
        /// Platform manifests with their index entries; for a single manifest, the root itself.
        var manifests: [(document: ManifestDocument, descriptor: Descriptor)]
    }

    func run() async throws -> ImageTransferResult {
        let selection = try await select()
        emit?(.resolved(selection.resolved))
        if options.skipIfPresent, try await destination.currentDigest() == selection.rootDescriptor.digest {
            return result(selection, totals: TransferTotals(), upToDate: true)
        }
        let plan = Self.plan(of: selection.manifests.map(\.document))
        // Every blob's source is asked for first: a source that lacks one fails before a byte moves.
        let sources = try plan.blobs.map { (blob: $0, bytes: try source.blob($0)) }
        let tracker = ProgressTracker(plan.progress, emit: emit)
        emit?(.planned(plan))
        let origin = source.blobLocation
        let destination = self.destination
        let handler: TransferEventHandler? = emit == nil ? nil : { @Sendable event in tracker.handle(event) }
        try await RegistryClient.forEach(sources, concurrency: options.concurrency) { item in
            let outcome = try await destination.putBlob(item.blob, from: item.bytes, origin: origin, progress: handler)
            tracker.record(outcome, size: item.blob.size)
        }

        if case .index = selection.root.content {
            for (document, descriptor) in selection.manifests {
                try await destination.putManifest(document, descriptor: descriptor, root: false)
                emit?(.manifest(descriptor))
            }
        }
        try await destination.putManifest(selection.root, descriptor: selection.rootDescriptor, root: true)
        emit?(.manifest(selection.rootDescriptor))
        return result(selection, totals: tracker.totals, upToDate: false)
    }

    private func result(_ selection: Selection, totals: TransferTotals, upToDate: Bool) -> ImageTransferResult {
        ImageTransferResult(
            source: source.description, destination: destination.description,
            digest: selection.rootDescriptor.digest, descriptor: selection.rootDescriptor,
            resolvedDigest: selection.resolved.digest, manifests: selection.manifests.map(\.descriptor),
            totals: totals, upToDate: upToDate)
    }

    /// Reads the root and picks the platforms.
    func select() async throws -> Selection {
        let (top, topDescriptor) = try await source.rootManifest()
        switch top.content {
        case .index(let index):
            let chosen = try Self.select(index, options.platforms, subject: source.description)
            var manifests: [(document: ManifestDocument, descriptor: Descriptor)] = []
            for child in chosen {
                manifests.append((try await source.manifest(for: child), child))
            }
            if options.platforms != .all, let only = manifests.first {
                return Selection(root: only.document, rootDescriptor: only.descriptor, resolved: topDescriptor, manifests: [only])
            }
            return Selection(root: top, rootDescriptor: topDescriptor, resolved: topDescriptor, manifests: manifests)
        case .manifest:
            return Selection(root: top, rootDescriptor: topDescriptor, resolved: topDescriptor, manifests: [(top, topDescriptor)])
        default:
            throw ImageTransferError(
                code: .unsupportedManifest, subject: source.description,
                message: "this is a Docker schema 1 manifest, which cannot be moved as it is; use a newer image")
        }
    }

    /// The index entries a platform selection picks, or throws when the platform is missing.
    static func select(_ index: ImageIndex, _ platforms: PlatformSelection, subject: String) throws -> [Descriptor] {
        let wanted: Platform
        switch platforms {
        case .all: return index.manifests
        case .current: wanted = Platform.current
        case .specific(let platform): wanted = platform
        }
        guard let entry = index.manifest(for: wanted) else {
            let available = index.manifests.compactMap { $0.platform.map { "\($0)" } }
            throw ImageTransferError(
                code: .platformUnknown, subject: subject,
                message: "\(wanted) is not among \(available.isEmpty ? "its entries" : available.joined(separator: ", ")); choose one of them or take all platforms")
        }
        return [entry]
    }

    /// The blobs (config, then layers) a set of manifests refers to, each once, in order.
    static func plan(of documents: [ManifestDocument]) -> ImageTransferPlan {
        var seen = Set<ContentDigest>()
        var blobs: [Descriptor] = []
        var layers: [Descriptor] = []
        for document in documents {
            guard case .manifest(let manifest) = document.content else { continue }
            if seen.insert(manifest.config.digest).inserted { blobs.append(manifest.config) }
            for layer in manifest.layers where seen.insert(layer.digest).inserted {
                blobs.append(layer)
                layers.append(layer)
            }
        }
        return ImageTransferPlan(blobs: blobs, layers: layers)
    }
}

/// Adds up what the blob transfers of one run did and turns blob events into running totals; shared by its tasks.
final class ProgressTracker: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var progress: ImageTransferProgress
    private var perBlob: [ContentDigest: Int64] = [:]
    private var counted = TransferTotals()
    private let emit: (@Sendable (ImageTransferEvent<ImageTransferResult>) -> Void)?

    init(_ initial: ImageTransferProgress, emit: (@Sendable (ImageTransferEvent<ImageTransferResult>) -> Void)?) {
        self.progress = initial
        self.emit = emit
    }

    var totals: TransferTotals { lock.withLock { counted } }

    /// Records how a blob got to the destination.
    func record(_ outcome: UploadResult.Outcome, size: Int64) {
        lock.withLock {
            switch outcome {
            case .uploaded:
                counted.transferred += 1
                let (sum, overflow) = counted.bytes.addingReportingOverflow(max(0, size))
                counted.bytes = overflow ? .max : sum
            case .skipped: counted.skipped += 1
            case .mounted: counted.mounted += 1
            }
        }
    }

    /// Forwards a blob event, then the running totals it changes.
    func handle(_ event: TransferEvent) {
        emit?(.blob(event))
        let updated: ImageTransferProgress? = lock.withLock {
            switch event {
            case .progressed(let digest, let completed, _):
                move(digest, to: completed)
            case .skipped(let digest, let size), .mounted(let digest, let size, _), .finished(let digest, let size):
                move(digest, to: size)
                progress.completedBlobs += 1
            default:
                return nil
            }
            return progress
        }
        if let updated { emit?(.progressed(updated)) }
    }

    private func move(_ digest: ContentDigest, to completed: Int64) {
        // `completed` may be a descriptor's size from the wire: negative counts as 0, and no step traps.
        let completed = max(0, completed)
        let before = perBlob[digest] ?? 0
        perBlob[digest] = completed
        let (sum, overflow) = progress.completedBytes.addingReportingOverflow(completed - before)
        progress.completedBytes = overflow ? .max : max(0, sum)
    }
}
