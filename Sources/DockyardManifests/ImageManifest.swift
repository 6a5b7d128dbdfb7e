/// An image manifest: a configuration and an ordered list of layers (image-spec `manifest.md`), or an artifact
/// described the same way (with ``artifactType`` and, often, the ``Descriptor/empty`` config).
///
/// The same structure is Docker's image manifest v2 schema 2; ``mediaType`` tells them apart
/// (``MediaType/ociManifest`` or ``MediaType/dockerManifest``).
///
/// To push a manifest, encode it once with ``ManifestDocument/init(encoding:)-(ImageManifest)`` and send the
/// document's ``ManifestDocument/bytes``: its ``ManifestDocument/digest`` is the digest of exactly those bytes.
public struct ImageManifest: Hashable, Sendable, Codable {
    /// The schema version; always 2.
    public var schemaVersion: Int
    /// The manifest's media type. Optional for OCI (though recommended), required for Docker schema 2.
    public var mediaType: MediaType?
    /// The type of artifact this manifest describes, when it is an artifact rather than a runnable image.
    public var artifactType: MediaType?
    /// The image configuration (or the artifact's config, often ``Descriptor/empty``).
    public var config: Descriptor
    /// The layers, base layer first.
    public var layers: [Descriptor]
    /// The manifest this one refers to (a signature, SBOM or attestation names the image it is about).
    public var subject: Descriptor?
    /// Arbitrary metadata.
    public var annotations: [String: String]?

    /// Creates a manifest.
    ///
    /// - Parameters:
    ///   - mediaType: ``MediaType/ociManifest`` (the default) or ``MediaType/dockerManifest``.
    ///   - artifactType: The artifact type, for artifacts.
    ///   - config: The configuration descriptor.
    ///   - layers: The layer descriptors, base layer first; the OCI schema requires at least one.
    ///   - subject: The manifest this one refers to.
    ///   - annotations: Metadata.
    public init(
        mediaType: MediaType? = .ociManifest,
        artifactType: MediaType? = nil,
        config: Descriptor,
        layers: [Descriptor],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.config = config
        self.layers = layers
        self.subject = subject
        self.annotations = annotations
    }
}

/// An image index: a list of manifests, typically one per platform (image-spec `image-index.md`).
///
/// The same structure is Docker's manifest list; ``mediaType`` tells them apart (``MediaType/ociIndex`` or
/// ``MediaType/dockerManifestList``). ``manifest(for:)`` picks the entry to pull for a platform.
public struct ImageIndex: Hashable, Sendable, Codable {
    /// The schema version; always 2.
    public var schemaVersion: Int
    /// The index's media type. Optional for OCI (though recommended), required for Docker manifest lists.
    public var mediaType: MediaType?
    /// The type of artifact this index describes, when it is one.
    public var artifactType: MediaType?
    /// The manifests, each with its ``Descriptor/platform`` when it is platform-specific.
    public var manifests: [Descriptor]
    /// The manifest this index refers to.
    public var subject: Descriptor?
    /// Arbitrary metadata.
    public var annotations: [String: String]?

    /// Creates an index.
    ///
    /// - Parameters:
    ///   - mediaType: ``MediaType/ociIndex`` (the default) or ``MediaType/dockerManifestList``.
    ///   - artifactType: The artifact type, for artifacts.
    ///   - manifests: The manifest descriptors.
    ///   - subject: The manifest this index refers to.
    ///   - annotations: Metadata.
    public init(
        mediaType: MediaType? = .ociIndex,
        artifactType: MediaType? = nil,
        manifests: [Descriptor],
        subject: Descriptor? = nil,
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = 2
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.manifests = manifests
        self.subject = subject
        self.annotations = annotations
    }

    /// The entry to pull for a platform: the best match, as containerd chooses it.
    ///
    /// Entries whose platform the host can run (``Platform/compatibilityRank(of:)``) are ranked: an exact match
    /// first, then compatible platforms in containerd's order (`arm/v7` before `arm/v6`; `amd64` before `386`),
    /// ties broken by position in the index. Entries without a platform come last, and only when they are image
    /// manifests or indexes; attestation manifests (`vnd.docker.reference.type: attestation-manifest`) are never
    /// chosen.
    ///
    /// - Parameter platform: The platform to run on, for example ``Platform/current``.
    /// - Returns: The best entry, or `nil` when none can run on `platform`.
    public func manifest(for platform: Platform) -> Descriptor? {
        manifests(for: platform).first
    }

    /// Every entry that can run on a platform, best first (see ``manifest(for:)``).
    ///
    /// - Parameter platform: The platform to run on.
    /// - Returns: The matching entries, ranked.
    public func manifests(for platform: Platform) -> [Descriptor] {
        var ranked: [(rank: Int, position: Int, descriptor: Descriptor)] = []
        for (position, descriptor) in manifests.enumerated() {
            if descriptor.annotations?["vnd.docker.reference.type"] == "attestation-manifest" { continue }
            if let candidate = descriptor.platform {
                if let rank = platform.compatibilityRank(of: candidate) {
                    ranked.append((rank, position, descriptor))
                }
            } else if descriptor.mediaType.isImageManifest || descriptor.mediaType.isIndex {
                ranked.append((Int.max, position, descriptor))
            }
        }
        ranked.sort { ($0.rank, $0.position) < ($1.rank, $1.position) }
        return ranked.map(\.descriptor)
    }
}
