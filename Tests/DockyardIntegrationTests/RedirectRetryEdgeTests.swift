import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// Redirect and retry edge cases of the whole client stack (``RegistryClient`` → retries → redirects →
/// AsyncHTTPClient) against distribution 2.8.2 through a fault proxy of each test's own. The proxy answers the
/// redirects and the faults; its log is the witness of what the client sent.
@Suite("Redirect and retry edge cases through the fault proxy", .requiresLocalHub, .tags(.integration), .privateFaultProxies)
struct RedirectRetryEdgeTests {
    /// A short-backoff policy, so retries do not slow the suite; the attempt counts are what the tests check.
    static func retry(_ attempts: Int) -> RetryPolicy {
        RetryPolicy(maxAttempts: attempts, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20))
    }

    static func client(
        retry: RetryPolicy = .none, redirect: RedirectPolicy = .default,
        configure: (inout RegistryClient.Configuration) -> Void = { _ in }
    ) throws -> RegistryClient {
        var configuration = RegistryClient.Configuration(retry: retry)
        configuration.redirect = redirect
        configure(&configuration)
        return try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
    }

    /// Pushes a small image straight to the open registry (not through the proxy) and returns it and the same
    /// reference seen through `registry` (the proxy in front of it).
    static func image(
        _ hub: LocalHub, through registry: LocalHub.Registry, _ stem: String
    ) async throws -> (pushed: RegistryFixtures.PushedImage, reference: ImageReference) {
        let direct = try ImageReference(normalizing: "\(hub.open.host)/dockyard/\(stem)-\(RegistryFixtures.uniqueSuffix()):v1")
        let pushed = try await RegistryFixtures.withClient(try client()) { try await RegistryFixtures.pushImage(direct, with: $0) }
        return (pushed, try ImageReference(normalizing: "\(registry.host)/\(direct.path):v1"))
    }

    /// The proxy's log lines for requests of `path` (query ignored), oldest first.
    static func requests(_ entries: [FaultProxy.LogEntry], _ path: String) -> [FaultProxy.LogEntry] {
        entries.filter { $0.event == nil && ($0.path ?? "").split(separator: "?").first.map(String.init) == path }
    }

    static func summary(_ entries: [FaultProxy.LogEntry]) -> String {
        entries.map { "\($0.method ?? "?") \($0.path ?? "") \($0.status.map(String.init) ?? "-") \($0.fault ?? "")" }
            .joined(separator: "; ")
    }

    static func manifestPath(_ reference: ImageReference) -> String { "/v2/\(reference.path)/manifests/v1" }

    // MARK: Redirects

    @Test("A chain of exactly maxHops redirects is followed to the manifest; one hop more is redirectFailed")
    func hopLimit() async throws {
        let hub = try LocalHub.required()
        let (pushed, reference) = try await Self.image(hub, through: hub.fault.registry, "hops")
        let path = Self.manifestPath(reference)
        let client = try Self.client(redirect: .follow(max: 3))
        defer { Task { await client.shutdown() } }

        let (document, followed) = try await hub.fault.withScenario(.redirect, params: ["hops": 3, "path": .string("/manifests/")]) { proxy in
            let mark = proxy.logMark()
            let document = try await client.manifest(for: reference)
            return (document, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(document.digest == pushed.manifest.digest)
        // Three redirects (hop=1, 2, 3), then the registry's 200 on the fourth request.
        #expect(followed.map { $0.status } == [307, 307, 307, 200], "\(Self.summary(followed))")
        #expect(followed.map { $0.path ?? "" } == [path, path + "?hop=1", path + "?hop=2", path + "?hop=3"])

        let (error, refused) = try await hub.fault.withScenario(.redirect, params: ["hops": 4, "path": .string("/manifests/")]) { proxy in
            let mark = proxy.logMark()
            let error = await #expect(throws: TransportError.self) { try await client.manifest(for: reference) }
            return (error, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(error?.code == .redirectFailed, "\(String(describing: error))")
        #expect(String(describing: error).contains("more than 3 times"), "\(String(describing: error))")
        // The fourth redirect is not followed: four requests, all answered 307, none reached the registry.
        #expect(refused.map { $0.status } == [307, 307, 307, 307], "\(Self.summary(refused))")
    }

    @Test("A redirect loop between two URLs is redirectFailed after both were requested once")
    func loop() async throws {
        let hub = try LocalHub.required()
        let (_, reference) = try await Self.image(hub, through: hub.fault.registry, "loop")
        let path = Self.manifestPath(reference)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }

        let (error, entries) = try await hub.fault.withScenario(.redirect, params: ["loop": true, "path": .string("/manifests/")]) { proxy in
            let mark = proxy.logMark()
            let error = await #expect(throws: TransportError.self) { try await client.manifest(for: reference) }
            return (error, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(error?.code == .redirectFailed)
        #expect(String(describing: error).contains("redirect loop"), "\(String(describing: error))")
        // A → B, B → A: the client notices A was visited and does not ask again (the hop limit, 10, is not reached).
        #expect(entries.map { $0.path ?? "" } == [path, path + "?hop=1"], "\(Self.summary(entries))")
    }

    @Test("A relative Location is resolved against the URL that sent it")
    func relativeLocation() async throws {
        let hub = try LocalHub.required()
        let (pushed, reference) = try await Self.image(hub, through: hub.fault.registry, "relative")
        let path = Self.manifestPath(reference)
        let client = try Self.client()
        defer { Task { await client.shutdown() } }

        let (document, entries) = try await hub.fault.withScenario(
            .redirect, params: ["relative": true, "path": .string("/manifests/")]
        ) { proxy in
            let mark = proxy.logMark()
            let document = try await client.manifest(for: reference)
            return (document, Self.requests(try await proxy.requests(since: mark), path))
        }
        // The proxy answered `Location: v1?hop=1`, relative to .../manifests/v1.
        #expect(entries.first?.location == "v1?hop=1", "\(Self.summary(entries))")
        #expect(entries.map { $0.path ?? "" } == [path, path + "?hop=1"], "\(Self.summary(entries))")
        #expect(entries.last?.status == 200)
        #expect(document.digest == pushed.manifest.digest)
    }

    @Test("A redirect from HTTPS to plain HTTP off loopback is refused without a request to it; to loopback it is followed")
    func httpsToHTTP() async throws {
        let hub = try LocalHub.required()
        try await FaultProxy.launch(inFrontOf: hub.open.url, tls: true) { proxy in
            let tlsURL = try #require(proxy.tlsURL)
            let tlsCA = try #require(proxy.tlsCA)
            let tlsHost = "\(tlsURL.host ?? ""):\(tlsURL.port ?? 443)"
            let (pushed, reference) = try await Self.image(hub, through: LocalHub.Registry(url: tlsURL, host: tlsHost), "https")
            let path = Self.manifestPath(reference)
            let client = try Self.client { configuration in
                configuration.endpoints[tlsHost] = tlsURL
                configuration.additionalTrustRoots = [tlsCA]
            }
            defer { Task { await client.shutdown() } }

            // To a host that is not loopback: refused before any connection to it (the name does not even resolve).
            let (error, refused) = try await proxy.withScenario(
                .redirect, params: ["location": "http://registry.example.invalid{path}?hop={hop}", "path": .string("/manifests/")]
            ) { proxy in
                let mark = proxy.logMark()
                let error = await #expect(throws: TransportError.self) { try await client.manifest(for: reference) }
                return (error, Self.requests(try await proxy.requests(since: mark), path))
            }
            #expect(error?.code == .redirectFailed, "\(String(describing: error))")
            #expect(String(describing: error).contains("from HTTPS to plain HTTP"), "\(String(describing: error))")
            #expect(refused.map { $0.status } == [307], "\(Self.summary(refused))")

            // Control: the same redirect to the proxy's plain-HTTP loopback listener is followed, so the refusal
            // above is the HTTPS-to-HTTP rule, not a failing redirect.
            let plain = "\(proxy.url.absoluteString){path}?hop={hop}"
            let (document, followed) = try await proxy.withScenario(
                .redirect, params: ["location": .string(plain), "path": .string("/manifests/")]
            ) { proxy in
                let mark = proxy.logMark()
                let document = try await client.manifest(for: reference)
                return (document, Self.requests(try await proxy.requests(since: mark), path))
            }
            #expect(document.digest == pushed.manifest.digest)
            #expect(followed.map { $0.status } == [307, 200], "\(Self.summary(followed))")
        }
    }

    // MARK: Retries

    @Test("Connection errors are retried: two dropped connections, then the manifest on the third attempt")
    func connectionErrorsRetried() async throws {
        let hub = try LocalHub.required()
        let (pushed, reference) = try await Self.image(hub, through: hub.fault.registry, "drop")
        let path = Self.manifestPath(reference)
        let client = try Self.client(retry: Self.retry(4))
        defer { Task { await client.shutdown() } }

        let (document, entries) = try await hub.fault.withScenario(
            .dropConnection, params: ["times": 2, "path": .string("/manifests/")]
        ) { proxy in
            let mark = proxy.logMark()
            let document = try await client.manifest(for: reference)
            return (document, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(document.digest == pushed.manifest.digest)
        #expect(entries.map { $0.fault ?? "-" } == ["drop-connection", "drop-connection", "-"], "\(Self.summary(entries))")
        #expect(entries.last?.status == 200)

        // Without retries the same fault reaches the caller as a connection error.
        let once = try Self.client(retry: .none)
        defer { Task { await once.shutdown() } }
        let error = try await hub.fault.withScenario(.dropConnection, params: ["times": 1, "path": .string("/manifests/")]) { _ in
            await #expect(throws: TransportError.self) { try await once.manifest(for: reference) }
        }
        #expect(error?.code == .connectionFailed, "\(String(describing: error))")
    }

    @Test("A manifest PUT answered 503 twice is sent again with the same bytes; the registry stores exactly them")
    func manifestBodyReplayed() async throws {
        let hub = try LocalHub.required()
        let (pushed, reference) = try await Self.image(hub, through: hub.fault.registry, "replay")
        let target = try ImageReference(normalizing: "\(reference.domain)/\(reference.path):replayed")
        let client = try Self.client(retry: Self.retry(4))
        defer { Task { await client.shutdown() } }

        let puts = try await hub.fault.withScenario(
            .status, params: ["status": 503, "times": 2, "method": "PUT", "path": .string("/manifests/replayed$")]
        ) { proxy in
            let mark = proxy.logMark()
            try await client.putManifest(pushed.manifest, as: target)
            return Self.requests(try await proxy.requests(since: mark), "/v2/\(target.path)/manifests/replayed")
        }
        // Every attempt carried the whole manifest, byte for byte: the proxy hashed each body it read.
        #expect(puts.map { $0.status } == [503, 503, 201], "\(Self.summary(puts))")
        for put in puts {
            #expect(put.requestBytes == pushed.manifest.bytes.count)
            #expect(put.requestSHA256 == pushed.manifest.digest.description)
        }
        // The registry, asked directly, holds the manifest under the tag with the same digest and bytes.
        let stored = try await ControlHTTP.get(
            hub.open.v2("\(target.path)/manifests/replayed"), headers: ["Accept": MediaType.ociManifest.rawValue])
        #expect(stored.status == 200)
        #expect(stored.headers["docker-content-digest"] == pushed.manifest.digest.description)
        #expect(Array(stored.body) == pushed.manifest.bytes)
    }

    @Test("A monolithic blob PUT answered 503 is replayed from the file; both attempts carry the blob's bytes")
    func blobBodyReplayed() async throws {
        let hub = try LocalHub.required()
        let scratch = try TemporaryDirectory(prefix: "replay")
        defer { scratch.remove() }
        let seed: UInt64 = 0x5EED_0201
        let (file, digest, bytes) = try UploadFaultTests.blobFile(scratch, size: 400_000, seed: seed)
        let client = try Self.client(retry: Self.retry(3))
        defer { Task { await client.shutdown() } }
        let repository = try UploadFaultTests.repository(hub.fault.registry, "replay-blob")
        let blobs = try client.blobClient(for: repository, actions: [.pull, .push])

        let puts = try await hub.fault.withScenario(
            .status, params: ["status": 503, "times": 1, "method": "PUT", "path": .string("/blobs/uploads/")]
        ) { proxy in
            let mark = proxy.logMark()
            _ = try await blobs.upload(contentsOf: file, digest: digest)
            return try await proxy.requests(since: mark).filter { $0.method == "PUT" }
        }
        #expect(puts.map { $0.status } == [503, 201], "seed \(seed): \(Self.summary(puts))")
        for put in puts {
            #expect(put.requestBytes == bytes.count, "seed \(seed)")
            #expect(put.requestSHA256 == digest.description, "seed \(seed)")
        }
        let stored = try await UploadFaultTests.stored(hub, repository, digest)
        #expect(Array(stored.body) == bytes, "seed \(seed)")
    }

    @Test("Retries are bounded: a manifest GET answered 503 every time is tried maxAttempts times, then a 503 RegistryError")
    func statusRetriesExhausted() async throws {
        let hub = try LocalHub.required()
        let (_, reference) = try await Self.image(hub, through: hub.fault.registry, "exhaust")
        let path = Self.manifestPath(reference)
        let policy = Self.retry(3)
        let client = try Self.client(retry: policy)
        defer { Task { await client.shutdown() } }

        let (error, entries) = try await hub.fault.withScenario(
            .status, params: ["status": 503, "times": .null, "path": .string("/manifests/")]
        ) { proxy in
            let mark = proxy.logMark()
            let error = await #expect(throws: RegistryError.self) { try await client.manifest(for: reference) }
            return (error, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(error?.status == 503)
        #expect(error?.code == RegistryError.Code("UNAVAILABLE"), "\(String(describing: error))")
        #expect(entries.count == policy.maxAttempts, "\(Self.summary(entries))")
        #expect(entries.allSatisfy { $0.fault == "status" })
    }

    @Test("Retries are bounded: a connection dropped every time is tried maxAttempts times, then connectionFailed")
    func connectionRetriesExhausted() async throws {
        let hub = try LocalHub.required()
        let (_, reference) = try await Self.image(hub, through: hub.fault.registry, "exhaust-drop")
        let path = Self.manifestPath(reference)
        let policy = Self.retry(3)
        let client = try Self.client(retry: policy)
        defer { Task { await client.shutdown() } }

        let (error, entries) = try await hub.fault.withScenario(
            .dropConnection, params: ["times": .null, "path": .string("/manifests/")]
        ) { proxy in
            let mark = proxy.logMark()
            let error = await #expect(throws: TransportError.self) { try await client.manifest(for: reference) }
            return (error, Self.requests(try await proxy.requests(since: mark), path))
        }
        #expect(error?.code == .connectionFailed, "\(String(describing: error))")
        #expect(entries.count == policy.maxAttempts, "\(Self.summary(entries))")
        #expect(entries.allSatisfy { $0.fault == "drop-connection" })
    }
}
