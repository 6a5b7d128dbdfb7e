import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// What ``RegistryClient/push(from:refName:to:platforms:concurrency:)`` did.
public struct PushResult: Sendable, Hashable, CustomStringConvertible {
    /// Where the image went.
    public var reference: ImageReference
    /// The digest of the top-level manifest or index pushed.
    public var digest: ContentDigest
    /// The top-level manifest or index pushed.
    public var descriptor: Descriptor
    /// The manifests pushed (one per platform).
    public var manifests: [Descriptor]
    /// Blob counts and bytes.
    public var totals: TransferTotals

    /// The image, its digest and the counts, such as `registry.test/app:v1 sha256:… (3 moved (1.2 MiB), 0 present, 0 mounted)`.
    public var description: String { "\(reference) \(digest) (\(totals))" }
}

extension RegistryClient {
    /// Pushes an image from an OCI image layout directory.
    ///
    /// A convenience over ``transfer(from:to:options:progress:)`` from ``OCILayout/image(named:blobConfiguration:)``
    /// to ``image(_:)``. Blobs go first (each skipped when the registry has it, mounted when this client has seen it
    /// in another repository of the registry, streamed from disk otherwise), then the platform manifests by
    /// digest, then the index or manifest under the reference's tag, byte for byte. Upload tunables come from the
    /// client's ``Configuration/blobs``.
    ///
    /// - Parameters:
    ///   - layout: The layout.
    ///   - refName: The entry's `org.opencontainers.image.ref.name`; `nil` for the only entry.
    ///   - reference: Where to push: repository and tag (`latest` when none) or the image's own digest.
    ///   - platforms: Which platforms of a multi-platform entry to push; all by default (the index and its
    ///     digest unchanged).
    ///   - concurrency: How many blobs upload at once; 4 by default.
    /// - Returns: What was pushed, with counts.
    /// - Throws: As ``transfer(from:to:options:progress:)``; ``LayoutError`` when the entry or a blob is missing.
    @discardableResult
    public func push(
        from layout: OCILayout,
        refName: String? = nil,
        to reference: ImageReference,
        platforms: PlatformSelection = .all,
        concurrency: Int = 4
    ) async throws -> PushResult {
        let result = try await transfer(
            from: layout.image(named: refName, blobConfiguration: configuration.blobs), to: image(reference),
            options: ImageTransferOptions(platforms: platforms, concurrency: concurrency))
        return PushResult(reference, result)
    }

    /// Pushes an image from an OCI image layout, reporting progress as a stream of events ending with
    /// ``ImageTransferEvent/completed(_:)``.
    ///
    /// - Parameters:
    ///   - layout: The layout.
    ///   - refName: The entry's name; `nil` for the only entry.
    ///   - reference: Where to push.
    ///   - platforms: Which platforms to push; all by default.
    ///   - concurrency: How many blobs upload at once.
    /// - Returns: The events; the stream throws what ``push(from:refName:to:platforms:concurrency:)`` throws.
    public func pushEvents(
        from layout: OCILayout,
        refName: String? = nil,
        to reference: ImageReference,
        platforms: PlatformSelection = .all,
        concurrency: Int = 4
    ) -> AsyncThrowingStream<PushEvent, any Error> {
        events(
            from: layout.image(named: refName, blobConfiguration: configuration.blobs), to: image(reference),
            options: ImageTransferOptions(platforms: platforms, concurrency: concurrency)
        ) { PushResult(reference, $0) }
    }
}

extension PushResult {
    init(_ reference: ImageReference, _ result: ImageTransferResult) {
        self.init(
            reference: reference, digest: result.digest, descriptor: result.descriptor, manifests: result.manifests,
            totals: result.totals)
    }
}
