/// A reference to an image: a repository with an optional tag and an optional digest,
/// such as `docker.io/library/ubuntu:24.04` or `ghcr.io/team/app@sha256:…`.
///
/// This is Docker's `distribution/reference` in Swift. Choose the parser that matches your input:
///
/// | Initializer | Upstream | What it does |
/// |---|---|---|
/// | ``init(normalizing:)`` | `ParseNormalizedNamed` | Applies Docker Hub defaults: `ubuntu` → `docker.io/library/ubuntu` |
/// | ``init(parsing:)`` | `Parse` | Grammar only, no defaults: `ubuntu` has no domain |
/// | ``init(dockerNormalizing:)`` | `ParseDockerRef` | Normalizes, adds `latest` to a bare name, drops the tag when a digest is present |
/// | ``init(canonical:)`` | `ParseNamed` | Accepts only the fully qualified form |
/// | ``AnyReference/init(parsing:)`` | `ParseAnyReference` | Also accepts a bare digest or 64-hex image ID |
///
/// Build references with ``init(repository:tag:digest:)``, ``withTag(_:)`` and ``withDigest(_:)``.
/// A reference encodes and decodes as its string form (``description``), parsed as written.
public struct ImageReference: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The tag Docker assumes when a reference has neither tag nor digest.
    public static let defaultTag = "latest"

    /// The most characters a tag may have.
    public static let maximumTagLength = 128

    /// The repository: domain and path.
    public let repository: Repository

    /// The tag, such as `24.04`, or `nil`.
    public let tag: String?

    /// The digest that pins the content, or `nil`.
    public let digest: ContentDigest?

    /// Creates a reference from parts already known to be valid.
    init(unchecked repository: Repository, tag: String?, digest: ContentDigest?) {
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Builds a reference from a repository, a tag and a digest (upstream `WithTag` / `WithDigest`).
    ///
    /// - Parameters:
    ///   - repository: The repository.
    ///   - tag: An optional tag, checked against the tag grammar.
    ///   - digest: An optional digest.
    /// - Throws: ``ReferenceError/tagInvalidFormat`` when `tag` is not a valid tag.
    public init(repository: Repository, tag: String? = nil, digest: ContentDigest? = nil) throws(ReferenceError) {
        if let tag, !ReferenceGrammar.isTag(tag) { throw .tagInvalidFormat }
        self.init(unchecked: repository, tag: tag, digest: digest)
    }

    /// Parses a reference by the grammar alone, without Docker Hub normalization (upstream `Parse`).
    ///
    /// `ubuntu:24.04` has path `ubuntu`, no domain and tag `24.04`; `example.com/app` has domain `example.com`.
    ///
    /// - Parameter string: The reference text.
    /// - Throws: ``ReferenceError/nameEmpty`` for an empty string; ``ReferenceError/nameContainsUppercase`` when
    ///   the text would be valid in lowercase; ``ReferenceError/invalidFormat`` for other grammar errors;
    ///   ``ReferenceError/nameTooLong`` when the name exceeds 255 characters; a digest error
    ///   (``ReferenceError/digestInvalidLength``, ``ReferenceError/digestInvalidFormat``,
    ///   ``ReferenceError/digestUnsupported``) when the digest is not valid.
    public init(parsing string: String) throws(ReferenceError) {
        var text = string
        let result = text.withUTF8 { ImageReference.parseStrictReportingCase($0) }
        switch result {
        case .success(let reference): self = reference
        case .failure(let error): throw error
        }
    }

    /// Parses a reference the way `docker` does, filling in Docker Hub defaults (upstream `ParseNormalizedNamed`).
    ///
    /// `ubuntu` → `docker.io/library/ubuntu`, `team/app:1` → `docker.io/team/app:1`,
    /// `index.docker.io/team/app` → `docker.io/team/app`. The first component is a domain when it contains `.` or
    /// `:` (`example.com`, `registry:5000`, `[::1]:5000`), is `localhost`, or contains uppercase letters.
    /// No default tag is added; see ``init(dockerNormalizing:)`` and ``withDefaultTag()``.
    ///
    /// - Parameter string: The reference text.
    /// - Throws: ``ReferenceError/nameIsIdentifier`` for a bare 64-hex image ID,
    ///   ``ReferenceError/nameContainsUppercase`` for an uppercase path, or any error of ``init(parsing:)``.
    public init(normalizing string: String) throws(ReferenceError) {
        var text = string
        let result = text.withUTF8 { b -> Result<ImageReference, ReferenceError> in
            if Scanner.isIdentifier(b, 0, b.count) { return .failure(.nameIsIdentifier) }
            let rewrite = Normalization.rewrite(b)
            if case .keep = rewrite {
                return ImageReference.parseNormalized(b, remainderStart: Normalization.remainderStart(b, rewrite))
            }
            var qualified = Normalization.qualified(b, rewrite)
            return qualified.withUTF8 { ImageReference.parseNormalized($0, remainderStart: Normalization.remainderStart(b, rewrite)) }
        }
        switch result {
        case .success(let reference): self = reference
        case .failure(let error): throw error
        }
    }

    /// Parses a reference like ``init(normalizing:)`` and then applies Docker's convention (upstream
    /// `ParseDockerRef`): a bare name gets the tag `latest`; a reference with both a tag and a digest keeps only
    /// the digest.
    ///
    /// - Parameter string: The reference text.
    /// - Throws: ``ReferenceError``, as ``init(normalizing:)`` throws it.
    public init(dockerNormalizing string: String) throws(ReferenceError) {
        let reference = try ImageReference(normalizing: string)
        if reference.digest != nil, reference.tag != nil {
            self.init(unchecked: reference.repository, tag: nil, digest: reference.digest)
        } else {
            self = reference.withDefaultTag()
        }
    }

    /// Parses a reference that must already be in canonical form (upstream `ParseNamed`), such as
    /// `docker.io/library/ubuntu:24.04`.
    ///
    /// - Parameter string: The reference text.
    /// - Throws: ``ReferenceError/nameNotCanonical`` when normalizing would change the text (`ubuntu`,
    ///   `docker.io/ubuntu`), or any error of ``init(normalizing:)``.
    public init(canonical string: String) throws(ReferenceError) {
        let reference = try ImageReference(normalizing: string)
        guard reference.description == string else { throw .nameNotCanonical }
        self = reference
    }

    /// The registry domain, as ``Repository/domain``.
    public var domain: String { repository.domain }

    /// The path in the registry, as ``Repository/path``.
    public var path: String { repository.path }

    /// The full name without tag or digest, as ``Repository/name``.
    public var name: String { repository.name }

    /// Whether the reference has neither a tag nor a digest.
    public var isNameOnly: Bool { tag == nil && digest == nil }

    /// The string form: `name[:tag][@digest]`.
    public var description: String {
        var text = repository.name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The short form `docker` shows (upstream `FamiliarString`): `docker.io/library/ubuntu:24.04` → `ubuntu:24.04`.
    public var familiar: String {
        var text = repository.familiarName
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// The short name without tag or digest (upstream `FamiliarName`): `docker.io/team/app:1` → `team/app`.
    public var familiarName: String { repository.familiarName }

    /// The same reference with `tag` set, keeping any digest (upstream `WithTag`).
    ///
    /// - Parameter tag: The new tag.
    /// - Returns: A reference with the same repository and digest and the given tag.
    /// - Throws: ``ReferenceError/tagInvalidFormat`` when `tag` is not a valid tag.
    public func withTag(_ tag: String) throws(ReferenceError) -> ImageReference {
        try ImageReference(repository: repository, tag: tag, digest: digest)
    }

    /// The same reference with `digest` set, keeping any tag (upstream `WithDigest`).
    ///
    /// - Parameter digest: The new digest.
    /// - Returns: A reference with the same repository and tag and the given digest.
    public func withDigest(_ digest: ContentDigest) -> ImageReference {
        ImageReference(unchecked: repository, tag: tag, digest: digest)
    }

    /// The same reference without a tag.
    ///
    /// - Returns: A reference with the same repository and digest and no tag.
    public func withoutTag() -> ImageReference {
        ImageReference(unchecked: repository, tag: nil, digest: digest)
    }

    /// The same reference without a digest.
    ///
    /// - Returns: A reference with the same repository and tag and no digest.
    public func withoutDigest() -> ImageReference {
        ImageReference(unchecked: repository, tag: tag, digest: nil)
    }

    /// The reference with the tag `latest` when it has neither tag nor digest (upstream `TagNameOnly`);
    /// otherwise the reference unchanged.
    ///
    /// - Returns: A reference that has a tag or a digest.
    public func withDefaultTag() -> ImageReference {
        isNameOnly ? ImageReference(unchecked: repository, tag: ImageReference.defaultTag, digest: nil) : self
    }

    /// The fully qualified form of this reference, as ``init(normalizing:)`` reads its string form.
    ///
    /// A reference parsed with ``init(parsing:)`` as `ubuntu` normalizes to `docker.io/library/ubuntu`.
    ///
    /// - Returns: The normalized reference.
    /// - Throws: The errors of ``init(normalizing:)``, for example ``ReferenceError/nameTooLong`` when the
    ///   added `docker.io/library/` pushes the name over the limit.
    public func normalized() throws(ReferenceError) -> ImageReference {
        try ImageReference(normalizing: description)
    }

    /// Orders references by their string form.
    ///
    /// - Parameters:
    ///   - lhs: A reference.
    ///   - rhs: Another one.
    /// - Returns: Whether `lhs` sorts before `rhs`.
    public static func < (lhs: ImageReference, rhs: ImageReference) -> Bool { lhs.description < rhs.description }

    /// Decodes a reference from its string form, parsed as written (``init(parsing:)``).
    ///
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` with the ``ReferenceError`` as underlying error.
    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try ImageReference(parsing: string)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid image reference: \(error)", underlyingError: error)
            )
        }
    }

    /// Encodes the reference as its string form.
    ///
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: `EncodingError`, or whatever else the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    // MARK: - Parsing

    /// Upstream `Parse`: the empty check, then the grammar (reporting uppercase when the lowercased text would
    /// match), then name length and digest.
    static func parseStrictReportingCase(_ b: Scanner.Bytes) -> Result<ImageReference, ReferenceError> {
        guard b.count > 0 else { return .failure(.nameEmpty) }
        let result = parseStrict(b)
        guard case .failure(.invalidFormat) = result else { return result }
        let original = Scanner.string(b, 0, b.count)
        var lower = Casing.lowercased(original)
        if lower != original, lower.withUTF8({ Scanner.scanReference($0) != nil }) { return .failure(.nameContainsUppercase) }
        return result
    }

    /// Upstream `ParseNormalizedNamed` after the domain split: a path in uppercase is refused before parsing.
    static func parseNormalized(_ b: Scanner.Bytes, remainderStart: Int) -> Result<ImageReference, ReferenceError> {
        var remoteEnd = b.count
        for i in remainderStart..<b.count where b[i] == UInt8(ascii: ":") {
            remoteEnd = i
            break
        }
        if Normalization.hasUppercase(b, remainderStart, remoteEnd) { return .failure(.nameContainsUppercase) }
        return parseStrictReportingCase(b)
    }

    /// Grammar, then name length, then digest validation, in upstream's order.
    static func parseStrict(_ b: Scanner.Bytes) -> Result<ImageReference, ReferenceError> {
        guard let parts = Scanner.scanReference(b) else { return .failure(.invalidFormat) }
        guard parts.nameEnd <= Repository.maximumNameLength else { return .failure(.nameTooLong) }
        var digest: ContentDigest?
        if let range = parts.digest {
            switch ContentDigest.parse(b, range.lowerBound, range.upperBound) {
            case .success(let (algorithm, encoded)):
                digest = ContentDigest(uncheckedAlgorithm: algorithm, encoded: encoded)
            case .failure(let error):
                return .failure(error)
            }
        }
        let repository: Repository
        if let slash = parts.domainSlash {
            repository = Repository(
                uncheckedDomain: Scanner.string(b, 0, slash),
                path: Scanner.string(b, slash + 1, parts.nameEnd)
            )
        } else {
            repository = Repository(uncheckedDomain: "", path: Scanner.string(b, 0, parts.nameEnd))
        }
        let tag = parts.tag.map { Scanner.string(b, $0.lowerBound, $0.upperBound) }
        return .success(ImageReference(unchecked: repository, tag: tag, digest: digest))
    }
}
