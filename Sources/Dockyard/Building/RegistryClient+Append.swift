import DockyardBlobTransfer
import DockyardImageBuilder
import DockyardManifests
import DockyardReferences
import Foundation

extension RegistryClient {
    /// Appends layers to a base image and writes the result, changing its configuration on the way.
    ///
    /// For each platform of the base chosen by `platforms`, the configuration gets the layers' diff IDs in
    /// `rootfs.diff_ids`, one `history` entry per layer, `created`, and `changes`; the manifest gets the layers
    /// (with Docker media types when the base is a Docker schema 2 image) and `changes.annotations`. With several
    /// platforms a new index lists the new manifests (attestation entries of the base, which describe the old
    /// manifests, are left out). Same inputs give the same digests.
    ///
    /// Base layers are never downloaded for a registry target: each is skipped when the target has it, mounted
    /// when the base is in another repository of the same registry, and streamed from registry to registry
    /// otherwise. A layout target gets the blobs it lacks.
    ///
    /// - Parameters:
    ///   - layers: The layers to add, built with ``DockyardImageBuilder/LayerBuilder``; empty for a
    ///     configuration-only change.
    ///   - base: The base image: a registry reference, an OCI layout entry, or ``ImageLocation/scratch``.
    ///   - target: Where the new image goes: a registry reference (its tag, `latest` by default) or an OCI layout
    ///     entry (created when missing).
    ///   - platforms: Which platforms of a multi-platform base to build on, the host's by default;
    ///     ``PlatformSelection/all`` keeps them all in a new index. For `scratch`, the platform of the image.
    ///   - changes: Configuration and annotation changes.
    ///   - concurrency: How many blobs move at once.
    ///   - blobConfiguration: Upload tunables.
    /// - Returns: What was written.
    /// - Throws: ``DockyardImageBuilder/LayerError``, ``LayoutError``, ``RegistryError``, `ManifestError`,
    ///   `BlobTransferError`, `AuthError` or `TransportError`.
    @discardableResult
    public func append(
        _ layers: [Layer],
        to base: ImageLocation,
        as target: ImageLocation,
        platforms: PlatformSelection = .current,
        changes: ImageChanges = ImageChanges(),
        concurrency: Int = 4,
        blobConfiguration: BlobClient.Configuration = BlobClient.Configuration()
    ) async throws -> ImageBuildResult {
        let source = try ImageStore(base, client: self)
        let destination = try ImageStore(target, client: self, creating: true)

        // The base: its top-level document and the platform manifests chosen.
        var baseTop: ManifestDocument?
        var children: [ManifestDocument] = []
        var baseConfigs: [[UInt8]] = []
        if case .scratch = base {
            let platform: Platform
            switch platforms {
            case .specific(let chosen): platform = chosen
            case .current, .all: platform = Platform(os: "linux", architecture: Platform.current.architecture, variant: Platform.current.variant)
            }
            baseConfigs = [ConfigEditor.scratch(platform: platform)]
        } else {
            let top = try await source.top()
            baseTop = top
            switch top.content {
            case .index(let index):
                for entry in try Self.choose(from: index, platforms, location: base) {
                    children.append(try await source.document(entry))
                }
            case .manifest:
                children = [top]
            default:
                throw LayerError(.invalidValue, "\(base) is not an image manifest or index; only OCI and Docker schema 2 images can be changed")
            }
            for child in children {
                guard let manifest = child.manifest, manifest.config.mediaType.isImageConfiguration else {
                    throw LayerError(.invalidValue, "\(base) has a manifest (\(child.digest)) whose config is not an image configuration")
                }
                baseConfigs.append(try await source.smallBlob(manifest.config))
            }
        }

        // The new configurations and manifests.
        var newConfigs: [(bytes: [UInt8], descriptor: Descriptor)] = []
        var newManifests: [ManifestDocument] = []
        for (position, configBytes) in baseConfigs.enumerated() {
            let baseManifest = children.indices.contains(position) ? children[position].manifest : nil
            let isDocker = baseManifest?.mediaType == .dockerManifest
            let bytes = try ConfigEditor.apply(to: configBytes, adding: layers.map(\.diffID), changes: changes)
            let configType: MediaType = baseManifest?.config.mediaType ?? .ociConfig
            let configDescriptor = Descriptor(mediaType: configType, describing: bytes)
            var manifest = baseManifest ?? ImageManifest(config: configDescriptor, layers: [])
            manifest.config = configDescriptor
            manifest.layers += layers.map { layer in
                var descriptor = layer.descriptor
                descriptor.mediaType = Self.layerMediaType(descriptor.mediaType, docker: isDocker)
                return descriptor
            }
            if !changes.annotations.isEmpty {
                var annotations = manifest.annotations ?? [:]
                for (key, value) in changes.annotations { annotations[key] = value }
                manifest.annotations = annotations
            }
            newConfigs.append((bytes, configDescriptor))
            newManifests.append(try ManifestDocument(encoding: manifest))
        }

        // The new top-level document: an index when the base was one and every platform was kept.
        var top: ManifestDocument
        if let baseTop, case .index(var index) = baseTop.content, platforms == .all {
            var entries: [Descriptor] = []
            for entry in index.manifests {
                guard let position = children.firstIndex(where: { $0.digest == entry.digest }) else { continue }
                var replaced = entry
                replaced.digest = newManifests[position].digest
                replaced.size = Int64(newManifests[position].bytes.count)
                replaced.mediaType = newManifests[position].mediaType
                entries.append(replaced)
            }
            index.manifests = entries
            if !changes.annotations.isEmpty {
                var annotations = index.annotations ?? [:]
                for (key, value) in changes.annotations { annotations[key] = value }
                index.annotations = annotations
            }
            top = try ManifestDocument(encoding: index)
        } else {
            guard let only = newManifests.first else {
                throw LayerError(.invalidValue, "\(base) has no image to change")
            }
            top = only
        }

        // Blobs: base layers, new layers, configurations; then manifests.
        let writer = try destination.writer(mountingFrom: source, configuration: blobConfiguration)
        let tally = BlobTally()
        var baseLayers: [Descriptor] = []
        var seen = Set<ContentDigest>()
        for child in children {
            for layer in child.manifest?.layers ?? [] where seen.insert(layer.digest).inserted {
                baseLayers.append(layer)
            }
        }
        try await Self.forEach(baseLayers, concurrency: concurrency) { layer in
            try await destination.copyBlob(layer, from: source, writer: writer, counter: tally)
        }
        var newLayers: [Layer] = []
        for layer in layers where seen.insert(layer.descriptor.digest).inserted { newLayers.append(layer) }
        try await Self.forEach(newLayers, concurrency: concurrency) { layer in
            try await destination.putFile(layer.file, as: layer.descriptor, writer: writer, counter: tally)
        }
        for config in newConfigs where seen.insert(config.descriptor.digest).inserted {
            try await destination.putBytes(config.bytes, as: config.descriptor, writer: writer, counter: tally)
        }
        try await destination.putManifests(top: top, children: newManifests)
        return ImageBuildResult(
            target: target, descriptor: top.descriptor, manifests: newManifests.map(\.descriptor),
            configs: newConfigs.map(\.descriptor), totals: await tally.totals)
    }

