import DockyardBlobTransfer
import DockyardImageBuilder
import DockyardManifests
import DockyardReferences
import Foundation

extension RegistryClient {
    /// Creates a multi-platform index from images, or adds images to an existing index, as `docker manifest
    /// create` and `crane index append` do.
    ///
    /// Each image's platform is taken from its configuration (or from the entries of an index given as an
    /// image, whose platform manifests are all added). The images' blobs and manifests are brought to the target
    /// first: skipped when present, mounted within one registry, streamed otherwise. With `appending`, the
    /// target's current index (or manifest) is kept and an added image replaces an entry of the same platform.
    /// The index is an OCI index, or a Docker manifest list when every entry is a Docker manifest.
    ///
    /// - Parameters:
    ///   - images: The images to list, in order.
    ///   - target: Where the index goes: a reference (its tag) or an OCI layout entry.
    ///   - appending: Whether to keep the target's current entries.
    ///   - annotations: Annotations of the index.
    /// - Returns: What was written; ``ImageBuildResult/manifests`` lists the index's entries.
    /// - Throws: ``DockyardImageBuilder/LayerError`` for an image without a platform, ``RegistryError``,
    ///   ``LayoutError``, `ManifestError`, `BlobTransferError`, `AuthError`, `TransportError`.
    @discardableResult
    public func createIndex(
        from images: [ImageLocation],
        as target: ImageLocation,
        appending: Bool = false,
        annotations: [String: String] = [:]
    ) async throws -> ImageBuildResult {
        let destination = try ImageStore(target, client: self, creating: true)
        var entries: [Descriptor] = []
        var existingAnnotations: [String: String]?
        if appending {
            let current = try await destination.top()
            switch current.content {
            case .index(let index):
                entries = index.manifests
                existingAnnotations = index.annotations
            case .manifest(let manifest):
                let config = try JSONDecoder().decode(ImageConfiguration.self, from: Data(try await destination.smallBlob(manifest.config)))
                var entry = current.descriptor
                entry.platform = config.platform
                entries = [entry]
            default:
                throw LayerError(.invalidValue, "\(target) is not an index or image manifest to append to")
            }
        }
        let tally = BlobTally()
        for image in images {
            let source = try ImageStore(image, client: self)
            let writer = try destination.writer(mountingFrom: source, configuration: BlobClient.Configuration())
            let top = try await source.top()
            var children: [(ManifestDocument, Platform?)] = []
            switch top.content {
            case .index(let index):
                for entry in index.manifests where entry.annotations?["vnd.docker.reference.type"] != "attestation-manifest" {
                    children.append((try await source.document(entry), entry.platform))
                }
            case .manifest:
                children = [(top, nil)]
            default:
                throw LayerError(.invalidValue, "\(image) is not an image manifest or index")
            }
            for (child, listed) in children {
                guard let manifest = child.manifest else { continue }
                var platform = listed
                if platform == nil {
                    guard manifest.config.mediaType.isImageConfiguration else {
                        throw LayerError(.invalidValue, "\(image) has no image configuration to take its platform from")
                    }
                    let bytes = try await source.smallBlob(manifest.config)
                    platform = try JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes)).platform
                }
                let blobs = [manifest.config] + manifest.layers
                try await Self.forEach(blobs, concurrency: 4) { blob in
                    try await destination.copyBlob(blob, from: source, writer: writer, counter: tally)
                }
                try await destination.putChildManifest(child)
                var entry = child.descriptor
                entry.platform = platform
                entries.removeAll { $0.platform == platform || $0.digest == entry.digest }
                entries.append(entry)
            }
        }
        guard !entries.isEmpty else { throw LayerError(.invalidValue, "an index needs at least one image") }
        var merged = existingAnnotations ?? [:]
        for (key, value) in annotations { merged[key] = value }
        let allDocker = entries.allSatisfy { $0.mediaType == .dockerManifest }
        let index = ImageIndex(
            mediaType: allDocker ? .dockerManifestList : .ociIndex, manifests: entries,
            annotations: merged.isEmpty ? nil : merged)
        let document = try ManifestDocument(encoding: index)
        try await destination.putManifests(top: document, children: [])
        return ImageBuildResult(target: target, descriptor: document.descriptor, manifests: entries, configs: [], totals: await tally.totals)
    }
}

extension ImageStore {
    /// Puts a platform manifest by its digest (a registry) or as a blob (a layout), before the index naming it.
    func putChildManifest(_ document: ManifestDocument) async throws {
        switch backing {
        case .registry(let client, let reference):
            _ = try await client.putManifest(document, as: reference.withDigest(document.digest))
        case .layout(let layout, _):
            try layout.storeBlob(document.bytes, digest: document.digest)
        case .scratch:
            throw LayerError(.invalidValue, "scratch cannot be written to")
        }
    }
}
