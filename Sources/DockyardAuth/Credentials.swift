import Foundation

/// The credentials Dockyard can present to a registry or its token service.
///
/// A value prints with its secrets redacted, so it is safe to log:
/// `basic(username: alice, password: <redacted>)`.
public enum Credentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// A username and a password (or a personal access token in place of the password).
    case basic(username: String, password: String)
    /// An identity token: an OAuth2 refresh token that the token service exchanges for access tokens
    /// (`grant_type=refresh_token`). The docker CLI stores it as `identitytoken`.
    case identityToken(String)
    /// A bearer token for the registry itself, sent as is without asking a token service.
    /// The docker CLI stores it as `registrytoken`.
    case registryToken(String)

    /// The username, when the credentials have one.
    public var username: String? {
        if case .basic(let username, _) = self { return username }
        return nil
    }

    /// A description with every secret replaced by `<redacted>`.
    public var description: String {
        switch self {
        case .basic(let username, _): return "basic(username: \(username), password: <redacted>)"
        case .identityToken: return "identityToken(<redacted>)"
        case .registryToken: return "registryToken(<redacted>)"
        }
    }

    /// The same as ``description``: secrets redacted.
    public var debugDescription: String { description }

    /// A mirror that shows no secrets, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }

    /// The value of an HTTP `Authorization` header for Basic authentication (RFC 7617), or `nil` when these
    /// credentials are not a username and password.
    var basicAuthorization: String? {
        guard case .basic(let username, let password) = self else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }
}

/// A source of credentials for registries.
///
/// Dockyard asks its provider each time it needs to authenticate to a registry, so a provider that reads
/// a file (``DockerCredentialStore``) sees changes made by other programs.
public protocol CredentialProvider: Sendable {
    /// Returns the credentials for a registry, or `nil` to access it anonymously.
    ///
    /// - Parameter registry: The registry's name as in an image reference, for example `docker.io`,
    ///   `ghcr.io` or `127.0.0.1:5000`.
    /// - Returns: The credentials, or `nil` when none are known.
    /// - Throws: ``AuthError`` when the credentials exist but cannot be read (for example a failing helper).
    func credentials(forRegistry registry: String) async throws -> Credentials?
}

/// Credentials given by the program, for one or more registries.
///
/// Registry names are compared the way the docker CLI compares them: Docker Hub's aliases
/// (`docker.io`, `index.docker.io`, `registry-1.docker.io`, `https://index.docker.io/v1/`) are one registry,
/// and a scheme or path around a host name is ignored.
public struct StaticCredentials: CredentialProvider {
    private let entries: [String: Credentials]

    /// Creates a provider from credentials keyed by registry name.
    ///
    /// - Parameter credentials: Credentials keyed by registry, for example `["docker.io": .basic(...)]`.
    public init(_ credentials: [String: Credentials]) {
        var entries: [String: Credentials] = [:]
        for (registry, value) in credentials {
            entries[DockerConfig.hostname(ofKey: DockerConfig.key(forRegistry: registry))] = value
        }
        self.entries = entries
    }

    /// Creates a provider with credentials for one registry.
    ///
    /// - Parameters:
    ///   - credentials: The credentials.
    ///   - registry: The registry they belong to.
    public init(_ credentials: Credentials, forRegistry registry: String) {
        self.init([registry: credentials])
    }

    /// Returns the credentials given for the registry, or `nil`.
    ///
    /// - Parameter registry: The registry's name.
    /// - Returns: The credentials, or `nil` when none were given for it.
    /// - Throws: Nothing; the requirement of ``CredentialProvider`` allows other providers to throw.
    public func credentials(forRegistry registry: String) async throws -> Credentials? {
        entries[DockerConfig.hostname(ofKey: DockerConfig.key(forRegistry: registry))]
    }
}

/// A provider that never has credentials: every registry is accessed anonymously.
public struct AnonymousCredentials: CredentialProvider {
    /// Creates the provider.
    public init() {}

    /// Always returns `nil`.
    ///
    /// - Parameter registry: Ignored.
    /// - Returns: `nil`.
    /// - Throws: Nothing; the requirement of ``CredentialProvider`` allows other providers to throw.
    public func credentials(forRegistry registry: String) async throws -> Credentials? { nil }
}
