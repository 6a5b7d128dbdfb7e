/// Either an image reference or a bare digest: what `docker` accepts where an image or an image ID may appear
/// (upstream `ParseAnyReference`).
///
/// `redis:7` reads as ``image(_:)`` (normalized), `sha256:…` and a bare 64-hex ID as ``digest(_:)``.
/// It encodes and decodes as its string form.
public enum AnyReference: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A named reference.
    case image(ImageReference)
    /// A digest with no name (an image ID).
    case digest(ContentDigest)

    /// Parses an image reference, a digest, or a 64-hex image ID (upstream `ParseAnyReference`).
    ///
    /// A bare 64-character lowercase hex string is the sha256 digest it spells; a valid digest string is a digest;
    /// anything else is read with ``ImageReference/init(normalizing:)``.
    ///
    /// - Parameter string: The text to parse.
    /// - Throws: ``ReferenceError``, as ``ImageReference/init(normalizing:)`` throws it.
    public init(parsing string: String) throws(ReferenceError) {
        if ReferenceGrammar.isIdentifier(string) {
            self = .digest(ContentDigest(uncheckedAlgorithm: .sha256, encoded: string))
        } else if let digest = try? ContentDigest(parsing: string) {
            self = .digest(digest)
        } else {
            self = .image(try ImageReference(normalizing: string))
        }
    }

    /// Parses text with one of upstream's parsers.
    ///
    /// - Parameters:
    ///   - string: The text to parse.
    ///   - mode: Which parser to use.
    /// - Throws: ``ReferenceError`` from the chosen parser.
    public init(parsing string: String, mode: ReferenceParseMode) throws(ReferenceError) {
        switch mode {
        case .normalized: self = .image(try ImageReference(normalizing: string))
        case .strict: self = .image(try ImageReference(parsing: string))
        case .docker: self = .image(try ImageReference(dockerNormalizing: string))
        case .any: self = try AnyReference(parsing: string)
        case .canonical: self = .image(try ImageReference(canonical: string))
        }
    }

    /// The image reference, or `nil` for a bare digest.
    public var imageReference: ImageReference? {
        if case .image(let reference) = self { return reference }
        return nil
    }

    /// The digest: the reference's digest, or the bare digest.
    public var digest: ContentDigest? {
        switch self {
        case .image(let reference): reference.digest
        case .digest(let digest): digest
        }
    }

    /// The string form.
    public var description: String {
        switch self {
        case .image(let reference): reference.description
        case .digest(let digest): digest.description
        }
    }

    /// The normalized form: an image's fully qualified reference (`docker.io/library/…`), or `nil` when it cannot
    /// be normalized; a bare digest is its own normalized form, as with distribution/reference's
    /// `ParseAnyReference`.
    public var normalized: String? {
        switch self {
        case .image(let reference): (try? reference.normalized())?.description
        case .digest(let digest): digest.description
        }
    }

    /// The familiar form: for an image, its ``ImageReference/familiar`` form; for a bare digest, the digest, as
    /// distribution/reference's `FamiliarString` of a `ParseAnyReference` result.
    public var familiar: String {
        switch self {
        case .image(let reference): reference.familiar
        case .digest(let digest): digest.description
        }
    }

    /// Decodes from the string form: a digest string is a digest, anything else an image reference parsed as
    /// written (``ImageReference/init(parsing:)``).
    ///
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` with the ``ReferenceError`` as underlying error.
    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        if let digest = try? ContentDigest(parsing: string) {
            self = .digest(digest)
            return
        }
        do {
            self = .image(try ImageReference(parsing: string))
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid reference: \(error)", underlyingError: error)
            )
        }
    }

    /// Encodes the string form.
    ///
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: `EncodingError`, or whatever else the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The reference parsers of `distribution/reference`, by name.
public enum ReferenceParseMode: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// `ParseNormalizedNamed`: Docker Hub defaults applied (``ImageReference/init(normalizing:)``).
    case normalized
    /// `Parse`: the grammar only (``ImageReference/init(parsing:)``).
    case strict
    /// `ParseDockerRef`: normalized, `latest` added, tag dropped beside a digest (``ImageReference/init(dockerNormalizing:)``).
    case docker
    /// `ParseAnyReference`: also bare digests and image IDs (``AnyReference/init(parsing:)``).
    case any
    /// `ParseNamed`: canonical form only (``ImageReference/init(canonical:)``).
    case canonical

    /// The mode's name, as `rawValue`.
    public var description: String { rawValue }
}
