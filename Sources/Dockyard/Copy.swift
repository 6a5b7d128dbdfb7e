import DockyardAuth
import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

extension RegistryClient {
    /// Copies an image between repositories or registries, streaming blobs without touching disk.
    ///
    /// Each blob the destination lacks is mounted when both repositories are on the same registry
    /// (`POST ?mount=&from=`), and otherwise streamed from the source's `GET` into the destination's `PUT`,
    /// verified on the way. Manifests are copied byte for byte (platform manifests by digest first, then the
    /// top-level one under the destination's tag), so every digest, the index's included, is identical.
    ///
    /// - Parameters:
    ///   - source: The image to copy.
    ///   - destination: Where to put it: repository and tag (`latest` when none) or the image's digest.
    ///   - platforms: Which platforms of an index to copy; with ``PlatformSelection/all`` the index is copied,
    ///     otherwise the one platform's manifest; the host's by default.
    ///   - concurrency: How many blobs move at once; 4 by default.
    ///   - blobConfiguration: Upload tunables for the destination.
    /// - Returns: What was copied, with counts.
    /// - Throws: ``RegistryError``, `BlobTransferError`, `ManifestError`, `AuthError` or `TransportError`.
    @discardableResult
    public func copy(
        from source: ImageReference,
        to destination: ImageReference,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4,
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) async throws -> CopyResult {
        try await performCopy(
            from: source, to: destination, platforms: platforms, concurrency: concurrency,
            blobConfiguration: blobConfiguration, emit: nil)
    }

    /// Copies an image, reporting progress as a stream of events ending with ``ImageTransferEvent/finished(_:)``.
    ///
    /// - Parameters:
    ///   - source: The image to copy.
    ///   - destination: Where to put it.
    ///   - platforms: Which platforms of an index to copy.
    ///   - concurrency: How many blobs move at once.
    ///   - blobConfiguration: Upload tunables for the destination.
    /// - Returns: The events; the stream throws what
    ///   ``copy(from:to:platforms:concurrency:blobConfiguration:)`` throws.
    public func copyEvents(
        from source: ImageReference,
        to destination: ImageReference,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4,
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) -> AsyncThrowingStream<CopyEvent, any Error> {
        RegistryClient.events { emit in
            try await self.performCopy(
                from: source, to: destination, platforms: platforms, concurrency: concurrency,
                blobConfiguration: blobConfiguration, emit: emit)
        }
    }

    private func performCopy(
        from source: ImageReference,
        to destination: ImageReference,
        platforms: PlatformSelection,
        concurrency: Int,
        blobConfiguration: BlobClient.Configuration,
        emit: (@Sendable (CopyEvent) -> Void)?
    ) async throws -> CopyResult {
        let top = try await manifest(for: source)
        let topDescriptor = try RegistryClient.descriptor(of: top)
        emit?(.resolved(topDescriptor))
        var root = top
        var children: [(ManifestDocument, Descriptor)] = []
        switch top.content {
        case .index(let index):
            let chosen = try select(index, platforms, reference: source)
            for child in chosen {
                children.append((try await manifest(for: source.withDigest(child.digest), accepting: [child.mediaType]), child))
            }
            if platforms != .all, let only = children.first {
                root = only.0
                children = [only]
            }
        case .manifest:
            children = [(top, topDescriptor)]
        default:
            throw RegistryError(
                code: .unsupported, method: "GET", url: try baseURL(for: source.repository),
                subject: source.description, message: "Docker schema 1 manifests cannot be copied; copy a newer image")
        }

        let blobs = RegistryClient.blobs(of: children.map(\.0))
        emit?(.planned(blobs: blobs.count, bytes: RegistryClient.plannedBytes(blobs)))
        let sameRegistry = source.domain == destination.domain && source.path != destination.path
        let mountSource: Repository? = sameRegistry ? source.repository : nil
        let reader = try blobClient(for: source.repository)
        let writer = try blobClient(
            for: destination.repository, actions: [.pull, .push],
            extraScopes: sameRegistry ? [.repository(source.path, actions: [.pull])] : [],
            configuration: blobConfiguration)
        let handler = RegistryClient.blobHandler(emit)
        let counter = TotalsCounter()
        try await RegistryClient.forEach(blobs, concurrency: concurrency) { blob in
            let result = try await writer.upload(
                blob.digest, from: .blob(blob.digest, from: reader, size: blob.size),
                mountingFrom: mountSource, progress: handler)
            await counter.record(result.outcome, size: result.size)
        }

        try await putImageManifests(
            root, described: try RegistryClient.descriptor(of: root), children: children, as: destination, emit: emit)
        return CopyResult(
            source: source, destination: destination, digest: root.digest, manifests: children.map(\.1),
            totals: await counter.totals)
    }
}
