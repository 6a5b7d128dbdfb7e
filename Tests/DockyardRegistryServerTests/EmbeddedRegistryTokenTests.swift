import Dockyard
import DockyardRegistryServer
import DockyardTestSupport
import Foundation
import Testing

/// Token authentication: the embedded token service, scopes checked per route, and real clients (Dockyard's
/// `RegistryClient`, skopeo) that fetch tokens from it.
@Suite("EmbeddedRegistry token authentication")
struct EmbeddedRegistryTokenTests {
    static let alice = LocalHub.Account(username: "alice", password: "wonderland")
    static let bob = LocalHub.Account(username: "bob", password: "builder")

    /// alice may do everything, bob may only pull; anonymous clients may pull when `anonymousPull` is set.
    static func configuration(anonymousPull: Bool = false) -> EmbeddedRegistry.Configuration {
        EmbeddedRegistry.Configuration(authentication: .token(.init(
            users: .list([alice.username: alice.password, bob.username: bob.password]),
            access: [bob.username: .pullOnly],
            anonymousPull: anonymousPull
        )))
    }

    /// A token from the registry's token service, fetched with curl.
    static func token(
        _ registry: EmbeddedRegistry, _ account: LocalHub.Account?, scopes: [String]
    ) async throws -> (status: Int, token: String?) {
        var components = URLComponents(url: registry.url.appendingPathComponent("token"), resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "service", value: "dockyard-registry")]
            + scopes.map { URLQueryItem(name: "scope", value: $0) }
        let url = try #require(components?.url)
        let headers = account.map { ["Authorization": EmbeddedRegistryTests.basic($0.username, $0.password)] } ?? [:]
        let response = try await ControlHTTP.get(url, headers: headers)
        return (response.status, response.status == 200 ? try response.json()["token"]?.string : nil)
    }

    static func bearer(_ token: String?) -> [String: String] {
        token.map { ["Authorization": "Bearer \($0)"] } ?? [:]
    }

    @Test("challenges name the realm, service and scope; tokens carry only granted scopes, checked per route")
    func challengeAndScopes() async throws {
        try await EmbeddedRegistry.withRegistry(Self.configuration()) { registry in
            let manifestURL = registry.url.appendingPathComponent("v2/team/app/manifests/v1")
            let anonymous = try await ControlHTTP.get(manifestURL)
            #expect(anonymous.status == 401)
            #expect(
                anonymous.headers["www-authenticate"]
                    == "Bearer realm=\"\(registry.url.absoluteString)/token\",service=\"dockyard-registry\",scope=\"repository:team/app:pull\"")
            let upload = try await ControlHTTP.send("POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"))
            #expect(upload.headers["www-authenticate"]?.contains("scope=\"repository:team/app:pull,push\"") == true)

            // No credentials and no anonymous pull; a wrong password: no token.
            #expect(try await Self.token(registry, nil, scopes: ["repository:team/app:pull"]).status == 401)
            let wrong = LocalHub.Account(username: "alice", password: "wrong")
            #expect(try await Self.token(registry, wrong, scopes: ["repository:team/app:pull"]).status == 401)

            // alice pushes with a pull,push token.
            let aliceToken = try await Self.token(registry, Self.alice, scopes: ["repository:team/app:pull,push"]).token
            let blob = Data("hello".utf8)
            let digest = EmbeddedRegistryTests.digest(Array(blob))
            let pushed = try await ControlHTTP.send(
                "POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/").appending(digest: digest),
                body: blob, headers: Self.bearer(aliceToken))
            #expect(pushed.status == 201)
            let blobURL = registry.url.appendingPathComponent("v2/team/app/blobs/\(digest)")
            #expect(try await ControlHTTP.get(blobURL, headers: Self.bearer(aliceToken)).status == 200)
            // A token is for the repositories it names.
            #expect(try await ControlHTTP.get(
                registry.url.appendingPathComponent("v2/other/app/tags/list"), headers: Self.bearer(aliceToken)).status == 401)
            // Deleting needs the delete action, which the token does not carry.
            let delete = try await ControlHTTP.send("DELETE", blobURL, headers: Self.bearer(aliceToken))
            #expect(delete.status == 401)
            #expect(delete.headers["www-authenticate"]?.contains("error=\"insufficient_scope\"") == true)
            #expect(delete.headers["www-authenticate"]?.contains("scope=\"repository:team/app:delete\"") == true)

            // bob asks for pull and push and gets pull only: reading works, pushing is refused as insufficient.
            let bobToken = try await Self.token(registry, Self.bob, scopes: ["repository:team/app:pull,push"]).token
            #expect(try await ControlHTTP.get(blobURL, headers: Self.bearer(bobToken)).status == 200)
            let refused = try await ControlHTTP.send(
                "POST", registry.url.appendingPathComponent("v2/team/app/blobs/uploads/"), headers: Self.bearer(bobToken))
            #expect(refused.status == 401)
            #expect(refused.headers["www-authenticate"]?.contains("error=\"insufficient_scope\"") == true)
            #expect(try refused.json()["errors"]?[0]?["code"]?.string == "UNAUTHORIZED")

            // The catalog needs registry:catalog:*, which alice holds and bob does not.
            let catalogURL = registry.url.appendingPathComponent("v2/_catalog")
            let aliceCatalog = try await Self.token(registry, Self.alice, scopes: ["registry:catalog:*"]).token
            let catalog = try await ControlHTTP.get(catalogURL, headers: Self.bearer(aliceCatalog))
            #expect(catalog.status == 200)
            #expect(try catalog.json()["repositories"]?.array?.compactMap(\.string) == ["team/app"])
            let bobCatalog = try await Self.token(registry, Self.bob, scopes: ["registry:catalog:*"]).token
            #expect(try await ControlHTTP.get(catalogURL, headers: Self.bearer(bobCatalog)).status == 401)

            // A forged or altered token is refused as invalid.
            let forged = try #require(aliceToken).dropLast(2) + "AA"
            let invalid = try await ControlHTTP.get(blobURL, headers: Self.bearer(String(forged)))
            #expect(invalid.status == 401)
            #expect(invalid.headers["www-authenticate"]?.contains("error=\"invalid_token\"") == true)
            // A token of another registry (another signing key) is refused too.
            try await EmbeddedRegistry.withRegistry(Self.configuration()) { other in
                let foreign = try await Self.token(other, Self.alice, scopes: ["repository:team/app:pull"]).token
                #expect(try await ControlHTTP.get(blobURL, headers: Self.bearer(foreign)).status == 401)
            }
        }
    }

    @Test("the OAuth2 password grant issues tokens; refresh-token grants are refused")
    func oauthPasswordGrant() async throws {
        try await EmbeddedRegistry.withRegistry(Self.configuration()) { registry in
            let tokenURL = registry.url.appendingPathComponent("token")
            let form = "grant_type=password&username=alice&password=wonderland&service=dockyard-registry"
                + "&scope=repository%3Ateam%2Fapp%3Apull%20registry%3Acatalog%3A*&client_id=test"
            let granted = try await ControlHTTP.send(
                "POST", tokenURL, body: Data(form.utf8), headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(granted.status == 200)
            let token = try granted.json()["access_token"]?.string
            #expect(try granted.json()["expires_in"]?.int == 300)
            #expect(try await ControlHTTP.get(
                registry.url.appendingPathComponent("v2/team/app/tags/list"), headers: Self.bearer(token)).status == 404)
            #expect(try await ControlHTTP.get(
                registry.url.appendingPathComponent("v2/_catalog"), headers: Self.bearer(token)).status == 200)
            let refresh = try await ControlHTTP.send(
                "POST", tokenURL, body: Data("grant_type=refresh_token&refresh_token=x&service=dockyard-registry".utf8),
                headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(refresh.status == 400)
            #expect(try refresh.json()["error"]?.string == "unsupported_grant_type")
        }
    }

    @Test("a cross-repository mount from a repository the token cannot pull is an ordinary upload")
    func mountNeedsPullOnTheSource() async throws {
        try await EmbeddedRegistry.withRegistry(Self.configuration()) { registry in
            let blob = Data("mount me".utf8)
            let digest = EmbeddedRegistryTests.digest(Array(blob))
            let writer = try await Self.token(registry, Self.alice, scopes: ["repository:private/app:pull,push"]).token
            let pushed = try await ControlHTTP.send(
                "POST", registry.url.appendingPathComponent("v2/private/app/blobs/uploads/").appending(digest: digest),
                body: blob, headers: Self.bearer(writer))
            #expect(pushed.status == 201)
            var mount = URLComponents(
                url: registry.url.appendingPathComponent("v2/public/app/blobs/uploads/"), resolvingAgainstBaseURL: false)
            mount?.queryItems = [URLQueryItem(name: "mount", value: digest), URLQueryItem(name: "from", value: "private/app")]
            let mountURL = try #require(mount?.url)
            // Push on the target only: the mount is ignored and an upload session starts.
            let targetOnly = try await Self.token(registry, Self.alice, scopes: ["repository:public/app:pull,push"]).token
            #expect(try await ControlHTTP.send("POST", mountURL, headers: Self.bearer(targetOnly)).status == 202)
            // With pull on the source, the blob is mounted.
            let both = try await Self.token(
                registry, Self.alice, scopes: ["repository:public/app:pull,push", "repository:private/app:pull"]).token
            #expect(try await ControlHTTP.send("POST", mountURL, headers: Self.bearer(both)).status == 201)
        }
    }

    @Test("RegistryClient fetches tokens: a full user pushes and pulls, a pull-only user gets insufficientScope on push")
    func registryClient() async throws {
        let scratch = try TemporaryDirectory(prefix: "registry-token")
        defer { scratch.remove() }
        let built = try await ImageBuilder.makeLayout(at: scratch.appending("source"), layerSizes: [4096])
        try await EmbeddedRegistry.withRegistry(Self.configuration(anonymousPull: true)) { registry in
            let reference = try ImageReference(normalizing: "\(registry.host)/team/app:v1")
            func withClient(_ account: LocalHub.Account?, _ body: (RegistryClient) async throws -> Void) async throws {
                let credentials: any CredentialProvider = account.map {
                    StaticCredentials(username: $0.username, password: $0.password, registry: registry.host)
                } ?? AnonymousCredentials()
                let client = try RegistryClient(
                    configuration: .init(endpoints: [registry.host: registry.url]), credentials: credentials)
                do {
                    try await body(client)
                } catch {
                    await client.shutdown()
                    throw error
                }
                await client.shutdown()
            }
            let source = try OCILayout(at: built.directory, create: false)

            try await withClient(Self.alice) { alice in
                let pushed = try await alice.push(from: source, to: reference)
                #expect(pushed.digest.description == built.descriptor.digest)
                #expect(try await alice.catalog(registry: registry.host).collect() == ["team/app"])
            }
            try await withClient(Self.bob) { bob in
                let pulled = try await bob.pull(reference, into: try OCILayout(at: scratch.appending("bob")))
                #expect(pulled.descriptor.digest.description == built.descriptor.digest)
                let copy = try ImageReference(normalizing: "\(registry.host)/bob/app:v1")
                let error = await #expect(throws: AuthError.self) { try await bob.push(from: source, to: copy) }
                #expect(error?.code == .insufficientScope)
            }
            try await withClient(nil) { anonymous in
                let tags = try await anonymous.tags(in: reference.repository).collect()
                #expect(tags == ["v1"])
            }
            try await withClient(LocalHub.Account(username: "alice", password: "nope")) { wrong in
                let error = await #expect(throws: AuthError.self) { try await wrong.tags(in: reference.repository).collect() }
                #expect(error?.code == .invalidCredentials)
            }
            let contents = await registry.contents()
            #expect(contents["bob/app"] == nil)
        }
    }

    @Test("skopeo with --creds copies in and out; a pull-only user cannot push", .requiresSkopeo, .tags(.integration))
    func skopeo() async throws {
        let scratch = try TemporaryDirectory(prefix: "registry-token-skopeo")
        defer { scratch.remove() }
        let multi = try await ImageBuilder.makeLayout(
            at: scratch.appending("multi"), tag: "many", platforms: ["linux/amd64", "linux/arm64/v8"], layerSizes: [2048])
        try await EmbeddedRegistry.withRegistry(Self.configuration()) { registry in
            let skopeo = Skopeo()
            let target = "docker://\(registry.host)/skopeo/multi:many"
            try await skopeo.copy(multi.skopeoReference, target, destinationCredentials: Self.alice, allPlatforms: true)
            let raw = try await skopeo.inspectRaw(target, credentials: Self.bob)
            #expect(EmbeddedRegistryTests.digest(Array(raw)) == multi.descriptor.digest)
            try await skopeo.copy(
                target, "oci:\(scratch.appending("out").path):many", sourceCredentials: Self.bob, allPlatforms: true)
            let out = try OCILayout(at: scratch.appending("out"), create: false)
            #expect(try out.entries().map(\.digest.description) == [multi.descriptor.digest])

            let refused = try await skopeo.run([
                "copy", "--insecure-policy", "--retry-times", "0", "--dest-tls-verify=false", "--dest-creds", "bob:builder",
                multi.skopeoReference, "docker://\(registry.host)/skopeo/bob:many",
            ])
            #expect(!refused.succeeded)
            let anonymous = try await skopeo.run(["inspect", "--raw", "--tls-verify=false", target])
            #expect(!anonymous.succeeded)
            #expect(await registry.contents()["skopeo/bob"] == nil)
        }
    }
}
