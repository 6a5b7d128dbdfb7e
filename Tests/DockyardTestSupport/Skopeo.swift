import Foundation

/// Runs `skopeo` against localhub's registries, as an independent client to compare Dockyard with.
///
/// Plain-HTTP registries need `tlsVerify: false`; the TLS registry needs its CA as `certDirectory`
/// (``LocalHub/tlsCertDirectory``). Signature policy is always `--insecure-policy` (test images are unsigned).
///
/// ```swift
/// let skopeo = Skopeo()
/// try await skopeo.copy(layout.skopeoReference, "docker://\(hub.open.reference("team/app", tag: "v1"))")
/// let raw = try await skopeo.inspectRaw("docker://\(hub.open.reference("team/app", tag: "v1"))")
/// ```
public struct Skopeo: Sendable {
    /// A registry login file (`--authfile`), as `dockyard login` or `skopeo login` write it.
    public var authFile: URL?
    /// A `certs.d`-style directory with `ca.crt` for TLS registries (`--src-cert-dir` / `--dest-cert-dir`).
    public var certDirectory: URL?
    /// Whether to verify TLS (and require HTTPS); `false` for localhub's plain-HTTP registries.
    public var tlsVerify: Bool

    /// Configures the runs.
    ///
    /// - Parameters:
    ///   - authFile: A login file, if any.
    ///   - certDirectory: A CA directory for TLS registries; setting it turns TLS verification on.
    ///   - tlsVerify: Whether to verify TLS; ignored (true) when `certDirectory` is set.
    public init(authFile: URL? = nil, certDirectory: URL? = nil, tlsVerify: Bool = false) {
        self.authFile = authFile
        self.certDirectory = certDirectory
        self.tlsVerify = certDirectory != nil || tlsVerify
    }

    /// For the given registry of localhub: its CA for `tls`, no verification otherwise.
    ///
    /// - Parameters:
    ///   - hub: The servers.
    ///   - registry: One of its registries.
    ///   - authFile: A login file, if any.
    /// - Returns: A configured runner.
    public static func `for`(_ hub: LocalHub, registry: LocalHub.Registry, authFile: URL? = nil) -> Skopeo {
        registry == hub.tls ? Skopeo(authFile: authFile, certDirectory: hub.tlsCertDirectory) : Skopeo(authFile: authFile)
    }

    /// `skopeo copy SOURCE DESTINATION`; throws unless it succeeds.
    ///
    /// - Parameters:
    ///   - source: e.g. `oci:/path:v1` or `docker://127.0.0.1:5000/app:v1`.
    ///   - destination: The same forms.
    ///   - sourceCredentials: `--src-creds`.
    ///   - destinationCredentials: `--dest-creds`.
    ///   - allPlatforms: `--all` (copy every image of an index).
    ///   - extraArguments: More options, placed before the references.
    /// - Returns: The run's result.
    /// - Throws: ``ProcessFailure`` with skopeo's stderr when the copy fails.
    @discardableResult
    public func copy(
        _ source: String, _ destination: String,
        sourceCredentials: LocalHub.Account? = nil, destinationCredentials: LocalHub.Account? = nil,
        allPlatforms: Bool = false, extraArguments: [String] = []
    ) async throws -> ProcessResult {
        var arguments = ["copy", "--insecure-policy", "--retry-times", "0"]
        arguments += transportOptions(prefix: "src") + transportOptions(prefix: "dest")
        if let sourceCredentials { arguments += ["--src-creds", "\(sourceCredentials.username):\(sourceCredentials.password)"] }
        if let destinationCredentials {
            arguments += ["--dest-creds", "\(destinationCredentials.username):\(destinationCredentials.password)"]
        }
        if allPlatforms { arguments.append("--all") }
        arguments += extraArguments + [source, destination]
        return try await check(arguments)
    }

    /// `skopeo inspect --raw REFERENCE`: the manifest's exact bytes.
    ///
    /// - Parameters:
    ///   - reference: e.g. `docker://127.0.0.1:5000/app:v1`.
    ///   - credentials: `--creds`.
    /// - Returns: The bytes.
    /// - Throws: ``ProcessFailure`` when skopeo fails.
    public func inspectRaw(_ reference: String, credentials: LocalHub.Account? = nil) async throws -> Data {
        try await check(["inspect", "--raw"] + inspectOptions(credentials) + [reference]).stdout
    }

    /// `skopeo inspect REFERENCE` parsed (digest, tags, layers, …).
    ///
    /// - Parameters:
    ///   - reference: e.g. `docker://127.0.0.1:5000/app:v1`.
    ///   - credentials: `--creds`.
    /// - Returns: skopeo's JSON.
    /// - Throws: ``ProcessFailure`` when skopeo fails.
    public func inspect(_ reference: String, credentials: LocalHub.Account? = nil) async throws -> TestJSON {
        try TestJSON(parsing: try await check(["inspect"] + inspectOptions(credentials) + [reference]).stdout)
    }

    /// `skopeo login REGISTRY` into ``authFile``.
    ///
    /// - Parameters:
    ///   - registry: `host:port`.
    ///   - account: The credentials (sent on stdin).
    /// - Throws: ``ProcessFailure`` when skopeo fails.
    public func login(_ registry: String, account: LocalHub.Account) async throws {
        var arguments = ["login", "--username", account.username, "--password-stdin"]
        arguments += tlsVerify ? [] : ["--tls-verify=false"]
        if let certDirectory { arguments += ["--cert-dir", certDirectory.path] }
        if let authFile { arguments += ["--authfile", authFile.path] }
        try await check(arguments + [registry], stdin: Data(account.password.utf8))
    }

    /// Runs skopeo with `arguments` as given, without checking the status (for expected failures).
    ///
    /// - Parameters:
    ///   - arguments: Everything after `skopeo`.
    ///   - stdin: Standard input.
    /// - Returns: The run's result.
    /// - Throws: ``ProcessRunnerError`` when skopeo is missing or hangs.
    public func run(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run("skopeo", arguments: arguments, stdin: stdin, timeout: .seconds(600))
    }

    @discardableResult
    private func check(_ arguments: [String], stdin: Data? = nil) async throws -> ProcessResult {
        let result = try await run(arguments, stdin: stdin)
        guard result.succeeded else {
            throw ProcessFailure(command: "skopeo " + arguments.joined(separator: " "), result: result)
        }
        return result
    }

    private func transportOptions(prefix: String) -> [String] {
        var options = tlsVerify ? [] : ["--\(prefix)-tls-verify=false"]
        if let certDirectory { options += ["--\(prefix)-cert-dir", certDirectory.path] }
        if let authFile { options += ["--\(prefix)-authfile", authFile.path] }
        return options
    }

    private func inspectOptions(_ credentials: LocalHub.Account?) -> [String] {
        var options = tlsVerify ? [] : ["--tls-verify=false"]
        if let certDirectory { options += ["--cert-dir", certDirectory.path] }
        if let authFile { options += ["--authfile", authFile.path] }
        if let credentials { options += ["--creds", "\(credentials.username):\(credentials.password)"] }
        return options
    }
}
