@testable import Dockyard
import DockyardTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The registry client against localhub's real registries (open, Basic, token and TLS `docker-registry`) and, with
/// the same assertions, against embedded registries (open, Basic, token) that the test cases start themselves.
@Suite("RegistryClient against real registries", .requiresLocalHub, .tags(.integration))
struct RegistryClientTests {
    @Test("manifests put, get, head, resolve and delete", arguments: RegistryKind.allCases)
    func manifestRoundTrip(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            try await RegistryFixtures.withClient(try target.client()) { client in
                let reference = try target.uniqueReference("roundtrip")
                let pushed = try await RegistryFixtures.pushImage(reference, with: client)

                let byTag = try await client.manifest(for: reference)
                #expect(byTag.digest == pushed.manifest.digest)
                #expect(byTag.bytes == pushed.manifest.bytes)
                #expect(byTag.mediaType == .ociManifest)

                let byDigest = try await client.manifest(for: reference.withDigest(pushed.manifest.digest))
                #expect(byDigest.bytes == pushed.manifest.bytes)

                let descriptor = try await client.resolve(reference)
                #expect(descriptor.digest == pushed.manifest.digest)
                #expect(descriptor.size == Int64(pushed.manifest.bytes.count))
                #expect(descriptor.mediaType == .ociManifest)

                let tags = try await client.tags(in: reference.repository).collect()
                #expect(tags == ["v1"])

                let info = try await client.ping(registry: reference.domain)
                #expect(info.apiVersion == "registry/2.0")
                #expect(info.isAuthorized)
                switch kind.authentication {
                case .basic: #expect(info.authenticationScheme == .basic)
                case .token: #expect(info.authenticationScheme == .bearer)
                case .none: #expect(info.challenges.isEmpty)
                }
            }
        }
    }

    @Test("delete by tag resolves the digest; the manifest is gone afterwards", arguments: RegistryKind.plain)
    func deleteByTag(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            try await RegistryFixtures.withClient(try target.client()) { client in
                let reference = try target.uniqueReference("delete")
                let pushed = try await RegistryFixtures.pushImage(reference, with: client)
                let deleted = try await client.deleteManifest(reference)
                #expect(deleted == pushed.manifest.digest)
                let error = try await #require(throws: RegistryError.self) { try await client.manifest(for: reference) }
                #expect(error.code == .manifestUnknown)
                #expect(error.status == 404)
                #expect(error.description.contains(reference.description))
                #expect(error.description.contains("list the repository's tags"))
                #expect(!error.description.contains("dockyard tags"))
            }
        }
    }

    @Test("an unknown repository and an unknown tag become typed errors with the status kept", arguments: RegistryKind.plain)
    func typedErrors(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            try await RegistryFixtures.withClient(try target.client()) { client in
                let missing = try target.uniqueReference("missing", tag: "v9")
                let error = try await #require(throws: RegistryError.self) { try await client.manifest(for: missing) }
                #expect(error.code == .manifestUnknown || error.code == .nameUnknown)
                #expect(error.status == 404)
                #expect(error.method == "GET")
                #expect(error.errors.first?.code == error.code.rawValue)
                #expect(!error.isRetryable)

                let tagsError = try await #require(throws: RegistryError.self) {
                    try await client.tags(in: missing.repository).collect()
                }
                #expect(tagsError.code == .nameUnknown)
                #expect(tagsError.status == 404)

                let headError = try await #require(throws: RegistryError.self) { try await client.resolve(missing) }
                #expect(headError.code == .manifestUnknown)
            }
        }
    }

    @Test("manifest bytes that do not hash to the requested or reported digest are refused", .privateFaultProxies)
    func digestMismatchRefused() async throws {
        let hub = try LocalHub.required()
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        try await hub.fault.withScenario(.none) { _ in
            try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
                let reference = try ImageReference(normalizing: "\(hub.fault.host)/dockyard/digest-\(RegistryFixtures.uniqueSuffix()):v1")
                let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
                let byDigest = reference.withDigest(pushed.manifest.digest)
                try await RegistryFixtures.during(hub.fault, .corruptBlob, params: ["path": "/manifests/", "offset": 40]) {
                    let reported = try await #require(throws: RegistryError.self) { try await client.manifest(for: reference) }
                    #expect(reported.code == .invalidResponse)
                    #expect(reported.description.contains("reported"))
                    let requested = try await #require(throws: RegistryError.self) { try await client.manifest(for: byDigest) }
                    #expect(requested.code == .invalidResponse)
                    #expect(requested.description.contains(pushed.manifest.digest.description))
                }
                let good = try await client.manifest(for: byDigest)
                #expect(good.digest == pushed.manifest.digest)
            }
        }
    }

    @Test("1,050 tags are listed completely with a page size of 100", .privateFaultProxies)
    func manyTagsAcrossPages() async throws {
        let hub = try LocalHub.required()
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        let client = try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
        try await hub.fault.withScenario(.none) { _ in
            try await RegistryFixtures.withClient(client) { client in
                // Through the fault proxy (pass-through) in front of the open registry, whose log shows every query.
                let reference = try ImageReference(normalizing: "\(hub.fault.host)/dockyard/tags-\(RegistryFixtures.uniqueSuffix()):base")
                let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
                let names = (0..<1050).map { String(format: "t%04d", $0) }
                try await RegistryFixtures.forEach(names, width: 8) { tag in
                    try await client.putManifest(pushed.manifest, as: try reference.withTag(tag))
                }
                let mark = hub.fault.logMark()
                let listed = try await client.tags(in: reference.repository, pageSize: 100).collect()
                #expect(listed.count == 1051)
                #expect(Set(listed) == Set(names + ["base"]))
                // distribution 2.8 answers the whole list at once whatever `n` says; every request asked for 100.
                let requests = try await hub.fault.requests(since: mark).filter { ($0.path ?? "").contains("/tags/list") }
                #expect(!requests.isEmpty)
                #expect(requests.allSatisfy { ($0.path ?? "").contains("n=100") })
            }
        }
    }

    @Test("tag pages are followed through relative and absolute Link headers with n and last", arguments: RegistryKind.plain)
    func tagPagesFollowLinks(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in try await Self.tagPagesFollowLinks(target) }
    }

    static func tagPagesFollowLinks(_ target: RegistryUnderTest) async throws {
        let base = try AsyncHTTPTransport()
        let paginating = PaginatingTransport(wrapping: base)
        let client = try RegistryClient(credentials: AnonymousCredentials(), transport: paginating)
        do {
            let reference = try target.uniqueReference("pages", tag: "base")
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
            let names = (0..<250).map { String(format: "p%03d", $0) }
            try await RegistryFixtures.forEach(names, width: 8) { tag in
                try await client.putManifest(pushed.manifest, as: try reference.withTag(tag))
            }
            var pages: [[String]] = []
            for try await page in client.tags(in: reference.repository, pageSize: 100).pages { pages.append(page.items) }
            #expect(pages.map(\.count) == [100, 100, 51])
            #expect(pages.flatMap { $0 } == (["base"] + names).sorted())
            var streamed: [String] = []
            for try await tag in client.tags(in: reference.repository, pageSize: 100) { streamed.append(tag) }
            #expect(streamed == pages.flatMap { $0 })
            #expect(await paginating.servedQueries.count == 6)
        } catch {
            await client.shutdown()
            await base.shutdown()
            throw error
        }
        await client.shutdown()
        await base.shutdown()
    }

    @Test(
        "the catalog lists every repository across pages (admin on the token registry)",
        arguments: [RegistryKind.token, .embeddedToken])
    func catalogAcrossPages(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            // localhub's catalog is for its admin; the embedded registry's account holds every grant.
            let admin = kind.isEmbedded ? target.account : LocalHub.current?.admin
            let account = try #require(admin)
            var configuration = RegistryClient.Configuration()
            configuration.retry = .default
            let client = try RegistryClient(
                configuration: configuration,
                credentials: StaticCredentials(
                    .basic(username: account.username, password: account.password), forRegistry: target.registry.host))
            try await RegistryFixtures.withClient(client) { client in
                let suffix = RegistryFixtures.uniqueSuffix()
                let references = try (0..<3).map {
                    try ImageReference(normalizing: "\(target.registry.host)/catalog-\(suffix)/r\($0):v1")
                }
                for reference in references { try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64) }
                var pages = 0
                var all: [String] = []
                for try await page in client.catalog(registry: target.registry.host, pageSize: 2).pages {
                    pages += 1
                    all += page.items
                }
                #expect(pages >= 2)
                for reference in references { #expect(all.contains(reference.path)) }
                #expect(Set(all).count == all.count)
            }
        }
    }

    @Test("referrers fall back to the tag schema on a registry without the referrers API")
    func referrersTagSchema() async throws {
        let hub = try LocalHub.required()
        let target = try #require(RegistryUnderTest.all(hub).first { $0.name == "open" })
        try await RegistryFixtures.withClient(try target.client()) { client in
            let reference = try target.uniqueReference("referrers")
            let pushed = try await RegistryFixtures.pushImage(reference, with: client)
            #expect(try await client.referrers(of: pushed.manifest.digest, in: reference.repository).collect().isEmpty)

            let emptyConfig = try await RegistryFixtures.uploadBlob(Array("{}".utf8), to: reference.repository, with: client)
            let artifactText = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "artifactType":"application/vnd.example.sbom",\
                "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(emptyConfig)","size":2},\
                "layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(emptyConfig)","size":2}],\
                "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(pushed.manifest.digest)",\
                "size":\(pushed.manifest.bytes.count)}}
                """
            let artifact = try ManifestDocument(bytes: Array(artifactText.utf8), mediaType: nil)
            try await client.putManifest(artifact, as: reference.withDigest(artifact.digest))
            let indexText = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\
                {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(artifact.digest)",\
                "size":\(artifact.bytes.count),"artifactType":"application/vnd.example.sbom"}]}
                """
            let index = try ManifestDocument(bytes: Array(indexText.utf8), mediaType: nil)
            let schemaTag = "sha256-\(pushed.manifest.digest.encoded)"
            try await client.putManifest(index, as: try ImageReference(normalizing: "\(reference.repository.name):\(schemaTag)"))

            let all = try await client.referrers(of: pushed.manifest.digest, in: reference.repository).collect()
            #expect(all.map(\.digest) == [artifact.digest])
            let sboms = try await client.referrers(
                of: pushed.manifest.digest, in: reference.repository, artifactType: "application/vnd.example.sbom").collect()
            #expect(sboms.count == 1)
            let signatures = try await client.referrers(
                of: pushed.manifest.digest, in: reference.repository, artifactType: "application/vnd.example.signature").collect()
            #expect(signatures.isEmpty)
        }
    }

    @Test("an index resolves to the manifest of the requested platform", arguments: RegistryKind.plain)
    func resolvePlatform(kind: RegistryKind) async throws {
        try await RegistryUnderTest.with(kind) { target in
            try await RegistryFixtures.withClient(try target.client()) { client in
                let reference = try target.uniqueReference("multi")
                let amd = try await RegistryFixtures.pushImage(
                    try reference.withTag("amd64"), with: client, architecture: "amd64")
                let arm = try await RegistryFixtures.pushImage(
                    try reference.withTag("arm64"), with: client, architecture: "arm64")
                let indexText = """
                    {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\
                    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(amd.manifest.digest)",\
                    "size":\(amd.manifest.bytes.count),"platform":{"architecture":"amd64","os":"linux"}},\
                    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(arm.manifest.digest)",\
                    "size":\(arm.manifest.bytes.count),"platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
                    """
                let index = try ManifestDocument(bytes: Array(indexText.utf8), mediaType: nil)
                try await client.putManifest(index, as: reference)
                let fetched = try await client.manifest(for: reference)
                #expect(fetched.mediaType == .ociIndex)

                let chosen = try await client.resolve(reference, platform: try Platform(parsing: "linux/arm64"))
                #expect(chosen.digest == arm.manifest.digest)
                let other = try await client.resolve(reference, platform: try Platform(parsing: "linux/amd64"))
                #expect(other.digest == amd.manifest.digest)
                let error = try await #require(throws: RegistryError.self) {
                    try await client.resolve(reference, platform: try Platform(parsing: "windows/amd64"))
                }
                #expect(error.code == .platformUnknown)
            }
        }
    }

    @Test("an untrusted TLS certificate is refused clearly, and accepted with the CA")
    func tlsTrust() async throws {
        let hub = try LocalHub.required()
        var configuration = RegistryClient.Configuration()
        configuration.endpoints[hub.tls.host] = hub.tls.url
        configuration.retry = .none
        try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
            let error = try await #require(throws: TransportError.self) { try await client.ping(registry: hub.tls.host) }
            #expect(error.code == .tlsFailed)
            #expect(!error.description.isEmpty)
        }
        configuration.additionalTrustRoots = [hub.tlsCA]
        try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
            let info = try await client.ping(registry: hub.tls.host)
            #expect(info.isAuthorized)
        }
    }

    @Test("pulls try the mirror first and fall back to the registry; credentials stay with the registry", .privateFaultProxies)
    func mirrorsBeforeUpstream() async throws {
        let hub = try LocalHub.required()
        let suffix = RegistryFixtures.uniqueSuffix()
        let account = hub.basicAccount
        // The upstream is the Basic registry (named docker.io here); the open registry, seen through the fault
        // proxy (whose log records whether a request carried `Authorization`), mirrors it.
        var configuration = RegistryClient.Configuration()
        configuration.endpoints["docker.io"] = hub.basic.url
        configuration.mirrors["docker.io"] = [hub.fault.url]
        let credentials = StaticCredentials(.basic(username: account.username, password: account.password), forRegistry: "docker.io")
        let onMirror = try ImageReference(normalizing: "\(hub.open.host)/\(account.username)/mirrored-\(suffix):v1")
        let onUpstream = try ImageReference(normalizing: "\(hub.basic.host)/\(account.username)/upstream-\(suffix):v1")
        let mirrored = try await RegistryFixtures.withClient(try RegistryClient(credentials: AnonymousCredentials())) {
            try await RegistryFixtures.pushImage(onMirror, with: $0, layerSize: 64)
        }
        let upstream = try await RegistryFixtures.withClient(
            try RegistryClient(credentials: StaticCredentials(.basic(username: account.username, password: account.password), forRegistry: hub.basic.host))
        ) {
            try await RegistryFixtures.pushImage(onUpstream, with: $0, layerSize: 64)
        }
        try await hub.fault.withScenario(.none) { _ in
            try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: credentials)) { client in
                let mark = hub.fault.logMark()
                // The upstream first, so that the registry's Basic credentials are known (and cached) before the
                // mirror is asked for something it has.
                let viaUpstream = try await client.manifest(for: try ImageReference(normalizing: "docker.io/\(onUpstream.path):v1"))
                #expect(viaUpstream.digest == upstream.manifest.digest)
                let viaMirror = try await client.manifest(for: try ImageReference(normalizing: "docker.io/\(onMirror.path):v1"))
                #expect(viaMirror.digest == mirrored.manifest.digest)
                #expect(try client.endpoint(forRegistry: "docker.io") == hub.basic.url)
                let mirrorRequests = try await hub.fault.requests(since: mark).filter {
                    $0.event == nil && ($0.path ?? "").contains("-\(suffix)/manifests/")
                }
                // Both lookups asked the mirror first (the upstream one got a 404 there), without credentials.
                #expect(mirrorRequests.count >= 2)
                #expect(mirrorRequests.allSatisfy { $0.authorization == false })
            }
        }
    }

    @Test("a loopback registry named without an endpoint: HTTPS first, plain HTTP when it does not speak TLS")
    func schemeDiscovery() async throws {
        let hub = try LocalHub.required()
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
            // The TLS registry's certificate is not trusted: reported, never downgraded to plain HTTP.
            let refused = try await #require(throws: TransportError.self) { try await client.ping(registry: hub.tls.host) }
            #expect(refused.code == .tlsFailed)
            #expect(try client.endpoint(forRegistry: hub.tls.host).scheme == "https")
            // The open registry speaks plain HTTP: found out once, then used directly.
            #expect(try client.endpoint(forRegistry: hub.open.host).scheme == "https")
            let info = try await client.ping(registry: hub.open.host)
            #expect(info.endpoint.scheme == "http")
            #expect(try client.endpoint(forRegistry: hub.open.host).scheme == "http")
        }
        configuration.additionalTrustRoots = [hub.tlsCA]
        try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
            let reference = try ImageReference(normalizing: "\(hub.tls.host)/dockyard/by-name-\(RegistryFixtures.uniqueSuffix()):v1")
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
            let fetched = try await client.manifest(for: reference)
            #expect(fetched.digest == pushed.manifest.digest)
            #expect(try client.endpoint(forRegistry: hub.tls.host).scheme == "https")
        }
    }

    @Test("configuration is validated at creation")
    func configurationValidation() async throws {
        var plainRemote = RegistryClient.Configuration()
        plainRemote.endpoints["registry.example.com"] = URL(string: "http://registry.example.com")
        let error = try #require(throws: RegistryError.self) { try RegistryClient(configuration: plainRemote) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.description.contains("insecureRegistries"))
        #expect(!error.description.contains("--"))

        plainRemote.insecureRegistries = ["registry.example.com"]
        let client = try RegistryClient(configuration: plainRemote)
        let insecure = try client.endpoint(forRegistry: "registry.example.com")
        let hub = try client.endpoint(forRegistry: "docker.io")
        let loopback = try client.endpoint(forRegistry: "127.0.0.1:5000")
        let other = try client.endpoint(forRegistry: "ghcr.io")
        let ubuntu = try client.baseURL(for: try Repository(normalizing: "ubuntu"))
        await client.shutdown()
        // A configured endpoint is used as it is; a loopback registry is tried over HTTPS first, as docker does.
        #expect(insecure.absoluteString == "http://registry.example.com")
        #expect(hub.absoluteString == "https://registry-1.docker.io")
        #expect(loopback.absoluteString == "https://127.0.0.1:5000")
        #expect(other.absoluteString == "https://ghcr.io")
        #expect(ubuntu.absoluteString == "https://registry-1.docker.io/v2/library/ubuntu/")

        var badMirror = RegistryClient.Configuration()
        badMirror.mirrors["docker.io"] = [URL(fileURLWithPath: "/tmp/mirror")]
        let mirrorError = try #require(throws: RegistryError.self) { try RegistryClient(configuration: badMirror) }
        #expect(mirrorError.description.contains("http://"))

        var withCredentials = RegistryClient.Configuration()
        withCredentials.endpoints["r.example"] = URL(string: "https://user:pw@r.example")
        let credentialError = try #require(throws: RegistryError.self) { try RegistryClient(configuration: withCredentials) }
        #expect(!credentialError.description.contains("pw"))

        var missingCA = RegistryClient.Configuration()
        missingCA.additionalTrustRoots = [URL(fileURLWithPath: "/nonexistent/ca.pem")]
        #expect(throws: RegistryError.self) { try RegistryClient(configuration: missingCA) }
    }

    @Test("a 429 is a typed, retryable error carrying Retry-After and the rate limit", .privateFaultProxies)
    func rateLimitedAnswer() async throws {
        let hub = try LocalHub.required()
        var configuration = RegistryClient.Configuration()
        configuration.retry = .none
        try await hub.fault.withScenario(.none) { _ in
            try await RegistryFixtures.withClient(try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())) { client in
                let reference = try ImageReference(normalizing: "\(hub.fault.host)/dockyard/ratelimit-\(RegistryFixtures.uniqueSuffix()):v1")
                try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
                try await RegistryFixtures.during(hub.fault, .status, params: ["status": 429, "times": 1, "path": "/manifests/"]) {
                    let error = try await #require(throws: RegistryError.self) { try await client.manifest(for: reference) }
                    #expect(error.code == .tooManyRequests)
                    #expect(error.status == 429)
                    #expect(error.isRetryable)
                    #expect(error.retryAfter != nil)
                    #expect(error.rateLimit?.remaining == 0)
                    #expect(error.rateLimit?.limit == 100)
                }
                #expect(await client.lastRateLimit?.remaining == 0)
                try await RegistryFixtures.during(hub.fault, .status, params: ["status": 429, "times": 1, "path": "/manifests/", "method": "HEAD"]) {
                    let limit = try await client.rateLimit(for: reference)
                    #expect(limit?.limit == 100)
                    #expect(limit?.window == .seconds(21600))
                }
                #expect(try await client.rateLimit(for: reference) == nil)
            }
        }
    }
}
