import DockyardManifests
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The docker CLI's `config.json`: stored logins (`auths`), the default credential store (`credsStore`) and
/// per-registry credential helpers (`credHelpers`).
///
/// Dockyard reads and writes the file the way the docker CLI and skopeo do, so that each uses what the others
/// stored. Keys it does not know are kept when the file is saved, and the file is written atomically with mode
/// `0600`.
///
/// Registries are keyed as docker keys them: Docker Hub as `https://index.docker.io/v1/` (whichever of its
/// aliases is used), every other registry by its host name and port, for example `ghcr.io` or `127.0.0.1:5000`.
/// When looking up a registry, a key with a scheme or a path (`https://ghcr.io/v1/`) matches its host.
public struct DockerConfig: Sendable, Equatable {
    /// The key docker uses for Docker Hub in `auths` and with credential helpers.
    public static let dockerHubKey = "https://index.docker.io/v1/"

    /// Host names that all mean Docker Hub.
    public static let dockerHubAliases: Set<String> = [
        "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com",
    ]

    /// The name of the file in a docker configuration directory.
    public static let fileName = "config.json"

    /// The docker configuration directory: `$DOCKER_CONFIG` when set, otherwise `~/.docker`.
    public static var defaultDirectory: URL {
        defaultDirectory(environment: ProcessInfo.processInfo.environment)
    }

