import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import NIOConcurrencyHelpers
import Testing

/// The client's paging and referrers filtering against the embedded registry, which honours `n` and `last`, serves
/// the referrers API and says `OCI-Filters-Applied`. The registry's request log is the witness of what the client
/// asked for.
@Suite("Paging and referrers against the embedded registry", .tags(.integration))
struct EmbeddedRegistryPagingTests {
    /// Starts a registry with a request log and gives `body` a client whose endpoint for it is set.
    static func withRegistry(
        _ body: (EmbeddedRegistry, EmbeddedRegistryUploadTests.RequestLog, RegistryClient) async throws -> Void
    ) async throws {
        let log = EmbeddedRegistryUploadTests.RequestLog()
        try await EmbeddedRegistry.withRegistry(.init(requestLog: log.append)) { registry in
            var configuration = RegistryClient.Configuration(retry: .none)
            configuration.endpoints[registry.host] = registry.url
            let client = try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
            try await RegistryFixtures.withClient(client) { try await body(registry, log, $0) }
        }
    }

    /// `count` distinct valid tags drawn from `seed`: letters, digits, `.`, `_` and `-`, 1 to 12 characters.
    static func tags(_ count: Int, seed: UInt64) -> [String] {
        var generator = SeededGenerator(state: seed)
        let first = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        let rest = first + Array(".-")
        var tags: [String] = []
        while tags.count < count {
            let length = Int.random(in: 1...12, using: &generator)
            var tag = String(first[Int.random(in: 0..<first.count, using: &generator)])
            for _ in 1..<length { tag.append(rest[Int.random(in: 0..<rest.count, using: &generator)]) }
            if !tags.contains(tag) { tags.append(tag) }
        }
        return tags
    }

    /// The `n` and `last` of every logged request whose path is `path`, in order.
    static func pageRequests(_ log: EmbeddedRegistryUploadTests.RequestLog, path: String) -> [(n: String?, last: String?)] {
        log.all.filter { $0.method == "GET" && $0.target.split(separator: "?").first.map(String.init) == path }.map { record in
            let items = URLComponents(string: record.target)?.queryItems ?? []
            return (items.first { $0.name == "n" }?.value, items.first { $0.name == "last" }?.value)
        }
    }

    @Test("Tags in pages of 10: every request asks n=10 and last=the previous page's last tag; all 25 come back sorted")
    func tagPaging() async throws {
        try await Self.withRegistry { registry, log, client in
            let seed: UInt64 = 0x5EED_0401
            let tags = Self.tags(25, seed: seed)
            let reference = try ImageReference(normalizing: "\(registry.host)/team/paging:\(tags[0])")
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
            for tag in tags.dropFirst() {
                try await client.putManifest(pushed.manifest, as: try ImageReference(normalizing: "\(registry.host)/team/paging:\(tag)"))
            }

            let listed = try await client.tags(in: reference.repository, pageSize: 10).collect()
            let expected = tags.sorted()
            #expect(listed == expected, "seed \(seed)")
            let requests = Self.pageRequests(log, path: "/v2/team/paging/tags/list")
            #expect(requests.map(\.n) == ["10", "10", "10"], "seed \(seed): \(requests)")
            #expect(requests.map(\.last) == [nil, expected[9], expected[19]], "seed \(seed): \(requests)")
        }
    }

    @Test("The catalog in pages of 7: n=7 and last on every request; all 23 repositories come back sorted")
    func catalogPaging() async throws {
        try await Self.withRegistry { registry, log, client in
            let seed: UInt64 = 0x5EED_0402
            // Repository components are lower case; the tag generator's names, lower-cased and deduplicated, do.
            var names: [String] = []
            for tag in Self.tags(60, seed: seed) {
                let name = "cat/" + tag.lowercased().filter { $0.isLetter || $0.isNumber }
                if name.count > 4, !names.contains(name) { names.append(name) }
                if names.count == 23 { break }
            }
            try #require(names.count == 23, "seed \(seed)")
            for name in names {
                _ = try await RegistryFixtures.uploadBlob(Array(name.utf8), to: try Repository(parsing: "\(registry.host)/\(name)"), with: client)
            }
            let listed = try await client.catalog(registry: registry.host, pageSize: 7).collect()
            // A repository exists once it holds a blob; the catalog is the whole registry, so exactly these.
            let expected = names.sorted()
            #expect(listed == expected, "seed \(seed)")
            let requests = Self.pageRequests(log, path: "/v2/_catalog")
            #expect(requests.map(\.n) == ["7", "7", "7", "7"], "seed \(seed): \(requests)")
            #expect(requests.map(\.last) == [nil, expected[6], expected[13], expected[20]], "seed \(seed): \(requests)")
        }
    }

