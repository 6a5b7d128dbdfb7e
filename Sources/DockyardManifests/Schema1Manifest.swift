import DockyardReferences

/// A legacy Docker image manifest, schema 1 (`application/vnd.docker.distribution.manifest.v1+json`, or
/// `…+prettyjws` when signed). Recognised and readable so that old registries still work; never written.
///
/// - Important: JWS signatures are decoded but not verified; schema 1 signatures prove nothing about the
///   publisher (the keys are ephemeral). Trust the content through its digest instead.
public struct Schema1Manifest: Hashable, Sendable, Codable {
    /// The schema version; always 1.
    public var schemaVersion: Int
    /// The repository name.
    public var name: String
    /// The tag.
    public var tag: String
    /// The CPU architecture.
    public var architecture: String?
    /// The layers, newest first (the reverse of schema 2).
    public var fsLayers: [FSLayer]
    /// The v1 image JSON of each layer, newest first.
    public var history: [History]
    /// The JWS signatures, when signed.
    public var signatures: [Signature]?

    /// Whether the manifest carries JWS signatures.
    public var isSigned: Bool { !(signatures ?? []).isEmpty }

    /// One layer: its compressed digest.
    public struct FSLayer: Hashable, Sendable, Codable {
        /// The digest of the compressed layer blob.
        public var blobSum: ContentDigest
    }

    /// One layer's legacy v1 image JSON.
    public struct History: Hashable, Sendable, Codable {
        /// The v1 image JSON, as a string.
        public var v1Compatibility: String
    }

    /// A JWS signature (JSON serialisation).
    public struct Signature: Hashable, Sendable, Codable {
        /// The base64url-encoded protected header.
        public var protected: String
        /// The base64url-encoded signature.
        public var signature: String
    }
}

/// The `oci-layout` file at the root of an OCI image layout: `{"imageLayoutVersion": "1.0.0"}`
/// (image-spec `image-layout.md`).
public struct ImageLayoutHeader: Hashable, Sendable, Codable {
    /// The layout version; always `1.0.0`.
    public var imageLayoutVersion: String

    /// The header of the current layout version.
    public init() { imageLayoutVersion = "1.0.0" }
}