    /// The docker configuration directory for an environment: its `DOCKER_CONFIG` when set, otherwise
    /// `.docker` in its `HOME` (or the user's home directory).
    ///
    /// - Parameter environment: The environment variables to consult.
    /// - Returns: The directory's URL.
    public static func defaultDirectory(environment: [String: String]) -> URL {
        if let directory = environment["DOCKER_CONFIG"], !directory.isEmpty {
            return URL(fileURLWithPath: directory, isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".docker", isDirectory: true)
    }

    /// Stored logins keyed as docker keys them.
    public var auths: [String: AuthEntry]
    /// The credential store every registry uses unless ``credentialHelpers`` names another: the `<name>` of a
    /// `docker-credential-<name>` executable (`credsStore`).
    public var credentialsStore: String?
    /// Credential helpers per registry host (`credHelpers`), for example `["gcr.io": "gcloud"]`.
    public var credentialHelpers: [String: String]
    private var otherKeys: [String: JSONValue]

    /// Creates an empty configuration.
    public init() {
        auths = [:]
        credentialsStore = nil
        credentialHelpers = [:]
        otherKeys = [:]
    }

    /// Decodes a configuration from the bytes of a `config.json`.
    ///
    /// - Parameter data: The file's contents.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig`` when the bytes are not a JSON object
    ///   or a known key has the wrong type.
    public init(data: Data) throws(AuthError) {
        let document: [String: JSONValue]
        do {
            document = try JSONDecoder().decode([String: JSONValue].self, from: data)
        } catch {
            throw AuthError(
                .malformedConfig,
                message: "the docker config.json is not a valid JSON object; fix or remove the file")
        }
        self.init()
        for (key, value) in document {
            switch key {
            case "auths":
                guard case .object(let entries) = value else { throw Self.wrongType("auths", "an object") }
                for (registry, entry) in entries {
                    guard case .object(let fields) = entry else {
                        throw Self.wrongType("auths[\"\(registry)\"]", "an object")
                    }
                    auths[registry] = try AuthEntry(fields: fields, key: registry)
                }
            case "credsStore":
                if case .null = value { continue }
                guard case .string(let name) = value else { throw Self.wrongType("credsStore", "a string") }
                credentialsStore = name.isEmpty ? nil : name
            case "credHelpers":
                if case .null = value { continue }
                guard case .object(let helpers) = value else { throw Self.wrongType("credHelpers", "an object") }
                for (registry, helper) in helpers {
                    guard case .string(let name) = helper else {
                        throw Self.wrongType("credHelpers[\"\(registry)\"]", "a string")
                    }
                    credentialHelpers[registry] = name
                }
            default:
                otherKeys[key] = value
            }
        }
    }

    private static func wrongType(_ key: String, _ expected: String) -> AuthError {
        AuthError(.malformedConfig, message: "in the docker config.json, \(key) must be \(expected)")
    }

    /// Encodes the configuration as `config.json` bytes, keeping keys Dockyard does not know.
    ///
    /// - Returns: Pretty-printed JSON with sorted keys.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig`` if encoding fails.
    public func encoded() throws(AuthError) -> Data {
        var document = otherKeys
        document["auths"] = .object(auths.mapValues { .object($0.fields) })
        if let credentialsStore { document["credsStore"] = .string(credentialsStore) }
        if !credentialHelpers.isEmpty { document["credHelpers"] = .object(credentialHelpers.mapValues { .string($0) }) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            return try encoder.encode(document)
        } catch {
            throw AuthError(.malformedConfig, message: "the docker config could not be encoded", underlying: error)
        }
    }

    /// Loads `config.json` from a docker configuration directory; a missing file is an empty configuration.
    ///
    /// - Parameter directory: The directory, ``defaultDirectory`` by default.
    /// - Returns: The configuration.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig`` or
    ///   ``AuthError/Code/configAccessFailed``.
    public static func load(directory: URL = DockerConfig.defaultDirectory) throws(AuthError) -> DockerConfig {
        try load(from: directory.appendingPathComponent(fileName))
    }

    /// Loads a `config.json` file (or any auth file in its format, such as skopeo's `--authfile`); a missing
    /// file is an empty configuration.
    ///
    /// - Parameter fileURL: The file.
    /// - Returns: The configuration.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig`` or
    ///   ``AuthError/Code/configAccessFailed``.
    public static func load(from fileURL: URL) throws(AuthError) -> DockerConfig {
        guard FileManager.default.fileExists(atPath: fileURL.path) else { return DockerConfig() }
        let data: Data
        do {
            data = try Data(contentsOf: fileURL)
        } catch {
            throw AuthError(
                .configAccessFailed, message: "could not read \(fileURL.path); check its permissions",
                underlying: error)
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return DockerConfig() }
        do {
            return try DockerConfig(data: data)
        } catch {
            throw AuthError(error.code, message: "\(fileURL.path): \(error.message)")
        }
    }

    /// Saves `config.json` into a docker configuration directory, creating the directory (mode `0700`) if needed.
    ///
    /// - Parameter directory: The directory, ``defaultDirectory`` by default.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/configAccessFailed`` when the file cannot be written.
    public func save(directory: URL = DockerConfig.defaultDirectory) throws(AuthError) {
        try save(to: directory.appendingPathComponent(Self.fileName))
    }

    /// Saves the configuration to a file atomically and privately, as ``SecretFile/write(_:to:)`` does: a temporary
    /// file beside it, created with mode `0600` from its first byte, written, `fsync`ed and renamed over the file. An
    /// existing file keeps its mode and owner, as with the docker CLI; a symbolic link at `fileURL` is followed, so
    /// its target is replaced.
    ///
    /// - Parameter fileURL: The file.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/configAccessFailed`` when the file cannot be written or its
    ///   mode or owner cannot be kept.
    public func save(to fileURL: URL) throws(AuthError) {
        try SecretFile.write(try encoded(), to: fileURL)
    }

    // MARK: - Keys

    /// The key docker uses for a registry: `https://index.docker.io/v1/` for Docker Hub and its aliases,
    /// otherwise the host (with port) without scheme or path.
    ///
    /// - Parameter registry: A registry name, host, or URL, for example `docker.io` or `https://ghcr.io/`.
    /// - Returns: The key.
    public static func key(forRegistry registry: String) -> String {
        let host = hostname(ofKey: registry)
        return dockerHubAliases.contains(host.lowercased()) ? dockerHubKey : host
    }

    /// The host part of a key: without `http://` or `https://` and without a path, as docker's
    /// `ConvertToHostname` does.
    ///
    /// - Parameter key: A key of `auths` or `credHelpers`, for example `https://index.docker.io/v1/`.
    /// - Returns: The host, for example `index.docker.io`.
    public static func hostname(ofKey key: String) -> String {
        var rest = Substring(key.trimmingCharacters(in: .whitespaces))
        for scheme in ["https://", "http://"] where rest.lowercased().hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
        }
        return String(rest.prefix { $0 != "/" })
    }

    /// Whether a stored key means the registry: the same key, the same host, or both Docker Hub.
    static func key(_ stored: String, matches registry: String) -> Bool {
        let wanted = key(forRegistry: registry)
        if stored == wanted { return true }
        return key(forRegistry: stored).lowercased() == wanted.lowercased()
    }

    /// The key under which ``auths`` holds the registry's login, if any: the canonical key first, then any key
    /// with the same host (or, for Docker Hub, any alias).
    ///
    /// - Parameter registry: A registry name.
    /// - Returns: The existing key, or `nil`.
    public func authsKey(forRegistry registry: String) -> String? {
        let canonical = Self.key(forRegistry: registry)
        if auths[canonical] != nil { return canonical }
        return auths.keys.sorted().first { Self.key($0, matches: registry) }
    }

