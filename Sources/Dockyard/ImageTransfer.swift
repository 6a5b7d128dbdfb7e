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

/// One step of an image pull, push or copy, for progress bars and logs.
///
/// A stream of these starts with ``resolved(_:)``, then ``planned(blobs:bytes:)``, then ``blob(_:)`` events of
/// every blob (moved, skipped or mounted) and ``manifest(_:)`` for every manifest and index written, and ends
/// with ``finished(_:)`` carrying the result.
public enum ImageTransferEvent<Result: Sendable>: Sendable {
    /// The reference was resolved to this manifest or index.
    case resolved(Descriptor)
    /// This many blobs of this many bytes make up the selection (moved or not).
    case planned(blobs: Int, bytes: Int64)
    /// A blob transfer event (started, progressed, resumed, verified, skipped, mounted, finished).
    case blob(TransferEvent)
    /// A manifest or index was written to its destination.
    case manifest(Descriptor)
    /// Everything is done.
    case finished(Result)
}

/// An event of ``RegistryClient/pullEvents(_:into:platforms:concurrency:)``.
public typealias PullEvent = ImageTransferEvent<PullResult>
/// An event of ``RegistryClient/pushEvents(from:refName:to:concurrency:blobConfiguration:)``.
public typealias PushEvent = ImageTransferEvent<PushResult>
/// An event of ``RegistryClient/copyEvents(from:to:platforms:concurrency:blobConfiguration:)``.
public typealias CopyEvent = ImageTransferEvent<CopyResult>

/// Blob counts and bytes of one image operation.
public struct TransferTotals: Sendable, Hashable, Codable {
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
}

/// What ``RegistryClient/pull(_:into:platforms:concurrency:)`` did.
public struct PullResult: Sendable, Hashable {
    /// The reference that was pulled.
    public var reference: ImageReference
    /// The entry written to the layout's `index.json`: the index (all platforms) or one manifest.
    public var descriptor: Descriptor
    /// The manifests pulled (one per platform).
    public var manifests: [Descriptor]
    /// The name given to the entry (`org.opencontainers.image.ref.name`), if any.
    public var refName: String?
    /// Blob counts and bytes.
    public var totals: TransferTotals
}

/// What ``RegistryClient/push(from:refName:to:concurrency:blobConfiguration:)`` did.
public struct PushResult: Sendable, Hashable {
    /// Where the image went.
    public var reference: ImageReference
    /// The digest of the top-level manifest or index pushed.
    public var digest: ContentDigest
    /// The manifests pushed (one per platform).
    public var manifests: [Descriptor]
    /// Blob counts and bytes.
    public var totals: TransferTotals
}

/// What ``RegistryClient/copy(from:to:platforms:concurrency:blobConfiguration:)`` did.
public struct CopyResult: Sendable, Hashable {
    /// The source.
    public var source: ImageReference
    /// The destination.
    public var destination: ImageReference
    /// The digest of the top-level manifest or index copied; the same at both ends.
    public var digest: ContentDigest
    /// The manifests copied (one per platform).
    public var manifests: [Descriptor]
    /// Blob counts and bytes.
    public var totals: TransferTotals
}

extension RegistryClient {
    /// A ``DockyardBlobTransfer/BlobClient`` for one repository, sending through this client's authorizing,
    /// retrying and redirecting pipeline.
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - actions: The actions needed: `[.pull]` to read, `[.pull, .push]` to upload.
    ///   - extraScopes: Further scopes, such as `pull` on the source of a cross-repository mount.
    ///   - configuration: The blob client's tunables.
    /// - Returns: The blob client.
    /// - Throws: ``RegistryError`` when the registry has no usable endpoint.
    public func blobClient(
        for repository: Repository,
        actions: [Scope.Action] = [.pull],
        extraScopes: [Scope] = [],
        configuration: BlobClient.Configuration = BlobClient.Configuration()
    ) throws -> BlobClient {
        BlobClient(
            transport: transport(for: repository, actions: actions, extraScopes: extraScopes),
            repositoryURL: try baseURL(for: repository),
            configuration: configuration)
    }

