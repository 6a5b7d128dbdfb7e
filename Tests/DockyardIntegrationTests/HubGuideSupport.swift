import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// The world the article "Docker Hub from start to finish" (DockerHubGuide.md) runs in, for the guide tests: the
/// shared hubsim, plus a token registry of the test's own that stands in for `docker.io` and reports its pushes to
/// hubsim (`--notify`), as Docker Hub's registry does for the Hub. Every name carries a unique suffix, so the CLI and
/// SDK walkthroughs run in parallel with each other and with every other suite.
struct HubGuideWorld: Sendable {
    /// The Hub API (shared; only objects named with ``id`` are created or changed).
    let hub: HubSim
    /// The private servers: `token` is the registry behind `docker.io`, its token service shares hubsim's accounts.
    let servers: LocalHub
    /// The unique suffix of every name.
    let id: String
    /// The seeded two-platform image the guide pulls, standing in for `alpine` (a namespace hubsim does not know,
    /// so the seeding push does not reach the shared Hub): `guide/alpine-ID`.
    var alpine: String { "guide/alpine-\(id)" }
    /// The tag of the seeded image.
    static let alpineTag = "3.20"
    var alpineTag: String { HubGuideWorld.alpineTag }
    /// The digest of the seeded image's index (what `docker pull` prints as `Digest:`).
    let alpineDigest: String
    /// carol's repository the guide pushes to and makes private (`carol/myapp` in the article).
    var myapp: HubRepositoryPath { HubRepositoryPath(namespace: "carol", name: "myapp-\(id)") }
    /// The organization's repository of the team and the automated build (`acme/app` in the article).
    var app: HubRepositoryPath { HubRepositoryPath(namespace: "acme", name: "app-\(id)") }
    /// The team (`release` in the article).
    var team: String { "release-\(id)" }
    /// The build source (`acme/app-src` in the article).
    var source: String { "acme/app-src-\(id)" }
    /// The guide's user, owner of `acme`.
    let carol = HubSim.carol

    /// The registry behind `docker.io`.
    var registryURL: URL { servers.token.url }

    /// `DOCKYARD_ENDPOINTS`'s value: `docker.io=<registry>`.
    var endpoints: String { "docker.io=\(registryURL.absoluteString)" }

    /// The registry configuration of the guide: `docker.io` mapped to the private registry.
    var registryConfiguration: RegistryClient.Configuration {
        var configuration = RegistryClient.Configuration()
        configuration.endpoints["docker.io"] = registryURL
        return configuration
    }

    /// The Hub configuration of the guide: hubsim's base URL.
    var hubConfiguration: HubClient.Configuration { HubClient.Configuration(baseURL: hub.url) }

    /// Starts the private token registry (notifying hubsim), seeds ``alpine`` as localhub's admin, runs `body`,
    /// and stops the registry.
    static func with<T>(_ body: (HubGuideWorld) async throws -> T) async throws -> T {
        let hub = try HubSim.required()
        let shared = try LocalHub.required()
        var options = LocalHub.LaunchOptions(publicRepositories: ["guide/*"], usersFile: shared.usersFile, components: ["token"])
        options.notify = hub.endpoint("/__registry__/events")
        return try await LocalHub.launch(options) { servers in
            let id = String(UUID().uuidString.lowercased().prefix(8))
            let digest = try await seed(on: servers, as: "guide/alpine-\(id)", id: id)
            return try await body(HubGuideWorld(hub: hub, servers: servers, id: id, alpineDigest: digest))
        }
    }

    /// Pushes a two-platform image to `repository`:``alpineTag`` as the registry's admin; returns its index digest.
    private static func seed(on servers: LocalHub, as repository: String, id: String) async throws -> String {
        let scratch = try TemporaryDirectory(prefix: "guide-seed")
        defer { scratch.remove() }
        let built = try await ImageBuilder.makeLayout(
            at: scratch.appending("layout"), tag: alpineTag, platforms: ["linux/amd64", "linux/arm64/v8"],
            layerSizes: [2048, 4096], seed: "guide \(id)")
        let admin = StaticCredentials(username: servers.admin.username, password: servers.admin.password, registry: "docker.io")
        var configuration = RegistryClient.Configuration()
        configuration.endpoints["docker.io"] = servers.token.url
        let pushed = try await withRegistryClient(configuration: configuration, credentials: admin) { client in
            try await client.push(
                from: try OCILayout(at: built.directory, create: false), refName: alpineTag,
                to: try ImageReference(normalizing: "\(repository):\(alpineTag)"))
        }
        guard pushed.digest.description == built.descriptor.digest else {
            throw ReceiverError("seeding pushed \(pushed.digest), the layout says \(built.descriptor.digest)")
        }
        return built.descriptor.digest
    }

    /// Waits until hubsim has recorded the registry's notification of a push of `path`:`tag`.
    func waitForHubRepository(_ path: HubRepositoryPath, tag: String) async throws {
        try await Waiting.until("hubsim records the push of \(path):\(tag)", timeout: .seconds(30)) {
            let events = try await hub.registryEvents()
            let event = events.last { $0["hub_repository"]?.string == path.description && $0["tag"]?.string == tag }
            return (event?["result"]?.string == "tag recorded", "\(event?.description ?? "no event yet")")
        }
    }

    /// Whether an anonymous caller sees `path` on hubsim (a private repository answers 404).
    ///
    /// Anonymous callers share one rate-limit bucket per address, which another suite may shrink for a few seconds
    /// (HubIntegrationTests' 429 test): a 429 is asked again, until a deadline.
    func isVisibleAnonymously(_ path: HubRepositoryPath) async throws -> Bool {
        var status = 0
        try await Waiting.until("hubsim answers an anonymous GET of \(path) with something but 429", timeout: .seconds(30)) {
            status = try await ControlHTTP.send("GET", hub.endpoint("/v2/repositories/\(path.namespace)/\(path.name)/")).status
            if status == 429 { try await Task.sleep(for: .milliseconds(500)) }
            return (status != 429, "HTTP \(status)")
        }
        #expect([200, 404].contains(status), "hubsim answered HTTP \(status) for \(path)")
        return status == 200
    }

    /// Removes what the guide created on the shared hubsim; errors are ignored (the test already reported them).
    func cleanUp() async {
        _ = try? await withHubClient(configuration: hubConfiguration,
                                     session: .login(HubLogin(username: carol.username, secret: carol.password))) { hub in
            try? await hub.deleteTeam(team, in: "acme")
            try? await hub.deleteRepository(app)
            try? await hub.deleteRepository(myapp)
        }
    }
}
