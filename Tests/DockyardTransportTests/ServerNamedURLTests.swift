import DockyardTransport
import Foundation
import Testing

/// Issue 8: where a URL named by a server may lead.
@Suite("Server-named URLs and origins")
struct ServerNamedURLTests {
    @Test("Link-local and cloud metadata hosts, in every spelling", arguments: [
        "169.254.169.254", "169.254.0.1", "[fe80::1]", "fe80::1%eth0", "febf::1", "metadata.google.internal",
        "METADATA.GOOGLE.INTERNAL.", "metadata", "100.100.100.200", "fd00:ec2::254", "2852039166", "0xa9fea9fe",
        "169.254.43518", "::ffff:169.254.169.254", "instance-data",
    ])
    func linkLocal(host: String) {
        #expect(HostPolicy.isLinkLocalOrMetadata(host: host))
    }

    @Test("Ordinary hosts are not link-local", arguments: [
        "registry-1.docker.io", "10.0.0.1", "127.0.0.1", "::1", "fec0::1", "169.253.1.1", "metadata.example.com", "",
    ])
    func notLinkLocal(host: String) {
        #expect(!HostPolicy.isLinkLocalOrMetadata(host: host))
    }

    @Test("Which server-named URLs are refused", arguments: [
        ("https://storage.example.com/blob?sig=1", false),
        ("http://127.0.0.1:5000/v2/", false),
        ("http://localhost/x", false),
        ("http://storage.example.com/blob", true),
        ("http://registry.localhost:5000/v2/", true),
        ("https://169.254.169.254/latest/meta-data/", true),
        ("http://metadata.google.internal/computeMetadata/v1/", true),
        ("ftp://example.com/x", true),
    ])
    func refusals(url: String, refused: Bool) throws {
        let parsed = try #require(URL(string: url))
        #expect((HostPolicy.refusal(ofServerNamed: parsed) != nil) == refused)
    }

    @Test("Plain HTTP to a listed insecure registry is allowed; metadata never")
    func insecureListed() throws {
        let policy = HostPolicy(insecureRegistries: ["10.0.0.5:5000"])
        #expect(policy.refusal(of: try #require(URL(string: "http://10.0.0.5:5000/v2/"))) == nil)
        #expect(policy.refusal(of: try #require(URL(string: "http://10.0.0.6:5000/v2/"))) != nil)
        let metadata = HostPolicy(insecureRegistries: ["169.254.169.254"])
        #expect(metadata.refusal(of: try #require(URL(string: "http://169.254.169.254/"))) != nil)
    }

    @Test("Origins: scheme, host and port; http and https on one host only for a plain-HTTP registry")
    func origins() throws {
        let https = try #require(URL(string: "https://r.example/v2/"))
        #expect(OriginPolicy.isSameOrigin(https, try #require(URL(string: "https://R.example:443/v2/x"))))
        #expect(!OriginPolicy.isSameOrigin(https, try #require(URL(string: "https://cdn.example/v2/"))))
        #expect(!OriginPolicy.isSameOrigin(https, try #require(URL(string: "https://r.example:444/v2/"))))
        let local = try #require(URL(string: "https://127.0.0.1:5000/v2/"))
        let plain = try #require(URL(string: "http://127.0.0.1:5000/v2/"))
        #expect(!OriginPolicy.isSameOrigin(local, plain))
        #expect(OriginPolicy.isSameOrigin(local, plain, allowingPlainHTTP: true))
        #expect(!OriginPolicy.isSameOrigin(local, try #require(URL(string: "http://127.0.0.2:5000/")), allowingPlainHTTP: true))
    }
}
