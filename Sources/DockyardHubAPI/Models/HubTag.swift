import Foundation

/// A tag of a Docker Hub repository, with its per-platform images.
public struct HubTag: Sendable, Hashable, Codable {
    /// The tag's id.
    public var id: Int?
    /// The tag name, e.g. `latest`.
    public var name: String
    /// One entry per platform image (a single-platform tag has one).
    public var images: [HubTagImage]
    /// The sum of the images' sizes.
    public var fullSize: Int64?
    /// When the tag last changed.
    public var lastUpdated: Date?
    /// Who last pushed it.
    public var lastUpdaterUsername: String?
    /// `active` or `inactive` (read from `tag_status`, or `status` as the spec names it).
    public var tagStatus: String?
    /// When the tag was last pulled.
    public var tagLastPulled: Date?
    /// When the tag was last pushed.
    public var tagLastPushed: Date?
    /// The manifest's media type.
    public var mediaType: String?
    /// `image`, or another content type.
    public var contentType: String?
    /// The manifest (or index) digest.
    public var digest: String?
    /// Whether the tag is a v2 manifest (the spec types it as a string; both are accepted).
    public var v2: Bool?

    enum CodingKeys: String, CodingKey {
        case id, name, images, digest, v2, status
        case fullSize = "full_size", lastUpdated = "last_updated", lastUpdaterUsername = "last_updater_username"
        case tagStatus = "tag_status", tagLastPulled = "tag_last_pulled", tagLastPushed = "tag_last_pushed"
        case mediaType = "media_type", contentType = "content_type"
    }

    /// Decodes leniently: `images` may be one object, `v2` a string, `tag_status` named `status`.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = c.lenientInt(.id)
        name = try c.decode(String.self, forKey: .name)
        images = c.lenientArray(HubTagImage.self, .images)
        fullSize = c.lenientInt64(.fullSize)
        lastUpdated = c.lenientDate(.lastUpdated)
        lastUpdaterUsername = c.lenientString(.lastUpdaterUsername)
        tagStatus = c.lenientString(.tagStatus) ?? c.lenientString(.status)
        tagLastPulled = c.lenientDate(.tagLastPulled)
        tagLastPushed = c.lenientDate(.tagLastPushed)
        mediaType = c.lenientString(.mediaType)
        contentType = c.lenientString(.contentType)
        digest = c.lenientString(.digest)
        v2 = c.lenientBool(.v2)
    }

    /// Encodes with the Hub's field names.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(images, forKey: .images)
        try c.encodeIfPresent(fullSize, forKey: .fullSize)
        try c.encodeIfPresent(lastUpdated, forKey: .lastUpdated)
        try c.encodeIfPresent(lastUpdaterUsername, forKey: .lastUpdaterUsername)
        try c.encodeIfPresent(tagStatus, forKey: .tagStatus)
        try c.encodeIfPresent(tagLastPulled, forKey: .tagLastPulled)
        try c.encodeIfPresent(tagLastPushed, forKey: .tagLastPushed)
        try c.encodeIfPresent(mediaType, forKey: .mediaType)
        try c.encodeIfPresent(contentType, forKey: .contentType)
        try c.encodeIfPresent(digest, forKey: .digest)
        try c.encodeIfPresent(v2, forKey: .v2)
    }
}

/// One platform image of a tag.
public struct HubTagImage: Sendable, Hashable, Codable {
    /// CPU architecture, e.g. `amd64`.
    public var architecture: String?
    /// Architecture variant, e.g. `v8`.
    public var variant: String?
    /// Operating system, e.g. `linux`.
    public var os: String?
    /// OS version (Windows).
    public var osVersion: String?
    /// OS features.
    public var osFeatures: String?
    /// CPU features.
    public var features: String?
    /// The platform manifest's digest.
    public var digest: String?
    /// Compressed size in bytes.
    public var size: Int64?
    /// `active` or `inactive`.
    public var status: String?
    /// When it was last pulled.
    public var lastPulled: Date?
    /// When it was last pushed.
    public var lastPushed: Date?

    /// `os/architecture[/variant]`.
    public var platform: String {
        [os ?? "unknown", architecture ?? "unknown", variant].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "/")
    }

    enum CodingKeys: String, CodingKey {
        case architecture, variant, os, features, digest, size, status
        case osVersion = "os_version", osFeatures = "os_features", lastPulled = "last_pulled", lastPushed = "last_pushed"
    }

    /// Decodes leniently (every field may be `null`).
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = c.lenientString(.architecture)
        variant = c.lenientString(.variant)
        os = c.lenientString(.os)
        osVersion = c.lenientString(.osVersion)
        osFeatures = c.lenientString(.osFeatures)
        features = c.lenientString(.features)
        digest = c.lenientString(.digest)
        size = c.lenientInt64(.size)
        status = c.lenientString(.status)
        lastPulled = c.lenientDate(.lastPulled)
        lastPushed = c.lenientDate(.lastPushed)
    }
}
