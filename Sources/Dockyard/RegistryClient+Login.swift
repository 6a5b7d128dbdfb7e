import DockyardAuth
import DockyardTransport
import Foundation
import NIOHTTP1
import Logging

/// What a registry's API root (`/v2/`) says about it.
public struct RegistryInfo: Sendable, Hashable {
    /// The registry name, e.g. `docker.io` or `127.0.0.1:5000`.
    public var registry: String
    /// The endpoint the registry was reached at.
    public var endpoint: URL
    /// The `Docker-Distribution-API-Version` header, e.g. `registry/2.0`, if sent.
    public var apiVersion: String?
    /// The challenges of an anonymous request: empty for an open registry, otherwise `Basic` or `Bearer` with
    /// their realm and service.
    public var challenges: [AuthChallenge]
    /// Whether the client's credentials (or anonymous access) were accepted by `/v2/`.
    public var isAuthorized: Bool
    /// Docker Hub's rate-limit headers, if the registry sent them.
    public var rateLimit: RateLimit?

    /// The authentication scheme the registry asks for, or `nil` for an open registry.
    public var authenticationScheme: AuthChallenge.Scheme? { challenges.first?.scheme }
}

extension RegistryClient {
    /// Checks that a registry speaks the registry API v2 and discovers how it authenticates.
    ///
    /// `GET /v2/` is sent without credentials; when the registry answers with a challenge, the client's
    /// credentials are used for one authenticated try, which tells whether they are accepted.
    ///
    /// See the OCI distribution specification, "Determining support".
    ///
    /// - Parameter registry: The registry name; Docker Hub by default.
    /// - Returns: The registry's API version, challenges and whether access was granted.
    /// - Throws: ``RegistryError`` when `/v2/` is not a registry API (e.g. `404`), `AuthError` when credentials are
    ///   rejected by a token service, `TransportError` when the registry cannot be reached.
    public func ping(registry: String = "docker.io") async throws -> RegistryInfo {
        let registry = RegistryClient.registryName(registry)
        var request = TransportRequest(
            method: .GET, url: try registryURL(forRegistry: registry),
            deadline: .now + RegistryClient.loginDeadline)
        let response = try await exchange(request, registry: registry)
        // A `/v2/` that redirects to another origin gets no credentials, and its challenge counts for nothing.
        try checkOrigin(of: response, for: request, registry: registry)
        if isRegistryOrigin(response.url, of: request.url, registry: registry) { request.url = response.url }
        let challenges = AuthChallenge.parse(headers: response.headers)
        guard response.status == .ok || (response.status == .unauthorized && !challenges.isEmpty) else {
            // Read before anything drains it: the body may carry the registry's `errors[]`.
            throw await failure(response, for: request, subject: registry)
        }
        await response.body.drain()
        var info = RegistryInfo(
            registry: registry,
            endpoint: try endpoint(forRegistry: registry),
            apiVersion: response.headers.first(name: "Docker-Distribution-API-Version"),
            challenges: challenges,
            isAuthorized: response.status == .ok,
            rateLimit: RegistryError.rateLimit(response.headers))
        guard response.status == .unauthorized else { return info }
        let authorized = try await send(request, registry: registry, scopes: [])
        info.isAuthorized = authorized.status == .ok
        await authorized.body.drain()
        return info
    }

