import DockyardReferences

/// A repository on Docker Hub named by namespace and name, e.g. `acme/api` or `library/nginx`.
public struct HubRepositoryPath: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The namespace: a user or an organization (`library` for official images).
    public let namespace: String
    /// The repository's name within the namespace.
    public let name: String

    /// Creates a path from its parts.
    ///
    /// - Parameters:
    ///   - namespace: The user or organization.
    ///   - name: The repository's name.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// The path of a Docker Hub repository named by the References module's `Repository`.
    ///
    /// - Parameter repository: A repository on Docker Hub (`docker.io`), with a namespace and a name.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` for a repository of another
    ///   registry, or one whose path is not `NAMESPACE/NAME`.
    public init(_ repository: Repository) throws(HubAPIError) {
        let parts = repository.path.split(separator: "/", omittingEmptySubsequences: false)
        guard repository.isDockerHub, parts.count == 2 else {
            throw HubAPIError(.invalidArgument, message: "'\(repository.name)' is not a Docker Hub repository; expected NAMESPACE/NAME on docker.io")
        }
        self.init(namespace: String(parts[0]), name: String(parts[1]))
    }

    /// Parses `NAMESPACE/NAME` with the References module's grammar and Docker Hub normalization: a bare `NAME` is
    /// an official image in `library`, and a `docker.io/` or `index.docker.io/` prefix is dropped. A tag, a digest
    /// or another registry is not accepted.
    ///
    /// - Parameter text: The path.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` when it is not `NS/NAME`.
    public init(parsing text: String) throws(HubAPIError) {
        var rest = Substring(text)
        for prefix in ["registry-1.docker.io/"] where rest.hasPrefix(prefix) {
            rest = "docker.io/" + rest.dropFirst(prefix.count)
        }
        let repository: Repository
        do {
            repository = try Repository(normalizing: String(rest))
        } catch {
            throw HubAPIError(.invalidArgument, message: "'\(text)' is not a Docker Hub repository; expected NAMESPACE/NAME (\(error))")
        }
        do {
            try self.init(repository)
        } catch {
            throw HubAPIError(.invalidArgument, message: "'\(text)' is not a Docker Hub repository; expected NAMESPACE/NAME")
        }
    }

    /// The repository as the References module names it, `docker.io/NAMESPACE/NAME`, for registry calls (pull,
    /// push, tags) on the same repository.
    ///
    /// - Returns: The repository.
    /// - Throws: `ReferenceError` when a part made with ``init(namespace:name:)`` breaks the reference grammar.
    public func registryRepository() throws(ReferenceError) -> Repository {
        try Repository(domain: Repository.dockerHubDomain, path: "\(namespace)/\(name)")
    }

    /// `namespace/name`.
    public var description: String { "\(namespace)/\(name)" }

    /// Decodes `namespace/name`.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a required field is missing or has the wrong type.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(parsing: text)
    }

    /// Encodes `namespace/name`.
    ///
    /// - Parameter encoder: The encoder to write to.
    /// - Throws: `EncodingError` when a value cannot be encoded.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    var ns: String { HubClient.segment(namespace) }
    var repo: String { HubClient.segment(name) }
}
