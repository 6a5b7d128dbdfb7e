import DockyardTestSupport
import Foundation
import Testing

/// The registry commands of `dockyard` (login, logout, manifest get/put, resolve, delete, tags, catalog,
/// ratelimit), run as a program against localhub.
@Suite("dockyard registry commands", .requiresLocalHub, .serialized, .tags(.integration))
struct RegistryCLITests {
    private static func suffix() -> String { String(UInt64.random(in: 0..<UInt64.max), radix: 36) }

    /// Pushes a small image with skopeo from an OCI layout made by localhub's mkimage.py.
    private static func pushWithSkopeo(_ hub: LocalHub, to reference: String, in directory: TemporaryDirectory) async throws {
        let home = try #require(hub.home, "LOCALHUB_HOME is needed for mkimage.py")
        let layout = directory.appending("layout-\(suffix())")
        try await ProcessRunner.check(
            "python3", arguments: [home.appendingPathComponent("mkimage.py").path, layout.path, "--tag", "v1", "--seed", suffix()])
        try await ProcessRunner.check(
            "skopeo", arguments: ["copy", "--insecure-policy", "--dest-tls-verify=false", "oci:\(layout.path):v1", "docker://\(reference)"])
    }

    @Test("login verifies and stores credentials; a wrong password exits 1 with one line; logout removes them")
    func loginLogout() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.url.path

        let wrong = try await cli.run(
            ["login", hub.token.host, "-u", hub.user.username, "--password-stdin", "--config", config],
            stdin: Data("not-the-password\n".utf8))
        #expect(wrong.status == 1)
        #expect(wrong.stderrText.split(separator: "\n").count == 1)
        #expect(wrong.stderrText.contains("dockyard:"))
        #expect(!wrong.stderrText.contains("not-the-password"))
        #expect(!FileManager.default.fileExists(atPath: directory.appending("config.json").path))

        let good = try await cli.run(
            ["login", hub.token.host, "-u", hub.user.username, "--password-stdin", "--config", config],
            stdin: Data("\(hub.user.password)\n".utf8))
        #expect(good.status == 0, "\(good.stderrText)")
        #expect(good.stdoutText.contains("Login Succeeded"))
        let json = try TestJSON(parsing: Data(contentsOf: directory.appending("config.json")))
        let expected = Data("\(hub.user.username):\(hub.user.password)".utf8).base64EncodedString()
        #expect(json["auths"]?[hub.token.host]?["auth"]?.string == expected)

        let logout = try await cli.run(["logout", hub.token.host, "--config", config])
        #expect(logout.status == 0, "\(logout.stderrText)")
        let after = try TestJSON(parsing: Data(contentsOf: directory.appending("config.json")))
        #expect(after["auths"]?[hub.token.host] == nil)

