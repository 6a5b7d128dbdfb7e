import DockyardReferences
import Foundation

/// A manifest, index, configuration or legacy schema 1 manifest together with its exact bytes.
///
/// A registry identifies a manifest by the digest of the bytes it stores, so a fetched manifest must keep those
/// bytes: re-encoding a decoded value can change whitespace or key order and with it the digest. A
/// `ManifestDocument` therefore holds ``bytes`` as received, and ``digest`` is always the sha256 of exactly those
/// bytes, never of a re-encoding. The decoded value is in ``content``.
///
/// To push, build the value and encode it once with ``init(encoding:)-(ImageManifest)``: the bytes are produced
/// a single time, deterministically, validated, and ``digest`` and ``descriptor`` describe exactly them.
///
/// ```swift
/// let fetched = try ManifestDocument(bytes: body, mediaType: MediaType(contentType: contentType))
/// guard fetched.digest == expectedDigest else { … }
/// if case .index(let index) = fetched.content, let entry = index.manifest(for: .current) { … }
///
/// let document = try ManifestDocument(encoding: ImageManifest(config: config, layers: layers))
/// try await upload(document.bytes, contentType: document.mediaType, reference: document.digest)
/// ```
public struct ManifestDocument: Hashable, Sendable {
    /// The largest document accepted: 4 MiB, the size the distribution spec requires registries to accept.
    public static let maximumSize = 4 * 1024 * 1024

    /// The decoded value of a document.
    public enum Content: Hashable, Sendable {
        /// An image manifest (OCI or Docker schema 2), or an artifact manifest.
        case manifest(ImageManifest)
        /// An index (OCI index or Docker manifest list).
        case index(ImageIndex)
        /// An image configuration.
        case config(ImageConfiguration)
        /// A legacy Docker schema 1 manifest.
        case schema1(Schema1Manifest)
    }

    /// The document exactly as received or encoded.
    public let bytes: [UInt8]

    /// The sha256 digest of ``bytes``.
    public let digest: ContentDigest

    /// The document's media type: the one it arrived with when that names a document, else its own `mediaType`
    /// field, else the OCI (or schema 1) type its kind implies.
    public let mediaType: MediaType

    /// The decoded value.
    public let content: Content

    /// What kind of document this is (``DocumentKind/manifest`` for schema 1 too).
    public var kind: DocumentKind {
        switch content {
        case .manifest, .schema1: .manifest
        case .index: .index
        case .config: .config
        }
    }

    /// The manifest, when this is an image manifest.
    public var manifest: ImageManifest? {
        if case .manifest(let manifest) = content { return manifest }
        return nil
    }

    /// The index, when this is an index.
    public var index: ImageIndex? {
        if case .index(let index) = content { return index }
        return nil
    }