    /// Verifies a user name and password against a registry, then stores them as the docker CLI does.
    ///
    /// The registry's `/v2/` is asked for its challenge; for a token registry a token is requested from its realm
    /// with the credentials, for a Basic registry `/v2/` is asked again with them. Only credentials the registry
    /// accepts are stored: in the credential helper named by `credsStore` or `credHelpers` when `config.json` has
    /// one, otherwise base64 in `auths`, under the key docker uses (`https://index.docker.io/v1/` for Docker Hub).
    ///
    /// - Parameters:
    ///   - registry: The registry name; Docker Hub by default. `index.docker.io`, `registry-1.docker.io` and
    ///     `https://index.docker.io/v1/` mean Docker Hub too.
    ///   - username: The user name.
    ///   - password: The password or personal access token.
    ///   - store: Whether to save the credentials once verified.
    ///   - configDirectory: The docker configuration directory to save into; `$DOCKER_CONFIG` or `~/.docker` by
    ///     default.
    /// - Throws: `AuthError` with code `invalidCredentials` when the registry rejects them, ``RegistryError`` when
    ///   the registry answers otherwise unexpectedly, `TransportError` when it cannot be reached.
    public func login(
        registry: String = "docker.io",
        username: String,
        password: String,
        store: Bool = true,
        configDirectory: URL? = nil
    ) async throws {
        let registry = RegistryClient.registryName(registry)
        let credentials = Credentials.basic(username: username, password: password)
        var request = TransportRequest(
            method: .GET, url: try registryURL(forRegistry: registry),
            deadline: .now + RegistryClient.loginDeadline)
        let first = try await exchange(request, registry: registry)
        // The password goes only to the registry's own origin: a `/v2/` redirected elsewhere is an error.
        try checkOrigin(of: first, for: request, registry: registry)
        if isRegistryOrigin(first.url, of: request.url, registry: registry) { request.url = first.url }
        let challenged = first.status == .unauthorized && first.headers.contains(name: "WWW-Authenticate")
        guard first.status == .ok || challenged else {
            // Read before anything drains it: the body may carry the registry's `errors[]`.
            throw await failure(first, for: request, subject: registry)
        }
        await first.body.drain()
        switch first.status {
        case .ok:
            logger.debug("\(registry) is open; storing the credentials without a check")
        default:
            let verifier = RegistryAuthenticator(
                transport: pipeline, credentials: StaticCredentials(credentials, forRegistry: registry),
                configuration: configuration.authenticatorConfiguration)
            let authorization = try await verifier.authorization(
                afterChallenge: first.headers, forRegistry: registry, scopes: [])
            var second = request
            second.headers.replaceOrAdd(name: "Authorization", value: authorization)
            let answer = try await pipeline.send(second)
            try checkOrigin(of: answer, for: second, registry: registry)
            switch answer.status {
            case .ok:
                await answer.body.drain()
            case .unauthorized, .forbidden:
                await answer.body.drain()
                throw AuthError(
                    .invalidCredentials,
                    message: "login to \(registry) failed: the registry rejected the user name or password for "
                        + "\(username) (HTTP \(answer.status.code)). Check them and try again",
                    registry: registry, status: Int(answer.status.code))
            default:
                // Not a verdict on the credentials (a server error, say): report what the registry said.
                throw await failure(answer, for: second, subject: registry)
            }
        }
        guard store else { return }
        try await credentialStore(configDirectory).store(credentials, forRegistry: registry)
    }

    /// Removes the stored credentials of a registry, from the credential helper or `auths`, as `docker logout`.
    ///
    /// - Parameters:
    ///   - registry: The registry name; Docker Hub by default.
    ///   - configDirectory: The docker configuration directory; `$DOCKER_CONFIG` or `~/.docker` by default.
    /// - Returns: Whether credentials were stored for the registry (and are now removed).
    /// - Throws: `AuthError` when `config.json` or the helper cannot be changed.
    @discardableResult
    public func logout(registry: String = "docker.io", configDirectory: URL? = nil) async throws -> Bool {
        let registry = RegistryClient.registryName(registry)
        return try await credentialStore(configDirectory).erase(forRegistry: registry)
    }

    /// The longest a `ping` or `login` may take, every redirect, retry and token request included: 2 minutes.
    public static let loginDeadline: Duration = .seconds(120)

    /// The credential store that login and logout change.
    private func credentialStore(_ directory: URL?) -> DockerCredentialStore {
        if let directory { return DockerCredentialStore(directory: directory) }
        if let store = credentials as? DockerCredentialStore { return store }
        return DockerCredentialStore()
    }

    /// The canonical registry name: Docker Hub's aliases become `docker.io`; a scheme and path are removed.
    static func registryName(_ input: String) -> String {
        var name = input.trimmingCharacters(in: .whitespaces)
        for scheme in ["https://", "http://"] where name.lowercased().hasPrefix(scheme) {
            name.removeFirst(scheme.count)
        }
        if let slash = name.firstIndex(of: "/") { name = String(name[..<slash]) }
        switch name.lowercased() {
        case "", "docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return name
        }
    }
}
