@testable import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOHTTP1
import Testing

@Suite("RedirectingTransport (scripted)")
struct RedirectingTransportTests {
    static let registry = URL(string: "https://registry.example.com/v2/library/x/blobs/sha256:abc")!
    static let credentials: HTTPHeaders = [
        "Authorization": "Bearer secret-token", "Cookie": "c=1", "Accept": "*/*", "Range": "bytes=10-",
    ]

    @Test("origins compare scheme, host and effective port", arguments: [
        ("https://a.example/x", "https://a.example:443/y", true),
        ("https://A.Example/x", "https://a.example/y?q", true),
        ("http://a.example/x", "http://a.example:80/", true),
        ("https://a.example/x", "http://a.example/x", false),
        ("https://a.example/x", "https://a.example:8443/x", false),
        ("https://a.example/x", "https://b.example/x", false),
        ("https://a.example/x", "https://cdn.a.example/x", false),
        ("http://127.0.0.1:5000/x", "http://127.0.0.2:5000/x", false),
        ("http://[::1]:5000/x", "http://[0::1]:5000/x", false),
    ])
    func origins(first: String, second: String, same: Bool) throws {
        let a = try #require(URL(string: first))
        let b = try #require(URL(string: second))
        #expect((Origin(a) == Origin(b)) == same)
        let headers = RedirectingTransport.headers(Self.credentials, from: a, to: b)
        #expect(headers.contains(name: "Authorization") == same)
        #expect(headers.contains(name: "Cookie") == same)
        #expect(headers.first(name: "Range") == "bytes=10-", "non-credential headers always follow")
    }

    @Test("follows each redirect status for GET and HEAD", arguments: [301, 302, 303, 307, 308], [HTTPMethod.GET, .HEAD])
    func followsStatus(code: Int, method: HTTPMethod) async throws {
        let script = ScriptedTransport { request, index in
            index == 0
                ? .response(.init(statusCode: code), headers: ["Location": "/v2/elsewhere"], url: request.url)
                : .response(.ok, body: "payload", url: request.url)
        }
        let response = try await RedirectingTransport(wrapping: script)
            .send(.init(method: method, url: Self.registry, headers: Self.credentials))
        #expect(response.status == .ok)
        #expect(response.url.absoluteString == "https://registry.example.com/v2/elsewhere")
        #expect(script.requests.count == 2)
        #expect(script.requests[1].method == method)
        #expect(script.requests[1].headers.first(name: "Authorization") == "Bearer secret-token",
                "same-origin redirect keeps the credentials")
        #expect(script.drained == 1, "the redirect's body is drained")
    }

    @Test("other methods get the 3xx back", arguments: [HTTPMethod.POST, .PUT, .PATCH, .DELETE])
    func otherMethods(method: HTTPMethod) async throws {
        let script = ScriptedTransport { request, _ in
            .response(.temporaryRedirect, headers: ["Location": "https://elsewhere.example/"], url: request.url)
        }
        let response = try await RedirectingTransport(wrapping: script)
            .send(.init(method: method, url: Self.registry, body: .bytes(Array("x".utf8))))
        #expect(response.status == .temporaryRedirect)
        #expect(script.requests.count == 1)
    }

    @Test("cross-host redirect drops Authorization and Cookie; a hop back to the origin gets them again")
    func crossHost() async throws {
        let script = ScriptedTransport { request, index in
            switch index {
            case 0: .response(.temporaryRedirect, headers: ["Location": "https://cdn.example.net/blob?sig=1"], url: request.url)
            case 1: .response(.found, headers: ["Location": "https://registry.example.com/v2/final"], url: request.url)
            default: .response(.ok, url: request.url)
            }
        }
        let response = try await RedirectingTransport(wrapping: script)
            .send(.init(url: Self.registry, headers: Self.credentials))
        #expect(response.status == .ok)
        #expect(!script.requests[1].headers.contains(name: "Authorization"))
        #expect(!script.requests[1].headers.contains(name: "Cookie"))
        #expect(script.requests[1].headers.first(name: "Range") == "bytes=10-")
        #expect(script.requests[2].headers.first(name: "Authorization") == "Bearer secret-token")
    }

    @Test("a relative Location resolves against the URL that sent it")
    func relative() async throws {
        let script = ScriptedTransport { request, index in
            index == 0
                ? .response(.movedPermanently, headers: ["Location": "../../other/blobs/sha256:def"], url: request.url)
                : .response(.ok, url: request.url)
        }
        let response = try await RedirectingTransport(wrapping: script).send(.init(url: Self.registry))
        #expect(response.url.absoluteString == "https://registry.example.com/v2/library/other/blobs/sha256:def")
    }

    @Test("refused targets", arguments: [
        ("ftp://files.example/x", "'ftp'"),
        ("file:///etc/passwd", "'file'"),
        ("http://cdn.example.net/x", "plain HTTP"),
    ])
    func refused(location: String, expectedText: String) async throws {
        let script = ScriptedTransport { request, _ in
            .response(.found, headers: ["Location": location], url: request.url)
        }
        let error = await #expect(throws: TransportError.self) {
            _ = try await RedirectingTransport(wrapping: script).send(.init(url: Self.registry))
        }
        #expect(error?.code == .redirectFailed)
        #expect(error?.message.contains(expectedText) == true, "\(error?.message ?? "")")
    }

    @Test("HTTPS may redirect to plain HTTP on loopback")
    func downgradeToLoopback() async throws {
        let script = ScriptedTransport { request, index in
            index == 0
                ? .response(.found, headers: ["Location": "http://127.0.0.1:5000/x"], url: request.url)
                : .response(.ok, url: request.url)
        }
        let response = try await RedirectingTransport(wrapping: script).send(.init(url: Self.registry))
        #expect(response.status == .ok)
    }

    @Test("loops are detected")
    func loop() async throws {
        let script = ScriptedTransport { request, index in
            let next = index % 2 == 0 ? "https://registry.example.com/a" : "https://registry.example.com/b"
            return .response(.found, headers: ["Location": next], url: request.url)
        }
        let error = await #expect(throws: TransportError.self) {
            _ = try await RedirectingTransport(wrapping: script).send(.init(url: Self.registry))
        }
        #expect(error?.code == .redirectFailed)
        #expect(error?.message.contains("loop") == true)
        #expect(script.requests.count == 3)
    }

    @Test("at most max hops are followed")
    func maxHops() async throws {
        let script = ScriptedTransport { request, index in
            .response(.found, headers: ["Location": "https://registry.example.com/hop\(index)"], url: request.url)
        }
        let error = await #expect(throws: TransportError.self) {
            _ = try await RedirectingTransport(wrapping: script, policy: .follow(max: 10)).send(.init(url: Self.registry))
        }
        #expect(error?.code == .redirectFailed)
        #expect(script.requests.count == 11)
    }

    @Test(".disallow returns the redirect itself")
    func disallow() async throws {
        let script = ScriptedTransport { request, _ in
            .response(.temporaryRedirect, headers: ["Location": "https://cdn.example.net/x"], url: request.url)
        }
        let response = try await RedirectingTransport(wrapping: script, policy: .disallow).send(.init(url: Self.registry))
        #expect(response.status == .temporaryRedirect)
        #expect(script.requests.count == 1)
    }

    @Test("a redirect without Location is returned as it is")
    func noLocation() async throws {
        let script = ScriptedTransport { request, _ in .response(.found, url: request.url) }
        let response = try await RedirectingTransport(wrapping: script).send(.init(url: Self.registry))
        #expect(response.status == .found)
    }
}