        let usage = try await cli.run(["login", hub.token.host, "-u", hub.user.username, "--config", config])
        #expect(usage.status == 2)
    }

    @Test("manifest get --raw, resolve, manifest put, tags and delete agree with skopeo")
    func manifestCommands() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = "\(hub.open.host)/dockyard/cli-\(Self.suffix())"
        try await Self.pushWithSkopeo(hub, to: "\(repository):v1", in: directory)
        let skopeoRaw = try await ProcessRunner.check(
            "skopeo", arguments: ["inspect", "--raw", "--tls-verify=false", "docker://\(repository):v1"])

        let raw = try await cli.run("manifest", "get", "--raw", "\(repository):v1")
        #expect(raw.status == 0, "\(raw.stderrText)")
        #expect(raw.stdout == skopeoRaw.stdout)
        let digest = "sha256:" + sha256Hex(raw.stdout)

        let resolved = try await cli.run("resolve", "\(repository):v1")
        #expect(resolved.status == 0, "\(resolved.stderrText)")
        #expect(resolved.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == digest)

        let pretty = try await cli.run("manifest", "get", "\(repository):v1")
        #expect(pretty.status == 0)
        #expect(try TestJSON(parsing: pretty.stdout) == TestJSON(parsing: raw.stdout))

        let described = try await cli.run("manifest", "get", "--json", "\(repository)@\(digest)")
        let object = try TestJSON(parsing: described.stdout)
        #expect(object["digest"]?.string == digest)
        #expect(object["size"]?.int == raw.stdout.count)
        #expect(object["manifest"] == (try TestJSON(parsing: raw.stdout)))

        let file = directory.appending("manifest.json")
        try raw.stdout.write(to: file)
        let put = try await cli.run("manifest", "put", file.path, "\(repository):v2")
        #expect(put.status == 0, "\(put.stderrText)")
        #expect(put.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == digest)

        let indexFile = directory.appending("index.json")
        let index = """
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[\
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(digest)","size":\(raw.stdout.count),\
            "platform":{"architecture":"amd64","os":"linux"}}]}
            """
        try Data(index.utf8).write(to: indexFile)
        let putIndex = try await cli.run("manifest", "put", indexFile.path, "\(repository):multi")
        #expect(putIndex.status == 0, "\(putIndex.stderrText)")
        let chosen = try await cli.run("manifest", "get", "--raw", "--platform", "linux/amd64", "\(repository):multi")
        #expect(chosen.status == 0, "\(chosen.stderrText)")
        #expect(chosen.stdout == raw.stdout)
        let absent = try await cli.run("manifest", "get", "--platform", "linux/s390x", "\(repository):multi")
        #expect(absent.status == 1)
        #expect(absent.stderrText.contains("linux/s390x"))
        let badPlatform = try await cli.run("manifest", "get", "--platform", "not a platform", "\(repository):multi")
        #expect(badPlatform.status == 2)
        let deletedIndex = try await cli.run("delete", "\(repository):multi")
        #expect(deletedIndex.status == 0, "\(deletedIndex.stderrText)")

        let tags = try await cli.run("tags", repository)
        #expect(tags.stdoutLines.filter { !$0.isEmpty }.sorted() == ["v1", "v2"])
        let tagsJSON = try await cli.run("tags", "--json", repository)
        #expect(try TestJSON(parsing: tagsJSON.stdout).array?.compactMap(\.string).sorted() == ["v1", "v2"])

        let deleted = try await cli.run("delete", "\(repository):v2")
        #expect(deleted.status == 0, "\(deleted.stderrText)")
        let gone = try await cli.run("resolve", "\(repository):v1")
        #expect(gone.status == 1)
        #expect(gone.stderrText.contains("manifest unknown"))
        #expect(gone.stderrText.split(separator: "\n").count == 1)

        let missingFile = try await cli.run("manifest", "put", directory.appending("nope.json").path, "\(repository):v3")
        #expect(missingFile.status == 1)
        #expect(missingFile.stderrText.split(separator: "\n").count == 1)
        #expect(missingFile.stderrText.contains("nope.json"))
        let notAManifest = directory.appending("not-a-manifest.json")
        try Data(#"{"hello":"world"}"#.utf8).write(to: notAManifest)
        let refused = try await cli.run("manifest", "put", notAManifest.path, "\(repository):v3")
        #expect(refused.status == 1)
        #expect(refused.stderrText.split(separator: "\n").count == 1)
        let badMediaType = try await cli.run("manifest", "put", "--media-type", "text/plain", file.path, "\(repository):v3")
        #expect(badMediaType.status == 2)
        let notPushed = try await cli.run("resolve", "\(repository):v3")
        #expect(notPushed.status == 1)
    }

    @Test("an untrusted TLS certificate fails clearly and works with --ca-file")
    func tlsWithCAFile() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repository = "\(hub.tls.host)/dockyard/tls-\(Self.suffix())"
        try await Self.pushWithSkopeo(hub, to: "\(repository):v1", in: directory)
        let endpoint = "\(hub.tls.host)=\(hub.tls.url.absoluteString)"

        let refused = try await cli.run("resolve", "--endpoint", endpoint, "\(repository):v1")
        #expect(refused.status == 1)
        #expect(refused.stderrText.lowercased().contains("certificate") || refused.stderrText.lowercased().contains("tls"))
        #expect(refused.stderrText.contains("--ca-file"))

        let accepted = try await cli.run("resolve", "--endpoint", endpoint, "--ca-file", hub.tlsCA.path, "\(repository):v1")
        #expect(accepted.status == 0, "\(accepted.stderrText)")
        #expect(accepted.stdoutText.hasPrefix("sha256:"))

        // Named only, as docker does it: HTTPS first on loopback, verified with the CA; refused without it.
        let byName = try await cli.run("resolve", "--ca-file", hub.tlsCA.path, "\(repository):v1")
        #expect(byName.status == 0, "\(byName.stderrText)")
        #expect(byName.stdoutText == accepted.stdoutText)
        let byNameRefused = try await cli.run("resolve", "\(repository):v1")
        #expect(byNameRefused.status == 1)
        #expect(byNameRefused.stderrText.contains("--ca-file"))

        let viaEnvironment = try await cli.run(
            ["resolve", "--ca-file", hub.tlsCA.path, "\(repository):v1"], environment: ["DOCKYARD_ENDPOINTS": endpoint])
        #expect(viaEnvironment.stdoutText == accepted.stdoutText)
    }

    @Test("catalog lists repositories for an admin; ratelimit reports none on a plain registry")
    func catalogAndRateLimit() async throws {
        let hub = try LocalHub.required()
        let cli = try DockyardCLI()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = directory.url.path
        let repository = "\(hub.token.host)/catalog-cli-\(Self.suffix())/app"
        let login = try await cli.run(
            ["login", hub.token.host, "-u", hub.admin.username, "--password-stdin", "--config", config],
            stdin: Data(hub.admin.password.utf8))
        try #require(login.status == 0, "\(login.stderrText)")
        let home = try #require(hub.home)
        let layout = directory.appending("layout")
        try await ProcessRunner.check("python3", arguments: [home.appendingPathComponent("mkimage.py").path, layout.path, "--tag", "v1"])
        try await ProcessRunner.check(
            "skopeo",
            arguments: ["copy", "--insecure-policy", "--dest-tls-verify=false", "--authfile", directory.appending("config.json").path,
                        "oci:\(layout.path):v1", "docker://\(repository):v1"])

        let catalog = try await cli.run("catalog", "--config", config, "--page-size", "5", hub.token.host)
        #expect(catalog.status == 0, "\(catalog.stderrText)")
        #expect(catalog.stdoutLines.contains(String(repository.dropFirst(hub.token.host.count + 1))))

        let limit = try await cli.run("ratelimit", "--config", config, "\(repository):v1")
        #expect(limit.status == 0, "\(limit.stderrText)")
        #expect(limit.stdoutText.contains("reports no rate limit"))
        let limitJSON = try await cli.run("ratelimit", "--json", "--config", config, "\(repository):v1")
        #expect(try TestJSON(parsing: limitJSON.stdout)["limit"]?.isNull == true)
    }
}