    /// The credential helper that holds the registry's credentials: its `credHelpers` entry, else `credsStore`.
    ///
    /// - Parameter registry: A registry name.
    /// - Returns: The helper's `<name>` (of `docker-credential-<name>`), or `nil` when credentials live in ``auths``.
    public func credentialHelperName(forRegistry registry: String) -> String? {
        let canonical = Self.key(forRegistry: registry)
        if let name = credentialHelpers[canonical], !name.isEmpty { return name }
        if let key = credentialHelpers.keys.sorted().first(where: { Self.key($0, matches: registry) }),
            let name = credentialHelpers[key], !name.isEmpty
        {
            return name
        }
        return credentialsStore
    }
}

extension DockerConfig {
    /// One login of `auths`: docker's `AuthConfig` as stored in the file.
    ///
    /// Fields Dockyard does not know are kept when the file is saved.
    public struct AuthEntry: Sendable, Equatable {
        /// `base64(username:password)`, as docker and skopeo write it.
        public var auth: String?
        /// A username stored on its own (older files).
        public var username: String?
        /// A password stored on its own (older files).
        public var password: String?
        /// An identity token (an OAuth2 refresh token for the registry's token service).
        public var identityToken: String?
        /// A bearer token for the registry itself.
        public var registryToken: String?
        private var extra: [String: JSONValue]

        /// Creates an empty entry, which docker writes for registries whose credentials live in a helper.
        public init() {
            extra = [:]
        }

        /// Creates the entry docker writes for credentials: `auth` for a username and password, `identitytoken`
        /// or `registrytoken` for tokens.
        ///
        /// - Parameter credentials: The credentials.
        public init(credentials: Credentials) {
            self.init()
            switch credentials {
            case .basic(let username, let password):
                auth = Data("\(username):\(password)".utf8).base64EncodedString()
            case .identityToken(let token):
                identityToken = token
            case .registryToken(let token):
                registryToken = token
            }
        }

        init(fields: [String: JSONValue], key: String) throws(AuthError) {
            self.init()
            for (name, value) in fields {
                let known = ["auth", "username", "password", "identitytoken", "registrytoken"]
                guard known.contains(name) else {
                    extra[name] = value
                    continue
                }
                if case .null = value { continue }
                guard case .string(let string) = value else {
                    throw AuthError(
                        .malformedConfig, message: "in the docker config.json, auths[\"\(key)\"].\(name) must be a string",
                        registry: key)
                }
                let text: String? = string.isEmpty ? nil : string
                switch name {
                case "auth": auth = text
                case "username": username = text
                case "password": password = text
                case "identitytoken": identityToken = text
                default: registryToken = text
                }
            }
        }

        var fields: [String: JSONValue] {
            var fields = extra
            fields["auth"] = auth.map(JSONValue.string)
            fields["username"] = username.map(JSONValue.string)
            fields["password"] = password.map(JSONValue.string)
            fields["identitytoken"] = identityToken.map(JSONValue.string)
            fields["registrytoken"] = registryToken.map(JSONValue.string)
            return fields
        }

        /// The credentials this entry holds: a registry token first, then an identity token, then a username and
        /// password (from `auth`, or from `username` and `password`).
        ///
        /// - Parameter key: The entry's key, named in errors.
        /// - Returns: The credentials, or `nil` for an empty entry.
        /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig`` when `auth` is not base64 of
        ///   `username:password`. The message never includes the value.
        public func credentials(key: String = "") throws(AuthError) -> Credentials? {
            if let registryToken { return .registryToken(registryToken) }
            if let identityToken { return .identityToken(identityToken) }
            if let auth {
                let trimmed = auth.trimmingCharacters(in: .whitespacesAndNewlines)
                let padded = trimmed + String(repeating: "=", count: (4 - trimmed.count % 4) % 4)
                guard let data = Data(base64Encoded: padded), let decoded = String(data: data, encoding: .utf8),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw AuthError(
                        .malformedConfig,
                        message: "the 'auth' of \(key.isEmpty ? "a login" : "'\(key)'") in the docker config.json "
                            + "is not base64 of username:password; log in again",
                        registry: key.isEmpty ? nil : key)
                }
                return .basic(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
            }
            if let username, let password { return .basic(username: username, password: password) }
            return nil
        }
    }
}

extension DockerConfig.AuthEntry: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Which fields are set, never their values: `AuthEntry(auth: <redacted>)`.
    public var description: String {
        let set: [(String, String?)] = [
            ("auth", auth), ("username", username), ("password", password), ("identitytoken", identityToken),
            ("registrytoken", registryToken),
        ]
        let fields = set.compactMap { name, value -> String? in
            guard value != nil else { return nil }
            return name == "username" ? "username: \(username ?? "")" : "\(name): <redacted>"
        }
        return "AuthEntry(\(fields.joined(separator: ", ")))"
    }

    /// The same as ``description``: secrets redacted.
    public var debugDescription: String { description }

    /// A mirror that shows no secrets.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