    /// Changes an image's configuration (and annotations) without adding layers, and writes the result.
    ///
    /// The same as ``append(_:to:as:platforms:changes:concurrency:blobConfiguration:)`` with no layers: one
    /// empty-layer `history` entry records the change. No layer is downloaded or uploaded unless the target
    /// is in another registry or a layout.
    ///
    /// - Parameters:
    ///   - image: The image to change.
    ///   - target: Where the changed image goes (it may be the same reference, to retag it in place).
    ///   - platforms: Which platforms to change; the host's by default, ``PlatformSelection/all`` for every one.
    ///   - changes: The changes.
    /// - Returns: What was written.
    /// - Throws: As ``append(_:to:as:platforms:changes:concurrency:blobConfiguration:)``.
    @discardableResult
    public func mutate(
        _ image: ImageLocation,
        as target: ImageLocation,
        platforms: PlatformSelection = .current,
        changes: ImageChanges
    ) async throws -> ImageBuildResult {
        try await append([], to: image, as: target, platforms: platforms, changes: changes)
    }

    /// The layer media type to use in a manifest of the base's kind.
    static func layerMediaType(_ type: MediaType, docker: Bool) -> MediaType {
        guard docker else { return type }
        switch type {
        case .ociLayerGzip: return .dockerLayerGzip
        case .ociLayer: return .dockerLayer
        default: return type
        }
    }

    /// The index entries a platform selection picks; attestation manifests are never picked.
    static func choose(from index: ImageIndex, _ platforms: PlatformSelection, location: ImageLocation) throws -> [Descriptor] {
        let runnable = index.manifests.filter {
            $0.annotations?["vnd.docker.reference.type"] != "attestation-manifest" && $0.mediaType.isImageManifest
        }
        let wanted: Platform
        switch platforms {
        case .all: return runnable
        case .current: wanted = Platform.current
        case .specific(let platform): wanted = platform
        }
        guard let entry = index.manifest(for: wanted) else {
            let available = runnable.compactMap { $0.platform.map { "\($0)" } }
            throw LayerError(
                .platformUnavailable,
                "\(location) has no image for \(wanted); it has \(available.isEmpty ? "no platform entries" : available.joined(separator: ", "))")
        }
        return [entry]
    }
}
