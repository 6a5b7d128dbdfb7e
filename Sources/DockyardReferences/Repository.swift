/// A repository name: an optional registry domain and a path, such as `docker.io` + `library/ubuntu`.
///
/// Create one with ``init(normalizing:)`` to apply Docker Hub's defaults (`ubuntu` becomes
/// `docker.io/library/ubuntu`), or with ``init(parsing:)`` to take a name exactly as written (upstream
/// `WithName`). A repository encodes and decodes as its ``name``.
public struct Repository: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    /// The most characters a full name (domain, `/` and path) may have.
    public static let maximumNameLength = 255

    /// The domain of Docker Hub's registry in normalized names.
    public static let dockerHubDomain = "docker.io"

    /// The legacy Docker Hub domain, accepted as an alias of ``dockerHubDomain`` when normalizing.
    public static let legacyDockerHubDomain = "index.docker.io"

    /// The namespace of Docker Hub's official images (`library/ubuntu` is familiar as `ubuntu`).
    public static let officialNamespace = "library"

    /// The registry domain with optional port, such as `docker.io`, `127.0.0.1:5000` or `[::1]:5000`;
    /// `""` when a name was parsed without normalization and has no domain.
    public let domain: String

    /// The path inside the registry, such as `library/ubuntu`.
    public let path: String

    /// Creates a repository from parts already known to be valid.
    init(uncheckedDomain domain: String, path: String) {
        self.domain = domain
        self.path = path
    }

    /// Creates a repository from a domain and a path, validating both.
    ///
    /// - Parameters:
    ///   - domain: A registry domain with optional port, or `""` for none.
    ///   - path: A repository path such as `team/app`.
    /// - Throws: ``ReferenceError/invalidFormat`` when either part breaks the grammar,
    ///   ``ReferenceError/nameContainsUppercase`` when the path has uppercase letters,
    ///   ``ReferenceError/nameTooLong`` when the full name exceeds ``maximumNameLength``.
    public init(domain: String, path: String) throws(ReferenceError) {
        guard domain.isEmpty || ReferenceGrammar.isDomain(domain) else { throw .invalidFormat }
        guard ReferenceGrammar.isPath(path) else {
            if path.isEmpty { throw .nameEmpty }
            throw Casing.hasUppercase(path) && ReferenceGrammar.isPath(Casing.lowercased(path))
                ? .nameContainsUppercase : .invalidFormat
        }
        let length = domain.isEmpty ? path.utf8.count : domain.utf8.count + 1 + path.utf8.count
        guard length <= Repository.maximumNameLength else { throw .nameTooLong }
        self.domain = domain
        self.path = path
    }

    /// Parses a repository name exactly as written, without Docker Hub normalization (upstream `WithName`).
    ///
    /// The first component is the domain when it reads as one (`example.com/app`, `localhost:5000/app`);
    /// otherwise the whole text is the path and ``domain`` is `""`.
    ///
    /// - Parameter name: A name without tag or digest.
    /// - Throws: ``ReferenceError/nameEmpty`` for an empty string, ``ReferenceError/nameTooLong`` above 255
    ///   characters, ``ReferenceError/nameContainsUppercase`` for an uppercase path, and
    ///   ``ReferenceError/invalidFormat`` otherwise.
    public init(parsing name: String) throws(ReferenceError) {
        guard !name.isEmpty else { throw .nameEmpty }
        guard name.utf8.count <= Repository.maximumNameLength else { throw .nameTooLong }
        guard let (domain, path) = ReferenceGrammar.splitName(name) else {
            let lower = Casing.lowercased(name)
            throw lower != name && ReferenceGrammar.splitName(lower) != nil ? .nameContainsUppercase : .invalidFormat
        }
        self.domain = domain
        self.path = path
    }

    /// Parses a repository name the way `docker` does, filling in Docker Hub defaults.
    ///
    /// `ubuntu` becomes `docker.io/library/ubuntu`, `team/app` becomes `docker.io/team/app`, and
    /// `index.docker.io` is read as `docker.io`. A first component with a `.` or `:`, `localhost`, or one with
    /// uppercase letters is a domain.
    ///
    /// - Parameter name: A name without tag or digest.
    /// - Throws: The errors of ``ImageReference/init(normalizing:)``, and ``ReferenceError/unexpectedTagOrDigest``
    ///   when the text carries a tag or digest.
    public init(normalizing name: String) throws(ReferenceError) {
        let reference = try ImageReference(normalizing: name)
        guard reference.tag == nil, reference.digest == nil else { throw .unexpectedTagOrDigest }
        self = reference.repository
    }

    /// The full name: `domain/path`, or just the path when there is no domain.
    public var name: String { domain.isEmpty ? path : domain + "/" + path }

    /// The short name `docker` shows: Docker Hub's domain and, for official images, `library/` are left out.
    ///
    /// `docker.io/library/ubuntu` → `ubuntu`, `docker.io/team/app` → `team/app`,
    /// `ghcr.io/team/app` → `ghcr.io/team/app`.
    public var familiarName: String {
        guard domain == Repository.dockerHubDomain else { return name }
        let prefix = Repository.officialNamespace + "/"
        if path.hasPrefix(prefix) {
            let remainder = path.dropFirst(prefix.count)
            if !remainder.contains("/") { return String(remainder) }
        }
        return path
    }

    /// Whether the repository is on Docker Hub (its domain is `docker.io`).
    public var isDockerHub: Bool { domain == Repository.dockerHubDomain }

    /// The full name, as ``name``.
    public var description: String { name }

    /// Orders repositories by their full name.
    ///
    /// - Parameters:
    ///   - lhs: A repository.
    ///   - rhs: Another one.
    /// - Returns: Whether `lhs` sorts before `rhs`.
    public static func < (lhs: Repository, rhs: Repository) -> Bool { lhs.name < rhs.name }

    /// Decodes a repository from its name, parsed as written (``init(parsing:)``).
    ///
    /// - Parameter decoder: The decoder to read a single string from.
    /// - Throws: `DecodingError.dataCorrupted` with the ``ReferenceError`` as underlying error.
    public init(from decoder: any Decoder) throws {
        let string = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try Repository(parsing: string)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "invalid repository name: \(error)", underlyingError: error)
            )
        }
    }

    /// Encodes the repository as its ``name``.
    ///
    /// - Parameter encoder: The encoder to write a single string to.
    /// - Throws: `EncodingError`, or whatever else the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
