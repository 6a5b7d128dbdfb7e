import Crypto
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// The embedded registry's protocol, checked with curl (an independent client) against the distribution spec.
@Suite("EmbeddedRegistry protocol")
struct EmbeddedRegistryTests {
    static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Pushes `bytes` as a blob with a single POST and returns its digest.
    @discardableResult
    static func pushBlob(_ registry: EmbeddedRegistry, _ repository: String, _ bytes: [UInt8]) async throws -> String {
        let digest = digest(bytes)
        let response = try await ControlHTTP.send(
            "POST", registry.url.appendingPathComponent("v2/\(repository)/blobs/uploads/").appending(digest: digest),
            body: Data(bytes), headers: ["Content-Type": "application/octet-stream"])
        #expect(response.status == 201, "\(response.text)")
        return digest
    }

    /// Pushes a small image manifest (config + one layer) under `tag` and returns its digest and bytes.
    static func pushImage(
        _ registry: EmbeddedRegistry, _ repository: String, tag: String, layer: [UInt8] = Array("layer".utf8),
        extra: String = ""
    ) async throws -> (digest: String, bytes: Data) {
        let config = Array("{\"architecture\":\"amd64\",\"os\":\"linux\"}".utf8)
        let configDigest = try await pushBlob(registry, repository, config)
        let layerDigest = try await pushBlob(registry, repository, layer)
        let manifest = Data("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":\(config.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layerDigest)","size":\(layer.count)}]\(extra)}
            """.utf8)
        let response = try await ControlHTTP.send(
            "PUT", registry.url.appendingPathComponent("v2/\(repository)/manifests/\(tag)"), body: manifest,
            headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"])
        #expect(response.status == 201, "\(response.text)")
        return (digest(Array(manifest)), manifest)
    }

    @Test("/v2/ answers, and after shutdown nothing listens")
    func pingAndShutdown() async throws {
        let registry = try await EmbeddedRegistry.start()
        let response = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/"))
        #expect(response.status == 200)
        #expect(response.headers["docker-distribution-api-version"] == "registry/2.0")
        #expect(registry.url.absoluteString == "http://\(registry.host)")
        await registry.shutdown()
        await #expect(throws: (any Error).self) {
            _ = try await ControlHTTP.send("GET", registry.url.appendingPathComponent("v2/"), timeout: 5)
        }
    }

    @Test("chunked upload: Range answers, out-of-order chunk refused with 416, status, wrong digest refused")
    func chunkedUpload() async throws {
        try await EmbeddedRegistry.withRegistry(.init(minimumChunkLength: 4)) { registry in
            let start = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"))
            #expect(start.status == 202)
            #expect(start.headers["oci-chunk-min-length"] == "4")
            let location = try #require(start.headers["location"])
            let session = try #require(URL(string: location, relativeTo: registry.url)?.absoluteURL)

            let first = try await ControlHTTP.send(
                "PATCH", session, body: Data("hello".utf8), headers: ["Content-Range": "0-4", "Content-Type": "application/octet-stream"])
            #expect(first.status == 202)
            #expect(first.headers["range"] == "0-4")

            let skipped = try await ControlHTTP.send("PATCH", session, body: Data("xxxxx".utf8), headers: ["Content-Range": "10-14"])
            #expect(skipped.status == 416)
            #expect(skipped.headers["range"] == "0-4")

            let status = try await ControlHTTP.send("GET", session)
            #expect(status.status == 204)
            #expect(status.headers["range"] == "0-4")

            let second = try await ControlHTTP.send("PATCH", session, body: Data(" world".utf8), headers: ["Content-Range": "5-10"])
            #expect(second.status == 202)
            #expect(second.headers["range"] == "0-10")

            let wrong = try await ControlHTTP.send("PUT", session.appending(digest: Self.digest(Array("nope".utf8))))
            #expect(wrong.status == 400)
            #expect(try wrong.json()["errors"]?[0]?["code"]?.string == "DIGEST_INVALID")
            // A refused digest ends the session.
            #expect(try await ControlHTTP.send("GET", session).status == 404)

            // Again, properly, with the last chunk in the PUT.
            let again = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"))
            let location2 = try #require(again.headers["location"])
            let session2 = try #require(URL(string: location2, relativeTo: registry.url)?.absoluteURL)
            _ = try await ControlHTTP.send("PATCH", session2, body: Data("hello".utf8))
            let digest = Self.digest(Array("hello world".utf8))
            let done = try await ControlHTTP.send("PUT", session2.appending(digest: digest), body: Data(" world".utf8))
            #expect(done.status == 201)
            #expect(done.headers["docker-content-digest"] == digest)
            let blob = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/team/app/blobs/\(digest)"))
            #expect(blob.text == "hello world")
        }
    }

    @Test("blob GET with Range: 206 with Content-Range, 416 beyond the end; HEAD has no body")
    func blobRanges() async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            let bytes = Array((0..<2048).map { UInt8($0 % 251) })
            let digest = try await Self.pushBlob(registry, "ranges", bytes)
            let url = registry.url.appendingPathComponent("v2/ranges/blobs/\(digest)")
            let part = try await ControlHTTP.send("GET", url, headers: ["Range": "bytes=500-1499"])
            #expect(part.status == 206)
            #expect(part.headers["content-range"] == "bytes 500-1499/2048")
            #expect(Array(part.body) == Array(bytes[500..<1500]))
            let suffix = try await ControlHTTP.send("GET", url, headers: ["Range": "bytes=-100"])
            #expect(Array(suffix.body) == Array(bytes[1948...]))
            let beyond = try await ControlHTTP.send("GET", url, headers: ["Range": "bytes=5000-"])
            #expect(beyond.status == 416)
            let head = try await ControlHTTP.send("HEAD", url)
            #expect(head.status == 200)
            #expect(head.headers["content-length"] == "2048")
            #expect(head.headers["docker-content-digest"] == digest)
            // Blobs belong to repositories: another repository does not see it until it mounts it.
            let other = registry.url.appendingPathComponent("v2/elsewhere/blobs/\(digest)")
            #expect(try await ControlHTTP.send("HEAD", other).status == 404)
            var mountURL = registry.url.appendingPathComponent("v2/elsewhere/blobs/uploads/")
            mountURL.append(queryItems: [URLQueryItem(name: "mount", value: digest), URLQueryItem(name: "from", value: "ranges")])
            let mount = try await ControlHTTP.send("POST", mountURL)
            #expect(mount.status == 201)
            #expect(try await ControlHTTP.send("HEAD", other).status == 200)
            #expect(try await ControlHTTP.send("DELETE", url).status == 202)
            #expect(try await ControlHTTP.send("HEAD", url).status == 404)
            #expect(try await ControlHTTP.send("HEAD", other).status == 200)
        }
    }

    @Test("manifests: digest header, tags, missing blobs refused, subject and filtered referrers, deletes")
    func manifestsAndReferrers() async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            let image = try await Self.pushImage(registry, "team/app", tag: "v1")
            let get = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/team/app/manifests/v1"))
            #expect(get.status == 200)
            #expect(get.body == image.bytes)
            #expect(get.headers["docker-content-digest"] == image.digest)
            #expect(get.headers["content-type"] == "application/vnd.oci.image.manifest.v1+json")

            let missing = Data("""
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(Self.digest([1]))","size":1},"layers":[]}
                """.utf8)
            let refused = try await ControlHTTP.send(
                "PUT", registry.url.appendingPathComponent("v2/team/app/manifests/broken"), body: missing,
                headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"])
            #expect(refused.status == 400)
            #expect(try refused.json()["errors"]?[0]?["code"]?.string == "MANIFEST_BLOB_UNKNOWN")

            let subject = ",\"artifactType\":\"application/vnd.example.sbom\",\"subject\":{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"\(image.digest)\",\"size\":\(image.bytes.count)}"
            let sbom = try await Self.pushImage(registry, "team/app", tag: "sbom", layer: Array("sbom".utf8), extra: subject)
            let signature = try await Self.pushImage(
                registry, "team/app", tag: "sig", layer: Array("sig".utf8),
                extra: subject.replacingOccurrences(of: "example.sbom", with: "example.signature"))
            let all = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/team/app/referrers/\(image.digest)"))
            #expect(all.headers["content-type"] == "application/vnd.oci.image.index.v1+json")
            let digests = Set(try all.json()["manifests"]?.array?.compactMap { $0["digest"]?.string } ?? [])
            #expect(digests == [sbom.digest, signature.digest])
            var filteredURL = registry.url.appendingPathComponent("v2/team/app/referrers/\(image.digest)")
            filteredURL.append(queryItems: [URLQueryItem(name: "artifactType", value: "application/vnd.example.sbom")])
            let filtered = try await ControlHTTP.get(filteredURL)
            #expect(filtered.headers["oci-filters-applied"] == "artifactType")
            #expect(try filtered.json()["manifests"]?.array?.compactMap { $0["digest"]?.string } == [sbom.digest])

            let byDigest = registry.url.appendingPathComponent("v2/team/app/manifests/\(image.digest)")
            #expect(try await ControlHTTP.send("DELETE", registry.url.appendingPathComponent("v2/team/app/manifests/v1")).status == 202)
            #expect(try await ControlHTTP.send("HEAD", byDigest).status == 200)
            #expect(try await ControlHTTP.send("DELETE", byDigest).status == 202)
            let gone = try await ControlHTTP.get(byDigest)
            #expect(gone.status == 404)
            #expect(try gone.json()["errors"]?[0]?["code"]?.string == "MANIFEST_UNKNOWN")
            let contents = await registry.contents()
            #expect(contents["team/app"]?.tags.keys.sorted() == ["sbom", "sig"])
        }
    }

    @Test("tag list and catalog page with n and last, and a Link header")
    func pagination() async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            for tag in ["c", "a", "b", "d"] { _ = try await Self.pushImage(registry, "paged", tag: tag) }
            _ = try await Self.pushImage(registry, "another", tag: "x")
            var url = registry.url.appendingPathComponent("v2/paged/tags/list")
            url.append(queryItems: [URLQueryItem(name: "n", value: "2")])
            let first = try await ControlHTTP.get(url)
            #expect(try first.json()["tags"]?.array?.compactMap(\.string) == ["a", "b"])
            #expect(first.headers["link"] == "</v2/paged/tags/list?n=2&last=b>; rel=\"next\"")
            url.append(queryItems: [URLQueryItem(name: "last", value: "b")])
            let second = try await ControlHTTP.get(url)
            #expect(try second.json()["tags"]?.array?.compactMap(\.string) == ["c", "d"])
            #expect(second.headers["link"] == nil)
            let catalog = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/_catalog"))
            #expect(try catalog.json()["repositories"]?.array?.compactMap(\.string) == ["another", "paged"])
            let unknown = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/nothing/tags/list"))
            #expect(unknown.status == 404)
            #expect(try unknown.json()["errors"]?[0]?["code"]?.string == "NAME_UNKNOWN")
            let badName = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/UPPER/tags/list"))
            #expect(badName.status == 400)
            #expect(try badName.json()["errors"]?[0]?["code"]?.string == "NAME_INVALID")
        }
    }

    @Test("a client that asks for Connection: close still gets a large blob whole")
    func connectionCloseLargeBlob() async throws {
        try await EmbeddedRegistry.withRegistry { registry in
            let bytes = (0..<(48 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12) }
            let digest = try await Self.pushBlob(registry, "big", bytes)
            let blob = try await ControlHTTP.send(
                "GET", registry.url.appendingPathComponent("v2/big/blobs/\(digest)"), headers: ["Connection": "close"])
            #expect(blob.status == 200)
            #expect(blob.body.count == bytes.count)
            #expect(Self.digest(Array(blob.body)) == digest)
        }
    }

    @Test("directory storage: content survives a restart, files are content-addressed, no temporary files remain")
    func directoryStorage() async throws {
        let scratch = try TemporaryDirectory(prefix: "registry-storage")
        defer { scratch.remove() }
        let configuration = EmbeddedRegistry.Configuration(storage: .directory(scratch.url))
        let image = try await EmbeddedRegistry.withRegistry(configuration) { registry in
            try await Self.pushImage(registry, "kept/app", tag: "v1", layer: Array(repeating: 7, count: 3 << 20))
        }
        let hex = String(image.digest.dropFirst("sha256:".count))
        #expect(FileManager.default.fileExists(atPath: scratch.appending("blobs", "sha256", hex).path))
        #expect((try FileManager.default.contentsOfDirectory(atPath: scratch.appending("tmp").path)).isEmpty)
        try await EmbeddedRegistry.withRegistry(configuration) { registry in
            let get = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/kept/app/manifests/v1"))
            #expect(get.status == 200)
            #expect(get.body == image.bytes)
            let layer = Self.digest(Array(repeating: 7, count: 3 << 20))
            let blob = try await ControlHTTP.get(registry.url.appendingPathComponent("v2/kept/app/blobs/\(layer)"))
            #expect(blob.body.count == 3 << 20)
            #expect(Self.digest(Array(blob.body)) == layer)
        }
    }

    @Test("read-only mode refuses changes with 405 UNSUPPORTED; upload and manifest limits answer 413")
    func readOnlyAndLimits() async throws {
        try await EmbeddedRegistry.withRegistry(.init(readOnly: true)) { registry in
            let refused = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/ro/blobs/uploads/"))
            #expect(refused.status == 405)
            #expect(try refused.json()["errors"]?[0]?["code"]?.string == "UNSUPPORTED")
            #expect(try await ControlHTTP.get(registry.url.appendingPathComponent("v2/")).status == 200)
        }
        let limits = EmbeddedRegistry.Configuration.Limits(manifestBytes: 64, uploadBytes: 1000)
        try await EmbeddedRegistry.withRegistry(.init(limits: limits)) { registry in
            let bytes = [UInt8](repeating: 1, count: 4000)
            let upload = try await ControlHTTP.send(
                "POST", registry.url.appendingPathComponent("v2/small/blobs/uploads/").appending(digest: Self.digest(bytes)),
                body: Data(bytes))
            #expect(upload.status == 413)
            let manifest = try await ControlHTTP.send(
                "PUT", registry.url.appendingPathComponent("v2/small/manifests/v1"), body: Data(repeating: 32, count: 100),
                headers: ["Content-Type": "application/vnd.oci.image.manifest.v1+json"])
            #expect(manifest.status == 413)
        }
    }

    @Test("Basic authentication: plain credentials and an htpasswd file with bcrypt")
    func basicAuthentication() async throws {
        try await EmbeddedRegistry.withRegistry(.init(authentication: .basic(["alice": "wonderland"]))) { registry in
            let url = registry.url.appendingPathComponent("v2/")
            let anonymous = try await ControlHTTP.get(url)
            #expect(anonymous.status == 401)
            #expect(anonymous.headers["www-authenticate"]?.hasPrefix("Basic realm=") == true)
            let good = try await ControlHTTP.get(url, headers: ["Authorization": Self.basic("alice", "wonderland")])
            #expect(good.status == 200)
            let wrong = try await ControlHTTP.get(url, headers: ["Authorization": Self.basic("alice", "wrong")])
            #expect(wrong.status == 401)
        }
        let scratch = try TemporaryDirectory(prefix: "htpasswd")
        defer { scratch.remove() }
        // Made with `htpasswd -B -C 5` semantics (Debian's libxcrypt, `$2b$`), password "wonderland".
        let file = scratch.appending("htpasswd")
        try "# users\nalice:$2b$05$zGn5QN9l8bVMpBZeYFiYtepmNgx8fToXw/nbqsdix4WAq.hyXi8By\n".write(to: file, atomically: true, encoding: .utf8)
        try await EmbeddedRegistry.withRegistry(.init(authentication: .htpasswd(file))) { registry in
            let url = registry.url.appendingPathComponent("v2/")
            let good = try await ControlHTTP.get(url, headers: ["Authorization": Self.basic("alice", "wonderland")])
            #expect(good.status == 200)
            let wrongPassword = try await ControlHTTP.get(url, headers: ["Authorization": Self.basic("alice", "wonderlanD")])
            #expect(wrongPassword.status == 401)
            let unknownUser = try await ControlHTTP.get(url, headers: ["Authorization": Self.basic("bob", "wonderland")])
            #expect(unknownUser.status == 401)
        }
        try "alice:{SHA}plain\n".write(to: file, atomically: true, encoding: .utf8)
        await #expect(throws: EmbeddedRegistryError.self) {
            try await EmbeddedRegistry.withRegistry(.init(authentication: .htpasswd(file))) { _ in }
        }
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test("test hooks: injected failures, request counts, cut blob bodies, request log")
    func hooks() async throws {
        let log = LogBox()
        try await EmbeddedRegistry.withRegistry(.init(requestLog: { log.append($0) })) { registry in
            let bytes = [UInt8](repeating: 9, count: 1 << 20)
            let digest = try await Self.pushBlob(registry, "hooked", bytes)
            let url = registry.url.appendingPathComponent("v2/hooked/blobs/\(digest)")
            registry.hooks.failNext(2, method: "GET", route: .blob, status: 503)
            #expect(try await ControlHTTP.get(url).status == 503)
            #expect(try await ControlHTTP.get(url).status == 503)
            #expect(try await ControlHTTP.get(url).status == 200)
            #expect(registry.hooks.requestCount(.blob, method: "GET") == 3)
            #expect(registry.hooks.requestCount(.upload) == 1)

            registry.hooks.cutBlobs(after: 1000)
            await #expect(throws: (any Error).self) { _ = try await ControlHTTP.send("GET", url) }
            #expect(try await ControlHTTP.get(url).body.count == 1 << 20)
        }
        let records = log.records
        #expect(records.contains { $0.method == "POST" && $0.status == 201 && $0.bytesIn == 1 << 20 })
        #expect(records.contains { $0.status == 503 })
    }
}

final class LogBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [EmbeddedRegistry.RequestRecord] = []
    func append(_ record: EmbeddedRegistry.RequestRecord) { lock.withLock { stored.append(record) } }
    var records: [EmbeddedRegistry.RequestRecord] { lock.withLock { stored } }
}

extension URL {
    /// The URL with `?digest=` (or `&digest=`) appended.
    func appending(digest: String) -> URL {
        var copy = self
        copy.append(queryItems: [URLQueryItem(name: "digest", value: digest)])
        return copy
    }
}