    /// Pushes a subject image and two artifacts that refer to it (a signature and an SBOM), by digest.
    static func pushReferrers(
        _ registry: EmbeddedRegistry, _ client: RegistryClient, repository: String
    ) async throws -> (subject: ContentDigest, signature: ContentDigest, sbom: ContentDigest) {
        let reference = try ImageReference(normalizing: "\(registry.host)/\(repository):v1")
        let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
        let empty = try await RegistryFixtures.uploadBlob(Array("{}".utf8), to: reference.repository, with: client)
        func artifact(_ type: String) async throws -> ContentDigest {
            let text = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"\(type)",\
                "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(empty)","size":2},\
                "layers":[{"mediaType":"application/vnd.oci.empty.v1+json","digest":"\(empty)","size":2}],\
                "subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(pushed.manifest.digest)",\
                "size":\(pushed.manifest.bytes.count)}}
                """
            let document = try ManifestDocument(bytes: Array(text.utf8), mediaType: nil)
            try await client.putManifest(document, as: try ImageReference(normalizing: "\(registry.host)/\(repository)@\(document.digest)"))
            return document.digest
        }
        return (pushed.manifest.digest, try await artifact("application/vnd.example.signature"), try await artifact("application/vnd.example.sbom"))
    }

    @Test("The referrers API answers 200: every referrer, then only the asked artifactType, filtered by the registry")
    func referrersAPI() async throws {
        try await Self.withRegistry { registry, log, client in
            let (subject, signature, sbom) = try await Self.pushReferrers(registry, client, repository: "team/signed")
            let repository = try Repository(parsing: "\(registry.host)/team/signed")

            let all = try await client.referrers(of: subject, in: repository).collect()
            #expect(Set(all.map(\.digest)) == [signature, sbom])
            #expect(Set(all.compactMap(\.artifactType?.rawValue)) == ["application/vnd.example.signature", "application/vnd.example.sbom"])

            let signatures = try await client.referrers(of: subject, in: repository, artifactType: MediaType(rawValue: "application/vnd.example.signature")).collect()
            #expect(signatures.map(\.digest) == [signature])

            // Both answers came from the referrers API (200), the second with the filter in the query; the tag-schema
            // fallback (a manifest GET of sha256-<hex>) was never asked.
            let referrerRequests = log.all.filter { $0.target.hasPrefix("/v2/team/signed/referrers/") }
            #expect(referrerRequests.map { $0.status } == [200, 200], "\(log.all.map(\.description))")
            #expect(referrerRequests.last?.target.contains("artifactType=application%2Fvnd.example.signature") == true
                || referrerRequests.last?.target.contains("artifactType=application/vnd.example.signature") == true,
                "\(referrerRequests.map(\.target))")
            #expect(!log.all.contains { $0.target.contains("/manifests/sha256-") }, "\(log.all.map(\.description))")

            // The registry did filter and said so: an independent client (curl) sees the header and one entry.
            let direct = try await ControlHTTP.get(
                registry.url.appendingPathComponent("v2/team/signed/referrers/\(subject)")
                    .appending(queryItems: [URLQueryItem(name: "artifactType", value: "application/vnd.example.signature")]))
            #expect(direct.headers["oci-filters-applied"] == "artifactType")
        }
    }

    @Test("A registry that ignores artifactType (no OCI-Filters-Applied): the client filters the 200 answer itself", .requiresLocalHub)
    func referrersFilteredLocally() async throws {
        let log = EmbeddedRegistryUploadTests.RequestLog()
        try await EmbeddedRegistry.withRegistry(.init(requestLog: log.append)) { registry in
            try await FaultProxy.launch(inFrontOf: registry.url) { proxy in
                var configuration = RegistryClient.Configuration(retry: .none)
                configuration.endpoints[registry.host] = registry.url
                configuration.endpoints[proxy.host] = proxy.url
                let client = try RegistryClient(configuration: configuration, credentials: AnonymousCredentials())
                try await RegistryFixtures.withClient(client) { client in
                    let (subject, signature, _) = try await Self.pushReferrers(registry, client, repository: "team/unfiltered")
                    let repository = try Repository(parsing: "\(proxy.host)/team/unfiltered")
                    let (signatures, entries) = try await proxy.withScenario(.dropQuery) { proxy in
                        let mark = proxy.logMark()
                        let signatures = try await client.referrers(
                            of: subject, in: repository, artifactType: MediaType(rawValue: "application/vnd.example.signature")).collect()
                        return (signatures, try await proxy.requests(since: mark).filter { $0.event == nil })
                    }
                    // The registry saw no filter and answered both referrers without the header...
                    #expect(entries.map(\.fault) == ["drop-query"])
                    #expect(log.all.last { $0.target.hasPrefix("/v2/team/unfiltered/referrers/") }?.target.contains("artifactType") == false)
                    // ...and the client kept only the signature.
                    #expect(signatures.map(\.digest) == [signature])
                }
            }
        }
    }
}
