/// A media type such as `application/vnd.oci.image.manifest.v1+json`: what a manifest, configuration or layer is.
///
/// `MediaType` is a thin, string-backed wrapper so that any value a registry sends can be carried, while the
/// constants below name the ones the OCI image specification (`media-types.md`) and Docker's image manifest
/// v2 schema 2 define. Comparison is exact, as registries and the OCI spec compare media types.
///
/// ```swift
/// if descriptor.mediaType == .ociIndex || descriptor.mediaType == .dockerManifestList { … }
/// request.headers.add(name: "Accept", value: MediaType.manifestAccept.map(\.rawValue).joined(separator: ", "))
/// ```
public struct MediaType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The media type's text.
    public let rawValue: String

    /// Wraps a media type string as is.
    ///
    /// - Parameter rawValue: The media type, for example `application/vnd.oci.image.index.v1+json`.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Wraps a media type string as is.
    ///
    /// - Parameter rawValue: The media type.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// Wraps a media type literal.
    ///
    /// - Parameter value: The media type.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The media type of an HTTP `Content-Type` header value: parameters such as `; charset=utf-8` and
    /// surrounding whitespace removed.
    ///
    /// - Parameter contentType: The header's value.
    public init(contentType: String) {
        let bare = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        self.rawValue = String(bare).trimmingSpacesAndTabs()
    }

    /// Decodes a media type from its string form.
    ///
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError` when the value is not a string.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the media type as its string form.
    ///
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: `EncodingError`, or another error of the encoder.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The media type's text.
    public var description: String { rawValue }

    // MARK: OCI image specification (media-types.md)

    /// An OCI image manifest.
    public static let ociManifest: MediaType = "application/vnd.oci.image.manifest.v1+json"
    /// An OCI image index: a list of manifests, usually one per platform.
    public static let ociIndex: MediaType = "application/vnd.oci.image.index.v1+json"
    /// An OCI image configuration.
    public static let ociConfig: MediaType = "application/vnd.oci.image.config.v1+json"
    /// An OCI content descriptor (a document that is a single descriptor).
    public static let ociDescriptor: MediaType = "application/vnd.oci.descriptor.v1+json"
    /// The `oci-layout` file of an OCI image layout.
    public static let ociLayoutHeader: MediaType = "application/vnd.oci.layout.header.v1+json"
    /// The empty JSON object `{}`, used as the config of artifacts that have none (image-spec 1.1).
    public static let ociEmpty: MediaType = "application/vnd.oci.empty.v1+json"
    /// An uncompressed OCI layer (a tar archive).
    public static let ociLayer: MediaType = "application/vnd.oci.image.layer.v1.tar"
    /// A gzip-compressed OCI layer.
    public static let ociLayerGzip: MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
    /// A zstd-compressed OCI layer.
    public static let ociLayerZstd: MediaType = "application/vnd.oci.image.layer.v1.tar+zstd"
    /// An uncompressed non-distributable OCI layer (deprecated by image-spec 1.1; still readable).
    public static let ociLayerNondistributable: MediaType = "application/vnd.oci.image.layer.nondistributable.v1.tar"
    /// A gzip-compressed non-distributable OCI layer (deprecated by image-spec 1.1; still readable).
    public static let ociLayerNondistributableGzip: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
    /// A zstd-compressed non-distributable OCI layer (deprecated by image-spec 1.1; still readable).
    public static let ociLayerNondistributableZstd: MediaType =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
    /// The OCI artifact manifest of image-spec 1.1 release candidates, withdrawn before 1.1.0; recognised only.
    public static let ociArtifactManifest: MediaType = "application/vnd.oci.artifact.manifest.v1+json"

    // MARK: Docker image manifest v2

    /// A Docker image manifest, schema 2.
    public static let dockerManifest: MediaType = "application/vnd.docker.distribution.manifest.v2+json"
    /// A Docker manifest list (the Docker counterpart of an OCI index).
    public static let dockerManifestList: MediaType = "application/vnd.docker.distribution.manifest.list.v2+json"
    /// A Docker container image configuration.
    public static let dockerConfig: MediaType = "application/vnd.docker.container.image.v1+json"
    /// A gzip-compressed Docker layer.
    public static let dockerLayerGzip: MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    /// An uncompressed Docker layer.
    public static let dockerLayer: MediaType = "application/vnd.docker.image.rootfs.diff.tar"
    /// A zstd-compressed Docker layer (as BuildKit writes them).
    public static let dockerLayerZstd: MediaType = "application/vnd.docker.image.rootfs.diff.tar.zstd"
    /// A gzip-compressed foreign Docker layer (fetched from its `urls`, typically Windows base layers).
    public static let dockerForeignLayerGzip: MediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    /// An uncompressed foreign Docker layer.
    public static let dockerForeignLayer: MediaType = "application/vnd.docker.image.rootfs.foreign.diff.tar"
    /// A Docker plugin configuration.
    public static let dockerPluginConfig: MediaType = "application/vnd.docker.plugin.v1+json"
    /// A legacy Docker image manifest, schema 1, unsigned. Recognised and readable only.
    public static let dockerSchema1: MediaType = "application/vnd.docker.distribution.manifest.v1+json"
    /// A legacy Docker image manifest, schema 1, signed with JWS. Recognised and readable only.
    public static let dockerSchema1Signed: MediaType = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    // MARK: Sets

    /// The media types a client lists in `Accept` when it fetches a manifest, most preferred first: OCI index and
    /// manifest, Docker manifest list and schema 2 manifest, then legacy schema 1 so that old registries can answer.
    public static let manifestAccept: [MediaType] = [
        .ociIndex, .ociManifest, .dockerManifestList, .dockerManifest, .dockerSchema1Signed, .dockerSchema1,
    ]

    /// Every layer media type defined by the OCI image spec and Docker's schema 2.
    public static let layerTypes: Set<MediaType> = [
        .ociLayer, .ociLayerGzip, .ociLayerZstd,
        .ociLayerNondistributable, .ociLayerNondistributableGzip, .ociLayerNondistributableZstd,
        .dockerLayer, .dockerLayerGzip, .dockerLayerZstd, .dockerForeignLayer, .dockerForeignLayerGzip,
    ]

    /// Whether this is an image manifest type (OCI or Docker schema 2).
    public var isImageManifest: Bool { self == .ociManifest || self == .dockerManifest }

    /// Whether this is an index type (OCI index or Docker manifest list).
    public var isIndex: Bool { self == .ociIndex || self == .dockerManifestList }

    /// Whether this is a legacy Docker schema 1 manifest type, signed or not.
    public var isSchema1: Bool { self == .dockerSchema1 || self == .dockerSchema1Signed }

    /// Whether this is any type a registry serves from `/v2/<name>/manifests/<reference>`.
    public var isManifest: Bool { isImageManifest || isIndex || isSchema1 || self == .ociArtifactManifest }

    /// Whether this is an image configuration type (OCI or Docker).
    public var isImageConfiguration: Bool { self == .ociConfig || self == .dockerConfig }

    /// Whether this is one of the known layer types (``layerTypes``).
    public var isLayer: Bool { MediaType.layerTypes.contains(self) }

    /// Whether the layer type is gzip-compressed.
    public var isGzip: Bool { rawValue.hasSuffix("+gzip") || rawValue.hasSuffix(".tar.gzip") }

    /// Whether the layer type is zstd-compressed.
    public var isZstd: Bool { rawValue.hasSuffix("+zstd") || rawValue.hasSuffix(".tar.zstd") }

    /// Whether the text matches the media type grammar of the OCI schemas (`defs-descriptor.json`): a type and a
    /// subtype of 1 to 127 characters each, starting with a letter or digit, from RFC 6838's restricted names.
    public var isWellFormed: Bool {
        let bytes = Array(rawValue.utf8)
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return false }
        return MediaType.isRestrictedName(bytes[..<slash]) && MediaType.isRestrictedName(bytes[(slash + 1)...])
    }

    private static func isRestrictedName(_ part: ArraySlice<UInt8>) -> Bool {
        guard let first = part.first, part.count <= 127, isAlphanumeric(first) else { return false }
        return part.dropFirst().allSatisfy { byte in
            isAlphanumeric(byte) || "!#$&^_.+-".utf8.contains(byte)
        }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}

extension String {
    fileprivate func trimmingSpacesAndTabs() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
