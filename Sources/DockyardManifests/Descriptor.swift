import DockyardReferences
import Foundation

/// A content descriptor: what a piece of content is (``mediaType``), its ``digest`` and ``size``, and optionally
/// where else it can be fetched, what platform it is for, and the content itself (``data``).
///
/// Descriptors are how manifests point at configurations and layers, how indexes point at manifests, and how
/// `subject` points at the manifest an artifact refers to (image-spec `descriptor.md`).
///
/// - Important: A descriptor decoded by ``ManifestDocument`` has been validated: its digest is well formed and
///   uses sha256 or sha512, its size is from 0 to 2^63-1, and when `data` is present it has exactly that size
///   and digest.
public struct Descriptor: Hashable, Sendable, Codable {
    /// The media type of the referenced content.
    public var mediaType: MediaType
    /// The digest of the referenced content.
    public var digest: ContentDigest
    /// The size of the referenced content, in bytes.
    public var size: Int64
    /// Other places the content may be downloaded from (used by foreign / non-distributable layers).
    public var urls: [String]?
    /// Arbitrary metadata, with keys in reverse-domain notation (image-spec `annotations.md`).
    public var annotations: [String: String]?
    /// The content itself, embedded (encoded as base64 on the wire).
    public var data: [UInt8]?
    /// The platform the referenced manifest is for; present on the entries of an index.
    public var platform: Platform?
    /// The type of artifact the referenced manifest describes, when it is an artifact (image-spec 1.1).
    public var artifactType: MediaType?

    /// Creates a descriptor.
    ///
    /// - Parameters:
    ///   - mediaType: The media type of the content.
    ///   - digest: The digest of the content.
    ///   - size: The size of the content in bytes.
    ///   - urls: Other download locations.
    ///   - annotations: Metadata.
    ///   - data: The content, embedded.
    ///   - platform: The platform of the referenced manifest.
    ///   - artifactType: The artifact type of the referenced manifest.
    public init(
        mediaType: MediaType,
        digest: ContentDigest,
        size: Int64,
        urls: [String]? = nil,
        annotations: [String: String]? = nil,
        data: [UInt8]? = nil,
        platform: Platform? = nil,
        artifactType: MediaType? = nil
    ) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.urls = urls
        self.annotations = annotations
        self.data = data
        self.platform = platform
        self.artifactType = artifactType
    }

    /// Creates a descriptor of some bytes: their sha256 digest and their count.
    ///
    /// - Parameters:
    ///   - mediaType: The media type of the bytes.
    ///   - bytes: The content.
    ///   - embedding: Whether to embed the bytes in ``data`` as well.
    public init(mediaType: MediaType, describing bytes: [UInt8], embedding: Bool = false) {
        self.init(
            mediaType: mediaType,
            digest: ContentDigest.sha256(of: bytes),
            size: Int64(bytes.count),
            data: embedding ? bytes : nil
        )
    }

    /// The descriptor of the empty JSON object `{}` (image-spec 1.1 `application/vnd.oci.empty.v1+json`), the
    /// config of artifacts that have none. Its two bytes are embedded in ``data``.
    public static let empty = Descriptor(mediaType: .ociEmpty, describing: Array("{}".utf8), embedding: true)

    private enum CodingKeys: String, CodingKey {
        case mediaType, digest, size, urls, annotations, data, platform, artifactType
    }

    /// Decodes a descriptor from its JSON form.
    ///
    /// - Parameter decoder: The decoder.
    /// - Throws: `DecodingError` when a field is missing or has the wrong type, or `data` is not base64.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try container.decode(MediaType.self, forKey: .mediaType)
        digest = try container.decode(ContentDigest.self, forKey: .digest)
        size = try container.decode(Int64.self, forKey: .size)
        urls = try container.decodeIfPresent([String].self, forKey: .urls)
        annotations = try container.decodeIfPresent([String: String].self, forKey: .annotations)
        if let text = try container.decodeIfPresent(String.self, forKey: .data) {
            guard let bytes = Base64.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: .data, in: container, debugDescription: "data is not base64")
            }
            data = bytes
        } else {
            data = nil
        }
        platform = try container.decodeIfPresent(Platform.self, forKey: .platform)
        artifactType = try container.decodeIfPresent(MediaType.self, forKey: .artifactType)
    }

    /// Encodes the descriptor in its JSON form, omitting absent fields and writing `data` as base64.
    ///
    /// - Parameter encoder: The encoder.
    /// - Throws: `EncodingError`, or another error of the encoder.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mediaType, forKey: .mediaType)
        try container.encode(digest, forKey: .digest)
        try container.encode(size, forKey: .size)
        try container.encodeIfPresent(urls, forKey: .urls)
        try container.encodeIfPresent(annotations, forKey: .annotations)
        try container.encodeIfPresent(data.map(Base64.encode), forKey: .data)
        try container.encodeIfPresent(platform, forKey: .platform)
        try container.encodeIfPresent(artifactType, forKey: .artifactType)
    }
}

/// Standard base64 (RFC 4648 §4) with padding, as Go's `encoding/json` writes `[]byte`.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    /// Decodes padded standard base64; `nil` when the text is not exactly that.
    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            let quad = input[index..<(index + 4)]
            var padding = 0
            if isLast {
                if quad[index + 3] == UInt8(ascii: "=") { padding += 1 }
                if quad[index + 2] == UInt8(ascii: "=") {
                    guard padding == 1 else { return nil }
                    padding += 1
                }
            }
            var values: [UInt8] = []
            for byte in quad.prefix(4 - padding) {
                guard let value = value(of: byte) else { return nil }
                values.append(value)
            }
            let b0 = values[0] << 2 | values[1] >> 4
            output.append(b0)
            if values.count > 2 { output.append(values[1] << 4 | values[2] >> 2) }
            if values.count > 3 { output.append(values[2] << 6 | values[3]) }
            index += 4
        }
        return output
    }

    /// Encodes bytes as padded standard base64.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = bytes[index]
            let b1 = remaining > 1 ? bytes[index + 1] : 0
            let b2 = remaining > 2 ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(remaining > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