/// Transport policy of the `hub` and `search` commands, checked before any request: no server needed.
@Suite("dockyard --hub-url policy")
struct HubURLPolicyCLITests {
    @Test("plain HTTP to a host that is not loopback is a usage error unless --insecure names it")
    func plainHTTPNeedsInsecure() async throws {
        let cli = try DockyardCLI()
        let refused = try await cli.run("search", "--hub-url", "http://203.0.113.7:9", "alpine")
        #expect(refused.status == 2)
        #expect(refused.stderrText.contains("--insecure 203.0.113.7"))
        let environment = try await cli.run(["search", "alpine"], environment: ["DOCKYARD_HUB_URL": "http://203.0.113.7:9"])
        #expect(environment.status == 2)
    }

    @Test("a build trigger URL (a secret) is not sent over plain HTTP to a host that is not loopback")
    func triggerURLNeedsTLS() async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run("hub", "build", "trigger-url", "http://203.0.113.7/api/build/v1/source/s/trigger/t0k3n/call/")
        #expect(result.status == 2)
        #expect(result.stderrText.contains("--insecure 203.0.113.7"))
    }

    @Test("credentials in --hub-url are refused without being echoed")
    func credentialsInURL() async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run("search", "--hub-url", "https://user:s3cr3t-value@203.0.113.7", "alpine")
        #expect(result.status == 2)
        #expect(result.stderrText.contains("credentials"))
        #expect(!result.stderrText.contains("s3cr3t-value"))
    }
}

/// The lowercase hex SHA-256 of data, via `sha256sum` so the test does not share the SDK's hashing.
private func sha256Hex(_ data: Data) -> String {
    let pipe = Process()
    pipe.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe()
    let output = Pipe()
    pipe.standardInput = input
    pipe.standardOutput = output
    do {
        try pipe.run()
    } catch {
        return "sha256sum unavailable: \(error)"
    }
    input.fileHandleForWriting.write(data)
    try? input.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    pipe.waitUntilExit()
    return String(text.prefix(64))
}
