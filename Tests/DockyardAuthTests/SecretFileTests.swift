@testable import DockyardAuth
import DockyardTestSupport
import DockyardTransport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Issue 8: files holding secrets, credential helpers and the token cache.
@Suite("Secret files, helpers and caches")
struct SecretFileTests {
    static func mode(_ url: URL) -> mode_t {
        var info = stat()
        return stat(url.path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test("A new secret file is 0600 even with a permissive umask, and no temporary file stays behind")
    func newFileIsPrivate() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("sub", "config.json")
        let previous = umask(0)
        defer { umask(previous) }
        try SecretFile.write(Data(#"{"auths":{}}"#.utf8), to: file)
        #expect(Self.mode(file) == 0o600)
        #expect(Self.mode(file.deletingLastPathComponent()) == 0o700)
        #expect(try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path) == ["config.json"])
    }

    @Test("An existing file keeps its mode, as with the docker CLI")
    func existingModeKept() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("config.json")
        try Data("{}".utf8).write(to: file)
        chmod(file.path, 0o640)
        var config = DockerConfig()
        config.credentialsStore = "pass"
        try config.save(to: file)
        #expect(Self.mode(file) == 0o640)
        #expect(try DockerConfig.load(from: file).credentialsStore == "pass")
    }

    @Test("A failure leaves the old file as it was and no temporary file")
    func failureLeavesOldFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The target is a directory: the rename fails.
        let target = directory.appending("config.json")
        try FileManager.default.createDirectory(at: target.appendingPathComponent("x"), withIntermediateDirectories: true)
        #expect(throws: AuthError.self) { try SecretFile.write(Data("{}".utf8), to: target) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path) == ["config.json"])
    }

    @Test("Credential helpers are not looked up in relative PATH entries")
    func relativePathIgnored() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let helper = TestFixtures.url("credential-helper/docker-credential-dockyard-test")
        let previous = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(helper.deletingLastPathComponent().path)
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        for path in [".", "", "./", "credential-helper/..:."] {
            #expect(throws: AuthError.self) {
                _ = try CredentialHelper(name: "dockyard-test", environment: ["PATH": path])
            }
        }
        #expect(throws: Never.self) {
            _ = try CredentialHelper(name: "dockyard-test", environment: ["PATH": helper.deletingLastPathComponent().path])
        }
    }

    @Test("A helper that writes more than 4 MiB is stopped with an error")
    func boundedOutput() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = try directory.writeExecutable("#!/bin/sh\nexec yes 0123456789abcdef\n", named: "docker-credential-chatty")
        let helper = CredentialHelper(name: "chatty", executableURL: script, environment: [:], timeout: .seconds(60))
        let error = await #expect(throws: AuthError.self) { _ = try await helper.get(serverURL: "r.example") }
        #expect(error?.code == .credentialHelperFailed)
        #expect(error?.description.contains("more than") == true, "\(String(describing: error))")
    }

    @Test("A helper that exits without reading its input is an error, not a SIGPIPE")
    func helperExitsEarly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = try directory.writeExecutable("#!/bin/sh\necho nope >&2\nexit 3\n", named: "docker-credential-early")
        let helper = CredentialHelper(name: "early", executableURL: script, environment: [:])
        let big = String(repeating: "s", count: 4 << 20)
        let error = await #expect(throws: AuthError.self) {
            try await helper.store(.basic(username: "u", password: big), serverURL: "r.example")
        }
        #expect(error?.description.contains("exit status 3") == true, "\(String(describing: error))")
    }

    @Test("The token cache drops expired tokens when it stores a new one")
    func cacheEvictsExpired() async throws {
        let clock = TestClock()
        let cache = TokenCache(now: { clock.now })
        let realm = try #require(URL(string: "https://auth.example/token"))
        for index in 0..<50 {
            let key = TokenCache.Key(realm: realm, service: "s", scopes: [.repository("r\(index)", actions: [.pull])])
            await cache.insert(Token(value: "t\(index)", lifetime: .seconds(60), expiresAt: clock.now + .seconds(60)), for: key)
        }
        #expect(await cache.count == 50)
        clock.advance(.seconds(120))
        let fresh = TokenCache.Key(realm: realm, service: "s", scopes: [.repository("new", actions: [.pull])])
        await cache.insert(Token(value: "n", lifetime: .seconds(60), expiresAt: clock.now + .seconds(60)), for: fresh)
        #expect(await cache.count == 1)
    }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = ContinuousClock.now
    var now: ContinuousClock.Instant { lock.withLock { current } }
    func advance(_ duration: Duration) { lock.withLock { current += duration } }
}
