import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import Testing

/// Issue 8: a registry that misbehaves on purpose (Fixtures/hostile/hostile.py) gets typed errors, never a
/// credential sent to another origin, never a trap, never an unbounded read.
@Suite("Hostile registry: credentials stay home, numbers and bodies are bounded", .tags(.integration))
struct HostileRegistryTests {
    /// The most bytes a bounded read may leave the server to write: what the client read (≤ 4 MiB for a manifest)
    /// plus the kernel's socket buffers on loopback. A body read to its end would show gigabytes.
    static let boundedBytes = 48 << 20

    static func client(_ hostile: HostileRegistry, credentials: Bool = true) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration()
        configuration.endpoints[hostile.name] = hostile.registry
        configuration.retry = .init(maxAttempts: 1)
        let store: any CredentialProvider = credentials
            ? StaticCredentials(.basic(username: hostile.user, password: hostile.password), forRegistry: hostile.name)
            : StaticCredentials([:])
        return try RegistryClient(configuration: configuration, credentials: store)
    }

    static func repository(_ hostile: HostileRegistry, _ name: String) throws -> Repository {
        try Repository(parsing: "\(hostile.name)/\(name)")
    }

    static let digest = ContentDigest.sha256(of: Array("hostile".utf8))

    /// Dockyard's own error types: what "a typed error" means here.
    static func isTyped(_ error: any Error) -> Bool {
        error is AuthError || error is BlobTransferError || error is RegistryError || error is TransportError
    }

    /// Asserts that nothing carrying credentials reached the foreign origin, and no token was asked of it.
    static func expectNoCredentialsAbroad(_ hostile: HostileRegistry, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let foreign = try await hostile.foreignRecords()
        #expect(foreign.allSatisfy { $0.authorization == nil }, "credentials reached the foreign origin: \(foreign)", sourceLocation: sourceLocation)
        #expect(!foreign.contains { $0.path.hasPrefix("/token") }, "a token was asked of the foreign origin: \(foreign)", sourceLocation: sourceLocation)
    }

    // MARK: - Credentials bound to an origin

    @Test("A blob redirected to storage that answers 401 with its own realm is an error; nothing reaches the storage's realm",
          arguments: [HostileRegistry.V2.open, .basic, .bearer])
    func blobRedirectToForeignChallenge(v2: HostileRegistry.V2) async throws {
        let hostile = try await HostileRegistry.launch(v2: v2)
        defer { hostile.stop() }
        let client = try Self.client(hostile)
        defer { Task { await client.shutdown() } }
        // Learn the registry's challenge first (the cached state the foreign 401 must not change).
        let info = try await client.ping(registry: hostile.name)
        #expect(info.isAuthorized)

        let blobs = try client.blobClient(for: try Self.repository(hostile, "redirect401"))
        let error = await #expect(throws: (any Error).self) {
            for try await _ in blobs.stream(Self.digest, size: 7) {}
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        try await Self.expectNoCredentialsAbroad(hostile)

        // The registry's own challenge and credentials still work afterwards.
        let other = try client.blobClient(for: try Self.repository(hostile, "plain"))
        #expect(try await other.exists(Self.digest) == nil)
        let registryRequests = try await hostile.records().filter { $0.origin == "registry" && $0.path.contains("/plain/") }
        if v2 != .open { #expect(registryRequests.last?.authorization != nil) }
    }

    @Test("A blob redirected to storage that answers 403 is an error, with no credentials sent there")
    func blobRedirectToForeign403() async throws {
        let hostile = try await HostileRegistry.launch(v2: .basic)
        defer { hostile.stop() }
        let client = try Self.client(hostile)
        defer { Task { await client.shutdown() } }
        let blobs = try client.blobClient(for: try Self.repository(hostile, "redirect403"))
        let error = await #expect(throws: (any Error).self) {
            for try await _ in blobs.stream(Self.digest) {}
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        #expect(try await hostile.foreignRecords().count == 1)
        try await Self.expectNoCredentialsAbroad(hostile)
    }

    @Test("login whose /v2/ redirects to another origin sends the password nowhere but the registry",
          arguments: [HostileRegistry.V2.redirect, .redirectBearer])
    func loginRedirected(v2: HostileRegistry.V2) async throws {
        let hostile = try await HostileRegistry.launch(v2: v2)
        defer { hostile.stop() }
        let client = try Self.client(hostile, credentials: false)
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: (any Error).self) {
            try await client.login(registry: hostile.name, username: hostile.user, password: hostile.password, store: false)
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        #expect(!(error.map { "\($0)" } ?? "").contains(hostile.password))
        try await Self.expectNoCredentialsAbroad(hostile)
    }

    @Test("ping whose /v2/ redirects to another origin sends no stored credentials there",
          arguments: [HostileRegistry.V2.redirect, .redirectBearer])
    func pingRedirected(v2: HostileRegistry.V2) async throws {
        let hostile = try await HostileRegistry.launch(v2: v2)
        defer { hostile.stop() }
        let client = try Self.client(hostile)
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: (any Error).self) {
            _ = try await client.ping(registry: hostile.name)
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        try await Self.expectNoCredentialsAbroad(hostile)
    }

    @Test("An upload Location on another host gets no credentials, not even the ones stored for that host")
    func foreignUploadLocation() async throws {
        let hostile = try await HostileRegistry.launch(v2: .basic)
        defer { hostile.stop() }
        let foreignName = "\(hostile.foreign.host ?? "127.0.0.2"):\(hostile.foreign.port ?? 80)"
        var configuration = RegistryClient.Configuration()
        configuration.endpoints[hostile.name] = hostile.registry
        configuration.retry = .init(maxAttempts: 1)
        // The user has credentials stored for both hosts: the registry must not make the client use the second.
        let store = StaticCredentials([
            hostile.name: .basic(username: hostile.user, password: hostile.password),
            foreignName: .basic(username: "bob", password: "foreign-secret-2"),
        ])
        let client = try RegistryClient(configuration: configuration, credentials: store)
        defer { Task { await client.shutdown() } }
        let bytes = [UInt8](repeating: 1, count: 1_000)
        let blobs = try client.blobClient(for: try Self.repository(hostile, "foreignlocation"), actions: [.pull, .push])
        let error = await #expect(throws: (any Error).self) {
            let source = BlobUploadSource(size: Int64(bytes.count)) { _ in ByteBufferSequence(single: ByteBuffer(bytes: bytes)) }
            try await blobs.upload(ContentDigest.sha256(of: bytes), from: source)
        }
        #expect((error as? AuthError)?.code == .foreignOrigin, "\(String(describing: error))")
        let foreign = try await hostile.foreignRecords()
        #expect(!foreign.isEmpty, "the upload went to the foreign Location")
        try await Self.expectNoCredentialsAbroad(hostile)
    }

    // MARK: - Numbers from the wire

    @Test("Upload answers with Range and OCI-Chunk-Min-Length near 2^63 end in a typed error, not a trap",
          arguments: [("chunkmin", true), ("rangepatch", true), ("breakput", false)])
    func uploadHugeNumbers(repository: String, chunked: Bool) async throws {
        let hostile = try await HostileRegistry.launch(v2: .open)
        defer { hostile.stop() }
        let client = try Self.client(hostile)
        defer { Task { await client.shutdown() } }
        let bytes = [UInt8](repeating: 7, count: 100_000)
        let digest = ContentDigest.sha256(of: bytes)
        var configuration = BlobClient.Configuration()
        configuration.uploadStrategy = chunked ? .chunked(size: 16_384) : .monolithic
        configuration.maxResumeAttempts = 2
        let blobs = try client.blobClient(
            for: try Self.repository(hostile, repository), actions: [.pull, .push], configuration: configuration)
        let error = await #expect(throws: BlobTransferError.self) {
            let source = BlobUploadSource(size: Int64(bytes.count)) { range in
                ByteBufferSequence(single: ByteBuffer(bytes: bytes[Int(range.lowerBound)..<Int(range.upperBound)]))
            }
            try await blobs.upload(digest, from: source)
        }
        #expect(error?.code == .invalidResponse, "\(String(describing: error))")
        let records = try await hostile.records()
        if repository == "breakput" {
            #expect(records.contains { $0.method == "PUT" }, "the upload broke off: \(records)")
            #expect(records.contains { $0.method == "GET" && $0.path.contains("/uploads/") }, "the client asked for the offset")
        }
    }

    // MARK: - Bodies are bounded

    @Test("A 2 GiB 401 body is not read to its end: the client stops early and closes the connection")
    func huge401() async throws {
        let hostile = try await HostileRegistry.launch(v2: .huge401)
        defer { hostile.stop() }
        let client = try Self.client(hostile)
        defer { Task { await client.shutdown() } }
        let error = await #expect(throws: (any Error).self) {
            _ = try await client.ping(registry: hostile.name)
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        let records = try await hostile.settledRecords().filter { $0.declaredBytes != nil }
        #expect(!records.isEmpty)
        for record in records {
            #expect(record.sentBytes < Self.boundedBytes, "\(record)")
            #expect(record.clientClosed == true, "the client kept the connection open: \(record)")
        }
    }

    @Test("Manifests, error bodies and token answers of 2 GiB are read only up to their limits",
          arguments: ["hugemanifest", "hugeerror", "hugetoken"])
    func hugeBodies(repository: String) async throws {
        let hostile = try await HostileRegistry.launch(v2: .open)
        defer { hostile.stop() }
        let client = try Self.client(hostile, credentials: false)
        defer { Task { await client.shutdown() } }
        let reference = try ImageReference(parsing: "\(hostile.name)/\(repository):latest")
        let error = await #expect(throws: (any Error).self) {
            _ = try await client.manifest(for: reference)
        }
        #expect(error.map(Self.isTyped) == true, "\(String(describing: error))")
        let records = try await hostile.settledRecords().filter { $0.declaredBytes != nil }
        #expect(!records.isEmpty)
        for record in records {
            #expect(record.sentBytes < Self.boundedBytes, "\(record)")
            #expect(record.clientClosed == true, "the client kept the connection open: \(record)")
        }
    }

    @Test("A blob body longer than its descriptor's size stops at the size")
    func hugeBlobBoundedByDescriptor() async throws {
        let hostile = try await HostileRegistry.launch(v2: .open)
        defer { hostile.stop() }
        let client = try Self.client(hostile, credentials: false)
        defer { Task { await client.shutdown() } }
        let blobs = try client.blobClient(for: try Self.repository(hostile, "hugeblob"))
        let error = await #expect(throws: BlobTransferError.self) {
            for try await _ in blobs.stream(Self.digest, size: 1_000) {}
        }
        #expect(error?.code == .sizeMismatch)
        let records = try await hostile.settledRecords().filter { $0.declaredBytes != nil }
        #expect(!records.isEmpty)
        for record in records {
            #expect(record.sentBytes < Self.boundedBytes, "\(record)")
            #expect(record.clientClosed == true, "\(record)")
        }
    }

    // MARK: - Requests other than blob transfers have an overall deadline

    @Test("A manifest GET or HEAD and a tags list that stall (no answer, or a head and a stalled body) end in a typed timeout at the configured deadline",
          arguments: [
            ("stallhead", "get"), ("stallbody", "get"), ("stallhead", "head"), ("stallhead", "tags"), ("stallbody", "tags"),
          ])
    func stalledRequestsTimeOut(repository: String, operation: String) async throws {
        let hostile = try await HostileRegistry.launch(v2: .open)
        defer { hostile.stop() }
        var configuration = RegistryClient.Configuration()
        configuration.endpoints[hostile.name] = hostile.registry
        // The default retry policy stays: the deadline bounds every attempt together.
        configuration.timeout.deadline = .seconds(1)
        let client = try RegistryClient(configuration: configuration, credentials: StaticCredentials([:]))
        defer { Task { await client.shutdown() } }
        let reference = try ImageReference(parsing: "\(hostile.name)/\(repository):latest")
        let error = await #expect(throws: TransportError.self) {
            switch operation {
            case "get": _ = try await client.manifest(for: reference)
            case "head": _ = try await client.manifestDescriptor(for: reference)
            default: _ = try await client.tags(in: reference.repository).collect()
            }
        }
        #expect(error?.code == .timedOut, "\(String(describing: error))")
        // The client gave up and closed the connection instead of holding it open.
        let stalled = try await hostile.settledRecords().filter { $0.stalled == true }
        #expect(!stalled.isEmpty)
        for record in stalled {
            #expect(record.clientClosed == true, "the client kept the stalled connection open: \(record)")
        }
    }

    @Test("dockyard --request-timeout 1 exits 1 with a timeout against a stalled manifest and a stalled tags list",
          .requiresDockyardBinary,
          arguments: [["resolve", "stallbody:latest"], ["tags", "stallhead"]])
    func cliDeadline(command: [String]) async throws {
        let hostile = try await HostileRegistry.launch(v2: .open)
        defer { hostile.stop() }
        let directory = try TemporaryDirectory(prefix: "hostile-cli")
        defer { directory.remove() }
        let cli = try DockyardCLI(environment: ["DOCKER_CONFIG": directory.url.path])
        let result = try await cli.run(
            [command[0], "\(hostile.name)/\(command[1])", "--request-timeout", "1",
             "--endpoint", "\(hostile.name)=\(hostile.registry.absoluteString)"])
        #expect(result.status == 1, "exit \(result.status): \(result.stderrText.suffix(800))")
        #expect(result.stderrText.contains("deadline"), "\(result.stderrText.suffix(800))")
        #expect(result.stderrText.contains("--request-timeout"), "the CLI names its flag: \(result.stderrText.suffix(800))")
    }

    // MARK: - The CLI exits 1, never by a signal

    @Test("dockyard exits 1 (not by a signal) against each hostile case, and prints no password",
          .requiresDockyardBinary,
          arguments: [
            "login-redirect", "blob-redirect", "upload-chunkmin", "upload-rangepatch", "upload-breakput", "huge-401",
          ])
    func cliExitsOne(scenario: String) async throws {
        let v2: HostileRegistry.V2 = switch scenario {
        case "login-redirect": .redirect
        case "huge-401": .huge401
        default: .basic
        }
        let hostile = try await HostileRegistry.launch(v2: v2)
        defer { hostile.stop() }
        let directory = try TemporaryDirectory(prefix: "hostile-cli")
        defer { directory.remove() }
        let file = directory.appending("blob")
        try Data(repeating: 7, count: 100_000).write(to: file)
        // Credentials stored for the registry, as `docker login` leaves them.
        let auth = Data("\(hostile.user):\(hostile.password)".utf8).base64EncodedString()
        try Data(#"{"auths":{"\#(hostile.name)":{"auth":"\#(auth)"}}}"#.utf8).write(to: directory.appending("config.json"))
        let cli = try DockyardCLI(environment: ["DOCKER_CONFIG": directory.url.path])
        let endpoint = ["--endpoint", "\(hostile.name)=\(hostile.registry.absoluteString)"]
        let arguments: [String]
        var stdin: Data? = nil
        switch scenario {
        case "login-redirect":
            arguments = ["login", hostile.name, "-u", hostile.user, "--password-stdin"] + endpoint
            stdin = Data(hostile.password.utf8)
        case "blob-redirect":
            arguments = ["blob", "get", "\(hostile.name)/redirect401@\(Self.digest)", "-o", directory.appending("out").path] + endpoint
        case "huge-401":
            arguments = ["login", hostile.name, "-u", hostile.user, "--password-stdin"] + endpoint
            stdin = Data(hostile.password.utf8)
        default:
            let repository = String(scenario.dropFirst("upload-".count))
            arguments = ["blob", "put", "\(hostile.name)/\(repository)", file.path] + endpoint
                + (repository == "breakput" ? [] : ["--chunk-size", "16384"])
        }
        let result = try await cli.run(arguments, stdin: stdin)
        #expect(result.status == 1, "exit \(result.status): \(result.stderrText.suffix(800))")
        #expect(!result.stderrText.contains(hostile.password) && !result.stdoutText.contains(hostile.password))
        #expect(!result.stderrText.isEmpty)
        try await Self.expectNoCredentialsAbroad(hostile)
    }
}