    /// A descriptor of this document: its media type, digest and size.
    public var descriptor: Descriptor {
        Descriptor(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Reads a document, keeping its exact bytes.
    ///
    /// The bytes are validated (``ManifestValidator``) before anything is decoded; documents larger than
    /// ``maximumSize`` are refused unread.
    ///
    /// - Parameters:
    ///   - bytes: The document as received.
    ///   - mediaType: The media type it arrived with (a response's `Content-Type`, see
    ///     ``MediaType/init(contentType:)``). When it names a kind of document, the document must be of that kind
    ///     and its own `mediaType` field, if any, must agree; other values (`application/json`,
    ///     `application/octet-stream`) are ignored and the document's own `mediaType` or its shape decides.
    /// - Throws: ``ManifestError`` when the document is too large, is not strict JSON, is invalid for its kind,
    ///   disagrees with `mediaType`, is a descriptor or `oci-layout` file rather than a manifest, index or
    ///   configuration, or uses a digest algorithm other than sha256 or sha512 (`unsupportedDigest`).
    public init(bytes: [UInt8], mediaType: MediaType? = nil) throws(ManifestError) {
        try ManifestValidator.checkSize(bytes.count)
        let root = try JSONParser.parse(bytes)
        let declared = root["mediaType"]?.stringValue.map(MediaType.init(rawValue:))
        let given = mediaType.flatMap { DocumentKind(mediaType: $0) == nil ? nil : $0 }
        let kind: DocumentKind
        if let given, let givenKind = DocumentKind(mediaType: given) {
            kind = givenKind
            if let declared, declared != given, DocumentKind(mediaType: declared) != nil || givenKind != .config {
                throw ManifestError(
                    .mediaTypeMismatch, at: "mediaType",
                    "the document declares \"\(declared)\" but arrived as \"\(given)\"")
            }
        } else {
            kind = try ManifestValidator.resolveKind(of: root, requested: nil)
        }
        guard kind == .manifest || kind == .index || kind == .config else {
            throw ManifestError(
                .unknownDocumentKind, "a \(kind == .layout ? "oci-layout file" : "descriptor") is not a manifest, index or configuration")
        }
        try ManifestValidator.validate(root, as: kind)

        self.bytes = bytes
        self.digest = ContentDigest.sha256(of: bytes)
        let validated = root.serialized()
        let isSchema1 = kind == .manifest && root["schemaVersion"]?.isInteger(1) == true
        switch kind {
        case .index:
            content = .index(try Self.decode(ImageIndex.self, from: validated))
        case .config:
            content = .config(try Self.decode(ImageConfiguration.self, from: validated))
        default:
            if isSchema1 {
                content = .schema1(try Self.decode(Schema1Manifest.self, from: validated))
            } else {
                content = .manifest(try Self.decode(ImageManifest.self, from: validated))
            }
        }
        if let given {
            self.mediaType = given
        } else if let declared {
            self.mediaType = declared
        } else {
            switch content {
            case .manifest: self.mediaType = .ociManifest
            case .index: self.mediaType = .ociIndex
            case .config: self.mediaType = .ociConfig
            case .schema1(let manifest): self.mediaType = manifest.isSigned ? .dockerSchema1Signed : .dockerSchema1
            }
        }
    }

    /// Encodes a manifest for pushing: the bytes are produced once, deterministically (sorted keys, no
    /// insignificant whitespace), validated, and digested.
    ///
    /// - Parameter manifest: The manifest.
    /// - Throws: ``ManifestError`` when the manifest is invalid (for example it has no layers).
    public init(encoding manifest: ImageManifest) throws(ManifestError) {
        try self.init(bytes: Self.encode(manifest), mediaType: manifest.mediaType ?? .ociManifest)
    }

    /// Encodes an index for pushing: the bytes are produced once, deterministically, validated, and digested.
    ///
    /// - Parameter index: The index.
    /// - Throws: ``ManifestError`` when the index is invalid.
    public init(encoding index: ImageIndex) throws(ManifestError) {
        try self.init(bytes: Self.encode(index), mediaType: index.mediaType ?? .ociIndex)
    }

    /// Encodes an image configuration for pushing as a blob: the bytes are produced once, deterministically,
    /// validated, and digested.
    ///
    /// - Parameters:
    ///   - configuration: The configuration.
    ///   - mediaType: ``MediaType/ociConfig`` (the default) or ``MediaType/dockerConfig``.
    /// - Throws: ``ManifestError`` when the configuration is invalid.
    public init(encoding configuration: ImageConfiguration, mediaType: MediaType = .ociConfig) throws(ManifestError) {
        try self.init(bytes: Self.encode(configuration), mediaType: mediaType)
    }

    private static func encode(_ value: some Encodable) throws(ManifestError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ManifestError(.encodingFailed, "could not encode \(type(of: value)): \(error)")
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(ManifestError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw Self.describe(error)
        } catch {
            throw ManifestError(.invalidValue, "could not decode the document: \(error)")
        }
    }

    /// Turns a `DecodingError` into a ``ManifestError`` with a JSON path. After validation the only expected
    /// one is a digest that is well formed but not sha256/sha512.
    private static func describe(_ error: DecodingError) -> ManifestError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.reduce("") { path, key in
                if let index = key.intValue { return JSONPath.element(path, index) }
                return JSONPath.member(path, key.stringValue)
            }
        }
        switch error {
        case .dataCorrupted(let context):
            if let underlying = context.underlyingError as? ReferenceError, underlying == .digestUnsupported {
                return ManifestError(
                    .unsupportedDigest, at: path(context.codingPath),
                    "the digest is valid but uses an algorithm Dockyard cannot verify; only sha256 and sha512 are supported")
            }
            return ManifestError(.invalidValue, at: path(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            return ManifestError(.missingField, at: path(context.codingPath + [key]), "required field \"\(key.stringValue)\" is missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return ManifestError(.wrongType, at: path(context.codingPath), context.debugDescription)
        @unknown default:
            return ManifestError(.invalidValue, "could not decode the document: \(error)")
        }
    }
}