    /// The platform manifests an index entry selection picks, or throws when the platform is missing.
    func select(_ index: ImageIndex, _ platforms: PlatformSelection, reference: ImageReference) throws -> [Descriptor] {
        let wanted: Platform
        switch platforms {
        case .all: return index.manifests
        case .current: wanted = Platform.current
        case .specific(let platform): wanted = platform
        }
        guard let entry = index.manifest(for: wanted) else {
            let available = index.manifests.compactMap { $0.platform.map { "\($0)" } }
            throw RegistryError(
                code: .platformUnknown, method: "GET", url: try baseURL(for: reference.repository),
                subject: reference.description,
                message: "\(wanted) is not among \(available.isEmpty ? "its entries" : available.joined(separator: ", ")); choose one with a platform or take all")
        }
        return [entry]
    }

    /// The blobs (config, then layers) a set of manifests refers to, each once, in order.
    static func blobs(of documents: [ManifestDocument]) -> [Descriptor] {
        var seen = Set<ContentDigest>()
        var result: [Descriptor] = []
        for document in documents {
            guard case .manifest(let manifest) = document.content else { continue }
            for blob in [manifest.config] + manifest.layers where seen.insert(blob.digest).inserted {
                result.append(blob)
            }
        }
        return result
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

    /// The blob-level handler that forwards to an image-level event sink, or `nil` without one.
    static func blobHandler<Result>(
        _ emit: (@Sendable (ImageTransferEvent<Result>) -> Void)?
    ) -> TransferEventHandler? {
        guard let emit else { return nil }
        return { @Sendable event in emit(.blob(event)) }
    }

    /// Puts an image's manifests: for an index, each platform manifest by digest first; then `top` as `reference`.
    ///
    /// Each document is sent byte for byte, so digests stay the same; `emit` hears of each one as it lands.
    func putImageManifests<Result>(
        _ top: ManifestDocument,
        described topDescriptor: Descriptor,
        children: [(ManifestDocument, Descriptor)],
        as reference: ImageReference,
        emit: (@Sendable (ImageTransferEvent<Result>) -> Void)?
    ) async throws {
        if case .index = top.content {
            for (document, descriptor) in children {
                try await putManifest(document, as: reference.withDigest(document.digest))
                emit?(.manifest(descriptor))
            }
        }
        try await putManifest(top, as: reference)
        emit?(.manifest(topDescriptor))
    }

    /// Runs the same work on every item with at most `limit` running at once; the first error cancels the rest.
    static func forEach<Item: Sendable>(
        _ items: [Item],
        concurrency limit: Int,
        _ body: @escaping @Sendable (Item) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = items.makeIterator()
            for _ in 0..<max(1, limit) {
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

    /// Runs an operation, turning its progress handler into an event stream that ends with its result.
    static func events<Result: Sendable>(
        _ operation: @escaping @Sendable (_ emit: @escaping @Sendable (ImageTransferEvent<Result>) -> Void) async throws -> Result
    ) -> AsyncThrowingStream<ImageTransferEvent<Result>, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let result = try await operation { continuation.yield($0) }
                    continuation.yield(.finished(result))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Adds up what the blob transfers of one operation did; shared by its concurrent tasks.
actor TotalsCounter {
    private(set) var totals = TransferTotals()

    func record(_ outcome: UploadResult.Outcome, size: Int64) {
        switch outcome {
        case .uploaded:
            totals.transferred += 1
            totals.bytes += size
        case .skipped:
            totals.skipped += 1
        case .mounted:
            totals.mounted += 1
        }
    }

    func downloaded(_ size: Int64) {
        totals.transferred += 1
        totals.bytes += size
    }

    func skipped() { totals.skipped += 1 }
}
