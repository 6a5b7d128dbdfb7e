import DockyardTransport
import Foundation
import Testing

@Suite("HostPolicy")
struct HostPolicyTests {
    @Test("loopback hosts", arguments: [
        "localhost", "LOCALHOST", "localhost.", "registry.localhost", "127.0.0.1", "127.255.0.9", "127.0.0.0",
        "::1", "[::1]", "0:0:0:0:0:0:0:1", "0000::0001", "::ffff:127.0.0.1",
    ])
    func loopback(host: String) {
        #expect(HostPolicy.isLoopback(host: host))
    }

    @Test("hosts that are not loopback", arguments: [
        "", "docker.io", "128.0.0.1", "10.0.0.1", "127.0.0", "127.0.0.1.5", "127.0.0.256", "::2", "::",
        "[::1", "1::1", "localhost.example.com", "mylocalhost", "127.0.0.1:5000", "::ffff:10.0.0.1",
    ])
    func notLoopback(host: String) {
        #expect(!HostPolicy.isLoopback(host: host))
    }

    @Test("plain HTTP: loopback registries by default, others only when listed", arguments: [
        ("127.0.0.1:5000", [String](), true),
        ("localhost:5000", [], true),
        ("[::1]:5000", [], true),
        ("registry.example.com", [], false),
        ("registry.example.com:5000", ["registry.example.com:5000"], true),
        ("registry.example.com:5000", ["registry.example.com"], true),
        ("registry.example.com:5000", ["registry.example.com:5001"], false),
        ("Registry.Example.COM", ["registry.example.com"], true),
        ("10.1.2.3:5000", ["10.1.2.3"], true),
        ("[fd00::1]:5000", ["[fd00::1]"], true),
    ])
    func plainHTTP(registry: String, insecure: [String], expected: Bool) {
        #expect(HostPolicy.allowsPlainHTTP(forRegistry: registry, insecureRegistries: Set(insecure)) == expected)
        #expect(HostPolicy(insecureRegistries: Set(insecure)).allowsPlainHTTP(forRegistry: registry) == expected)
    }

    @Test("loopback can be required to be listed")
    func loopbackOptOut() {
        let policy = HostPolicy(insecureRegistries: [], allowsLoopbackPlainHTTP: false)
        #expect(!policy.allowsPlainHTTP(forRegistry: "127.0.0.1:5000"))
        #expect(HostPolicy(insecureRegistries: ["127.0.0.1:5000"], allowsLoopbackPlainHTTP: false)
            .allowsPlainHTTP(forRegistry: "127.0.0.1:5000"))
    }

    @Test("checking URLs", arguments: [
        ("https://registry.example.com/v2/", nil),
        ("http://127.0.0.1:5000/v2/", nil),
        ("http://localhost/v2/", nil),
        ("http://[::1]:5000/v2/", nil),
        ("http://insecure.example.com:5000/v2/", nil),
        ("http://registry.example.com/v2/", "insecureRefused"),
        ("http://insecure.example.com:5001/v2/", "insecureRefused"),
        ("ftp://registry.example.com/", "invalidRequest"),
    ] as [(String, String?)])
    func check(url: String, expectedCode: String?) throws {
        let policy = HostPolicy(insecureRegistries: ["insecure.example.com:5000"])
        let target = try #require(URL(string: url))
        do {
            try policy.check(target)
            #expect(expectedCode == nil)
        } catch {
            #expect(error.code.description == expectedCode, "\(error.message)")
            if expectedCode == "insecureRefused" { #expect(error.message.contains("insecure registry") && !error.message.contains("--")) }
        }
    }
}
