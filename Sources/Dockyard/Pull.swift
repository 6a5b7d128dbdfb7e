import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

/// What ``RegistryClient/pull(_:into:platforms:concurrency:)`` did.
public struct PullResult: Sendable, Hashable, CustomStringConvertible {
    /// The reference that was pulled.
    public var reference: ImageReference
    /// The digest of the entry written to the layout's `index.json`.
    public var digest: ContentDigest
    /// The entry written to the layout's `index.json`: the index (all platforms) or one manifest.
    public var descriptor: Descriptor
    /// The digest the reference names at the registry: the index of a multi-platform image, whichever platform
    /// was pulled (what `docker pull` prints as `Digest:`).
    public var resolvedDigest: ContentDigest
    /// The manifests pulled (one per platform).
    public var manifests: [Descriptor]
    /// The name given to the entry (`org.opencontainers.image.ref.name`), if any.
    public var refName: String?
    /// Blob counts and bytes.
    public var totals: TransferTotals

    /// The image, its digest and the counts, such as `registry.test/app:v1 sha256:… (3 moved (1.2 MiB), 0 present, 0 mounted)`.
    public var description: String { "\(reference) \(digest) (\(totals))" }
}

extension RegistryClient {
    /// Pulls an image into an OCI image layout directory.
    ///
    /// A convenience over ``transfer(from:to:options:progress:)`` from ``image(_:)`` to
    /// ``OCILayout/image(named:blobConfiguration:)``, naming the entry after the reference's tag (`latest` when
    /// the reference has neither tag nor digest). Blobs the layout holds are not fetched again; the others are
    /// downloaded verified, resumed after broken connections and renamed into place, and the entry is added to
    /// `index.json` last. A pull that fails into a layout that did not exist leaves nothing behind.
    ///
    /// - Parameters:
    ///   - reference: The image; a tag, a digest, or neither (`latest`).
    ///   - layout: The layout to pull into.
    ///   - platforms: Which platforms of an index to pull; the host's by default.
    ///   - concurrency: How many blobs download at once; 4 by default.
    /// - Returns: What was pulled, with counts.
    /// - Throws: As ``transfer(from:to:options:progress:)``.
    @discardableResult
    public func pull(
        _ reference: ImageReference,
        into layout: OCILayout,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4
    ) async throws -> PullResult {
        let (source, destination) = pullEnds(reference, layout)
        let result = try await transfer(
            from: source, to: destination, options: ImageTransferOptions(platforms: platforms, concurrency: concurrency))
        return PullResult(reference, destination.name, result)
    }

    /// Pulls an image into an OCI image layout, reporting progress as a stream of events that ends with
    /// ``ImageTransferEvent/completed(_:)`` carrying the ``PullResult``.
    ///
    /// - Parameters:
    ///   - reference: The image.
    ///   - layout: The layout to pull into.
    ///   - platforms: Which platforms of an index to pull.
    ///   - concurrency: How many blobs download at once.
    /// - Returns: The events; the stream throws what ``pull(_:into:platforms:concurrency:)`` throws.
    public func pullEvents(
        _ reference: ImageReference,
        into layout: OCILayout,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4
    ) -> AsyncThrowingStream<PullEvent, any Error> {
        let (source, destination) = pullEnds(reference, layout)
        return events(
            from: source, to: destination, options: ImageTransferOptions(platforms: platforms, concurrency: concurrency)
        ) { PullResult(reference, destination.name, $0) }
    }

    private func pullEnds(_ reference: ImageReference, _ layout: OCILayout) -> (RegistryImage, LayoutImage) {
        let name = reference.tag ?? (reference.digest == nil ? "latest" : nil)
        return (image(reference), layout.image(named: name, blobConfiguration: configuration.blobs))
    }
}

extension PullResult {
    init(_ reference: ImageReference, _ refName: String?, _ result: ImageTransferResult) {
        self.init(
            reference: reference, digest: result.digest, descriptor: result.descriptor,
            resolvedDigest: result.resolvedDigest, manifests: result.manifests, refName: refName, totals: result.totals)
    }
}
