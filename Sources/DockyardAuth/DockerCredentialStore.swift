import Foundation

/// The credentials the docker CLI stored: `config.json`'s `auths`, its `credsStore` and its `credHelpers`.
///
/// Lookup follows the docker CLI: a registry's `credHelpers` entry first, else the `credsStore` helper, else
/// `auths`. A helper that holds nothing for the registry falls back to `auths` (where skopeo and older docker
/// versions write). Docker Hub is `https://index.docker.io/v1/` whichever alias names it.
///
/// ``store(_:forRegistry:)`` writes as `docker login` does, so that `docker` and `skopeo --authfile` read it:
/// into the registry's helper when one is configured (leaving an empty entry in `auths`), otherwise as base64
/// `auth` (or `identitytoken`/`registrytoken`) in `auths`. ``erase(forRegistry:)`` undoes it, as `docker logout`.
///
/// The file is read on every call, so changes by other programs are seen at once.
public struct DockerCredentialStore: CredentialProvider {
    /// The `config.json` (or skopeo-style auth file) read and written.
    public let configFile: URL
    /// The environment credential helpers are searched in (its `PATH`) and run with.
    public var environment: [String: String]
    /// How long one credential helper operation may take.
    public var helperTimeout: Duration

    /// Uses `config.json` in a docker configuration directory.
    ///
    /// - Parameters:
    ///   - directory: The directory; `$DOCKER_CONFIG` or `~/.docker` by default.
    ///   - environment: The environment for credential helpers.
    ///   - helperTimeout: How long one helper operation may take; 30 seconds by default.
    public init(
        directory: URL = DockerConfig.defaultDirectory,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        helperTimeout: Duration = .seconds(30)
    ) {
        self.init(
            configFile: directory.appendingPathComponent(DockerConfig.fileName), environment: environment,
            helperTimeout: helperTimeout)
    }

    /// Uses a given auth file, for example the one passed to `skopeo --authfile`.
    ///
    /// - Parameters:
    ///   - configFile: The file.
    ///   - environment: The environment for credential helpers.
    ///   - helperTimeout: How long one helper operation may take; 30 seconds by default.
    public init(
        configFile: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        helperTimeout: Duration = .seconds(30)
    ) {
        self.configFile = configFile
        self.environment = environment
        self.helperTimeout = helperTimeout
    }

    /// Reads the configuration file; a missing file is empty.
    ///
    /// - Returns: The configuration.
    /// - Throws: ``AuthError`` when the file is malformed or unreadable.
    public func loadConfig() throws(AuthError) -> DockerConfig {
        try DockerConfig.load(from: configFile)
    }

    /// The credential helper configured for a registry, if any.
    ///
    /// - Parameter registry: A registry name, for example `docker.io` or `127.0.0.1:5000`.
    /// - Returns: The helper, or `nil` when the registry's credentials live in `auths`.
    /// - Throws: ``AuthError`` when the file is malformed or the helper is not installed.
    public func helper(forRegistry registry: String) throws(AuthError) -> CredentialHelper? {
        try helper(forRegistry: registry, in: loadConfig())
    }

    private func helper(forRegistry registry: String, in config: DockerConfig) throws(AuthError) -> CredentialHelper? {
        guard let name = config.credentialHelperName(forRegistry: registry) else { return nil }
        return try CredentialHelper(name: name, environment: environment, timeout: helperTimeout)
    }

    /// Returns the stored credentials for a registry.
    ///
    /// - Parameter registry: A registry name, for example `docker.io` or `127.0.0.1:5000`.
    /// - Returns: The credentials, or `nil` when none are stored.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/malformedConfig``,
    ///   ``AuthError/Code/credentialHelperNotFound`` or ``AuthError/Code/credentialHelperFailed``.
    public func credentials(forRegistry registry: String) async throws -> Credentials? {
        try await storedCredentials(forRegistry: registry)
    }

    /// Returns the stored credentials for a registry, with a typed error.
    ///
    /// - Parameter registry: A registry name.
    /// - Returns: The credentials, or `nil` when none are stored.
    /// - Throws: ``AuthError`` as ``credentials(forRegistry:)`` does.
    public func storedCredentials(forRegistry registry: String) async throws(AuthError) -> Credentials? {
        let config = try loadConfig()
        if let helper = try helper(forRegistry: registry, in: config),
            let found = try await helper.get(serverURL: DockerConfig.key(forRegistry: registry))
        {
            return found
        }
        guard let key = config.authsKey(forRegistry: registry), let entry = config.auths[key] else { return nil }
        return try entry.credentials(key: key)
    }

    /// Stores credentials for a registry as `docker login` does.
    ///
    /// With a helper configured for the registry (and credentials a helper can hold), they go to the helper and
    /// `auths` gets an empty entry for the registry; otherwise they go into `auths` under docker's key. Other
    /// entries for the same registry (an alias key) are replaced.
    ///
    /// - Parameters:
    ///   - credentials: The credentials.
    ///   - registry: A registry name, for example `docker.io`.
    /// - Throws: ``AuthError`` when the file cannot be read or written, or the helper fails.
    public func store(_ credentials: Credentials, forRegistry registry: String) async throws(AuthError) {
        var config = try loadConfig()
        let key = DockerConfig.key(forRegistry: registry)
        let helper: CredentialHelper?
        if case .registryToken = credentials {
            helper = nil
        } else {
            helper = try self.helper(forRegistry: registry, in: config)
        }
        for existing in config.auths.keys where DockerConfig.key(existing, matches: registry) {
            config.auths[existing] = nil
        }
        if let helper {
            try await helper.store(credentials, serverURL: key)
            config.auths[key] = DockerConfig.AuthEntry()
        } else {
            config.auths[key] = DockerConfig.AuthEntry(credentials: credentials)
        }
        try config.save(to: configFile)
    }

    /// Erases a registry's credentials as `docker logout` does: from its helper, if any, and every `auths` entry
    /// for it.
    ///
    /// - Parameter registry: A registry name.
    /// - Returns: Whether credentials for it were found (in its helper or in `auths`) and erased.
    /// - Throws: ``AuthError`` when the file cannot be read or written, or the helper fails.
    @discardableResult
    public func erase(forRegistry registry: String) async throws(AuthError) -> Bool {
        var config = try loadConfig()
        let key = DockerConfig.key(forRegistry: registry)
        var found = false
        if let helper = try helper(forRegistry: registry, in: config) {
            found = try await helper.get(serverURL: key) != nil
            try await helper.erase(serverURL: key)
        }
        let stale = config.auths.keys.filter { DockerConfig.key($0, matches: registry) }
        if !stale.isEmpty {
            for existing in stale {
                if (try? config.auths[existing]?.credentials()) != nil { found = true }
                config.auths[existing] = nil
            }
            try config.save(to: configFile)
        }
        return found
    }
}

extension DockerCredentialStore: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The file the store reads, without the environment its helpers run with (which may hold secrets):
    /// `DockerCredentialStore(/home/alice/.docker/config.json)`.
    public var description: String { "DockerCredentialStore(\(configFile.path))" }

    /// The same as ``description``: no environment values.
    public var debugDescription: String { description }

    /// A mirror that shows no environment values, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
