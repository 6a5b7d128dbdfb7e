@testable import Dockyard
import DockyardTestSupport
import Foundation
import Testing

/// Interoperability with skopeo, in both directions: login files and manifests.
@Suite("RegistryClient interop with skopeo", .requiresLocalHub, .serialized, .tags(.integration))
struct RegistryInteropTests {
    private static func skopeo() throws -> URL {
        guard let skopeo = ProcessRunner.locate("skopeo") else {
            throw ProcessRunnerError.executableNotFound("skopeo")
        }
        return skopeo
    }

    /// Writes a small OCI layout with localhub's `mkimage.py`, returning its directory.
    private static func makeLayout(_ hub: LocalHub, in directory: TemporaryDirectory, tag: String = "v1") async throws -> URL {
        let home = try #require(hub.home, "LOCALHUB_HOME is needed for mkimage.py")
        let layout = directory.appending("layout")
        let result = try await ProcessRunner.run(
            "python3", arguments: [home.appendingPathComponent("mkimage.py").path, layout.path, "--tag", tag, "--seed", RegistryFixtures.uniqueSuffix()])
        try #require(result.succeeded, "mkimage.py failed: \(result.stderrText)")
        return layout
    }

    private func tokenClient(_ hub: LocalHub, credentials: any CredentialProvider) throws -> RegistryClient {
        try RegistryClient(credentials: credentials)
    }

    @Test("skopeo uses the config.json that dockyard login wrote")
    func dockyardLoginSkopeoUses() async throws {
        let hub = try LocalHub.required()
        let skopeo = try Self.skopeo()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let reference = try ImageReference(normalizing: "\(hub.token.host)/\(hub.user.username)/interop-\(RegistryFixtures.uniqueSuffix()):v1")
        try await RegistryFixtures.withClient(try tokenClient(hub, credentials: AnonymousCredentials())) { client in
            try await client.login(
                registry: hub.token.host, username: hub.user.username, password: hub.user.password,
                configDirectory: directory.url)
        }
        let authfile = directory.appending("config.json").path
        let layout = try await Self.makeLayout(hub, in: directory)
        let copy = try await ProcessRunner.run(
            skopeo.path,
            arguments: ["copy", "--insecure-policy", "--dest-tls-verify=false", "--authfile", authfile,
                        "oci:\(layout.path):v1", "docker://\(reference.description)"])
        #expect(copy.succeeded, "skopeo copy: \(copy.stderrText)")
        let inspect = try await ProcessRunner.run(
            skopeo.path,
            arguments: ["inspect", "--raw", "--tls-verify=false", "--authfile", authfile, "docker://\(reference.description)"])
        #expect(inspect.succeeded, "skopeo inspect: \(inspect.stderrText)")

        // And dockyard reads what skopeo pushed, with the same digest skopeo's raw bytes hash to.
        try await RegistryFixtures.withClient(
            try tokenClient(hub, credentials: DockerCredentialStore(directory: directory.url))
        ) { client in
            let document = try await client.manifest(for: reference)
            #expect(document.digest.description == RegistryFixtures.sha256(inspect.stdout))
        }
    }

    @Test("dockyard uses the auth file that skopeo login wrote")
    func skopeoLoginDockyardUses() async throws {
        let hub = try LocalHub.required()
        let skopeo = try Self.skopeo()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let authfile = directory.appending("auth.json")
        let login = try await ProcessRunner.run(
            skopeo.path,
            arguments: ["login", "--tls-verify=false", "--authfile", authfile.path, "-u", hub.user.username,
                        "--password-stdin", hub.token.host],
            stdin: Data(hub.user.password.utf8))
        try #require(login.succeeded, "skopeo login: \(login.stderrText)")

        let reference = try ImageReference(normalizing: "\(hub.token.host)/\(hub.user.username)/skopeo-login-\(RegistryFixtures.uniqueSuffix()):v1")
        try await RegistryFixtures.withClient(
            try tokenClient(hub, credentials: DockerCredentialStore(configFile: authfile))
        ) { client in
            // Pushing to the user's private namespace works only with the user's credentials.
            let pushed = try await RegistryFixtures.pushImage(reference, with: client, layerSize: 64)
            #expect(try await client.manifest(for: reference).digest == pushed.manifest.digest)
        }
    }

    @Test("manifests agree byte for byte with skopeo in both directions")
    func manifestDigestsAgree() async throws {
        let hub = try LocalHub.required()
        let skopeo = try Self.skopeo()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let layout = try await Self.makeLayout(hub, in: directory)
        let bySkopeo = try ImageReference(normalizing: "\(hub.open.host)/dockyard/by-skopeo-\(RegistryFixtures.uniqueSuffix()):v1")
        let copy = try await ProcessRunner.run(
            skopeo.path,
            arguments: ["copy", "--insecure-policy", "--dest-tls-verify=false", "oci:\(layout.path):v1",
                        "docker://\(bySkopeo.description)"])
        try #require(copy.succeeded, "skopeo copy: \(copy.stderrText)")
        let raw = try await ProcessRunner.run(
            skopeo.path, arguments: ["inspect", "--raw", "--tls-verify=false", "docker://\(bySkopeo.description)"])
        try #require(raw.succeeded, "skopeo inspect: \(raw.stderrText)")

        try await RegistryFixtures.withClient(try RegistryClient(credentials: AnonymousCredentials())) { client in
            let fetched = try await client.manifest(for: bySkopeo)
            #expect(fetched.digest.description == RegistryFixtures.sha256(raw.stdout))
            #expect(fetched.bytes == Array(raw.stdout))
            #expect(try await client.resolve(bySkopeo).digest == fetched.digest)

            let byDockyard = try ImageReference(normalizing: "\(hub.open.host)/dockyard/by-dockyard-\(RegistryFixtures.uniqueSuffix()):v1")
            let pushed = try await RegistryFixtures.pushImage(byDockyard, with: client)
            let back = try await ProcessRunner.run(
                skopeo.path, arguments: ["inspect", "--raw", "--tls-verify=false", "docker://\(byDockyard.description)"])
            try #require(back.succeeded, "skopeo inspect: \(back.stderrText)")
            #expect(RegistryFixtures.sha256(back.stdout) == pushed.manifest.digest.description)
            #expect(Array(back.stdout) == pushed.manifest.bytes)
        }
    }
}
