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

    /// Parses `NAMESPACE/NAME`; a bare `NAME` is an official image in `library`.
    ///
    /// A `docker.io/` or `index.docker.io/` prefix is dropped; a tag or digest is not accepted.
    ///
    /// - Parameter text: The path.
    /// - Throws: ``HubAPIError`` with code ``HubAPIError/Code/invalidArgument`` when it is not `NS/NAME`.
    public init(parsing text: String) throws(HubAPIError) {
        var rest = Substring(text)
        for prefix in ["docker.io/", "index.docker.io/", "registry-1.docker.io/"] where rest.hasPrefix(prefix) {
            rest = rest.dropFirst(prefix.count)
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
        let valid: (Substring) -> Bool = { part in
            // A part of dots alone ("." or "..") would walk the API path: refused.
            part.contains { $0.isLetter || $0.isNumber } && part.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) }
        }
        switch parts.count {
        case 1 where valid(parts[0]):
            self.init(namespace: "library", name: String(parts[0]))
        case 2 where valid(parts[0]) && valid(parts[1]):
            self.init(namespace: String(parts[0]), name: String(parts[1]))
        default:
            throw HubAPIError(.invalidArgument, message: "'\(text)' is not a Docker Hub repository; expected NAMESPACE/NAME")
        }
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
