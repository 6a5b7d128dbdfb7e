import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

extension RegistryClient {
    /// Pushes an image from an OCI image layout directory.
    ///
    /// The image is the layout entry named `refName`, or the only entry. Blobs go first (at most `concurrency`
    /// at once, each skipped when the registry already has it, streamed from disk otherwise), then the platform
    /// manifests by digest, then the index or manifest under the reference's tag. The bytes of every manifest are
    /// sent as stored, so digests are unchanged.
    ///
    /// - Parameters:
    ///   - layout: The layout.
    ///   - refName: The entry's `org.opencontainers.image.ref.name`; `nil` for the only entry.
    ///   - reference: Where to push: repository and tag (`latest` when none) or the image's own digest.
    ///   - concurrency: How many blobs upload at once; 4 by default.
    ///   - blobConfiguration: Upload tunables, such as chunked uploads.
    /// - Returns: What was pushed, with counts.
    /// - Throws: ``LayoutError`` (no such entry, missing blob), ``RegistryError``, `BlobTransferError`,
    ///   `AuthError` or `TransportError`.
    @discardableResult
    public func push(
        from layout: OCILayout,
        refName: String? = nil,
        to reference: ImageReference,
        concurrency: Int = 4,
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) async throws -> PushResult {
        try await performPush(
            from: layout, refName: refName, to: reference, concurrency: concurrency,
            blobConfiguration: blobConfiguration, emit: nil)
    }

    /// Pushes an image from an OCI image layout, reporting progress as a stream of events ending with
    /// ``ImageTransferEvent/finished(_:)``.
    ///
    /// - Parameters:
    ///   - layout: The layout.
    ///   - refName: The entry's name; `nil` for the only entry.
    ///   - reference: Where to push.
    ///   - concurrency: How many blobs upload at once.
    ///   - blobConfiguration: Upload tunables.
    /// - Returns: The events; the stream throws what ``push(from:refName:to:concurrency:blobConfiguration:)`` throws.
    public func pushEvents(
        from layout: OCILayout,
        refName: String? = nil,
        to reference: ImageReference,
        concurrency: Int = 4,
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) -> AsyncThrowingStream<PushEvent, any Error> {
        RegistryClient.events { emit in
            try await self.performPush(
                from: layout, refName: refName, to: reference, concurrency: concurrency,
                blobConfiguration: blobConfiguration, emit: emit)
        }
    }

    private func performPush(
        from layout: OCILayout,
        refName: String?,
        to reference: ImageReference,
        concurrency: Int,
        blobConfiguration: BlobClient.Configuration,
        emit: (@Sendable (PushEvent) -> Void)?
    ) async throws -> PushResult {
        let entry = try layout.entry(named: refName)
        let top = try layout.document(entry)
        emit?(.resolved(entry))
        var children: [(ManifestDocument, Descriptor)] = []
        switch top.content {
        case .index(let index):
            for child in index.manifests {
                guard layout.contains(child) else {
                    throw LayoutError(
                        .missingBlob,
                        "the index lists manifest \(child.digest)\(child.platform.map { " (\($0))" } ?? ""), which the layout does not hold; pull all platforms into it or push one platform",
                        path: layout.blobURL(for: child.digest))
                }
                children.append((try layout.document(child), child))
            }
        case .manifest:
            children = [(top, entry)]
        default:
            throw LayoutError(.invalidLayout, "entry \(entry.digest) is not an OCI or Docker v2 manifest or index", path: layout.indexURL)
        }

        let blobs = RegistryClient.blobs(of: children.map(\.0))
        for blob in blobs where !layout.contains(blob) {
            throw LayoutError(
                .missingBlob, "blob \(blob.digest) of the image is missing from the layout (or has the wrong size)",
                path: layout.blobURL(for: blob.digest))
        }
        emit?(.planned(blobs: blobs.count, bytes: RegistryClient.plannedBytes(blobs)))
        let client = try blobClient(for: reference.repository, actions: [.pull, .push], configuration: blobConfiguration)
        let handler = RegistryClient.blobHandler(emit)
        let counter = TotalsCounter()
        try await RegistryClient.forEach(blobs, concurrency: concurrency) { blob in
            let source = try BlobUploadSource.file(layout.blobURL(for: blob.digest), readSize: blobConfiguration.fileReadSize)
            let result = try await client.upload(blob.digest, from: source, progress: handler)
            await counter.record(result.outcome, size: result.size)
        }

        try await putImageManifests(top, described: entry, children: children, as: reference, emit: emit)
        return PushResult(
            reference: reference, digest: top.digest, manifests: children.map(\.1), totals: await counter.totals)
    }
}
