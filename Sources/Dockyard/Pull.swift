import DockyardBlobTransfer
import DockyardManifests
import DockyardReferences
import Foundation

extension RegistryClient {
    /// Pulls an image into an OCI image layout directory.
    ///
    /// The manifest (and, for a multi-platform image, the index) is resolved, the selected platforms' manifests
    /// are fetched, and every blob the layout does not hold yet is downloaded (verified, resumed after broken
    /// connections, renamed into place), at most `concurrency` at once. Only then are the manifests written and the
    /// entry added to `index.json`, named after the reference's tag; so a layout never lists an image whose blobs
    /// are missing, and blobs already present are never fetched again.
    ///
    /// With ``PlatformSelection/all`` the index itself is stored and listed, so its digest stays the registry's;
    /// with one platform, that platform's manifest is listed.
    ///
    /// - Parameters:
    ///   - reference: The image; a tag, a digest, or neither (`latest`).
    ///   - layout: The layout to pull into.
    ///   - platforms: Which platforms of an index to pull; the host's by default.
    ///   - concurrency: How many blobs download at once; 4 by default.
    /// - Returns: What was pulled, with counts.
    /// - Throws: ``RegistryError`` (unknown manifest, missing platform, …), `BlobTransferError` (digest or size
    ///   mismatch, broken connection that could not be resumed), ``LayoutError``, `ManifestError`, `AuthError` or
    ///   `TransportError`.
    @discardableResult
    public func pull(
        _ reference: ImageReference,
        into layout: OCILayout,
        platforms: PlatformSelection = .current,
        concurrency: Int = 4
    ) async throws -> PullResult {
        try await performPull(reference, into: layout, platforms: platforms, concurrency: concurrency, emit: nil)
    }

    /// Pulls an image into an OCI image layout, reporting progress as a stream of events.
    ///
    /// The pull runs while the stream is iterated and is cancelled when the consumer stops; the last event is
    /// ``ImageTransferEvent/finished(_:)`` with the ``PullResult``. Byte progress events are coalesced.
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
        RegistryClient.events { emit in
            try await self.performPull(reference, into: layout, platforms: platforms, concurrency: concurrency, emit: emit)
        }
    }

    private func performPull(
        _ reference: ImageReference,
        into layout: OCILayout,
        platforms: PlatformSelection,
        concurrency: Int,
        emit: (@Sendable (PullEvent) -> Void)?
    ) async throws -> PullResult {
        let top = try await manifest(for: reference)
        let topDescriptor = try RegistryClient.descriptor(of: top)
        emit?(.resolved(topDescriptor))

        var entry = topDescriptor
        var manifests: [ManifestDocument] = []
        var manifestDescriptors: [Descriptor] = []
        var storeTop = true
        switch top.content {
        case .index(let index):
            let chosen = try select(index, platforms, reference: reference)
            for child in chosen {
                manifests.append(try await manifest(for: reference.withDigest(child.digest), accepting: [child.mediaType]))
                manifestDescriptors.append(child)
            }
            if platforms != .all, let only = chosen.first {
                entry = only
                storeTop = false
            }
        case .manifest:
            manifests = [top]
            manifestDescriptors = [topDescriptor]
        default:
            throw RegistryError(
                code: .unsupported, method: "GET", url: try baseURL(for: reference.repository),
                subject: reference.description,
                message: "this is a Docker schema 1 manifest, which OCI layouts cannot hold; pull a newer image")
        }

        let blobs = RegistryClient.blobs(of: manifests)
        emit?(.planned(blobs: blobs.count, bytes: RegistryClient.plannedBytes(blobs)))
        let counter = TotalsCounter()
        let client = try blobClient(for: reference.repository)
        let handler = RegistryClient.blobHandler(emit)
        let missing = blobs.filter { blob in
            if layout.contains(blob) {
                handler?(.skipped(digest: blob.digest, size: blob.size))
                return false
            }
            return true
        }
        for _ in 0..<(blobs.count - missing.count) { await counter.skipped() }
        for blob in missing { try layout.prepareBlobDirectory(for: blob.digest) }
        try await RegistryClient.forEach(missing, concurrency: concurrency) { blob in
            let info = try await client.download(blob.digest, size: blob.size, to: layout.blobURL(for: blob.digest), progress: handler)
            await counter.downloaded(info.size)
        }

        for (document, descriptor) in zip(manifests, manifestDescriptors) {
            try layout.storeBlob(document.bytes, digest: document.digest)
            emit?(.manifest(descriptor))
        }
        if storeTop, case .index = top.content {
            try layout.storeBlob(top.bytes, digest: top.digest)
            emit?(.manifest(topDescriptor))
        }
        let refName = reference.tag ?? (reference.digest == nil ? "latest" : nil)
        try layout.setEntry(entry, named: refName)
        return PullResult(
            reference: reference, descriptor: entry, manifests: manifestDescriptors, refName: refName,
            totals: await counter.totals)
    }

    /// The descriptor of a fetched document.
    static func descriptor(of document: ManifestDocument) throws -> Descriptor {
        Descriptor(mediaType: document.mediaType, digest: document.digest, size: Int64(document.bytes.count))
    }
}
