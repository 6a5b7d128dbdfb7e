@testable import DockyardAuth
import DockyardTestFakes
import DockyardTransport
import Foundation
import Testing
import NIOHTTP1

/// Issue 8: token realms and token answers.
@Suite("Token realms and token answers")
struct RealmPolicyTests {
    @Test("Link-local and metadata realms are never contacted, anonymous or not", arguments: [
        "https://169.254.169.254/token", "http://metadata.google.internal/token", "https://[fe80::1]/token",
    ])
    func metadataRealm(realm: String) async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t"}"#) }
        let service = TokenService(transport: stub, configuration: .init(allowsInsecureRealms: true))
        let url = try #require(URL(string: realm))
        for credentials in [Credentials?.none, .basic(username: "u", password: "p")] {
            await #expect {
                try await service.fetchToken(TokenRequest(realm: url, service: "s", scopes: [], credentials: credentials))
            } throws: { error in
                (error as? AuthError)?.code == .refusedURL
            }
        }
        #expect(stub.sent.isEmpty)
    }

    @Test("An https realm on another host is fine, as with docker")
    func httpsElsewhere() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t"}"#) }
        let token = try await TokenService(transport: stub).fetchToken(
            TokenRequest(realm: try #require(URL(string: "https://auth.elsewhere.example/token")), service: "s", scopes: []))
        #expect(token.value == "t")
    }

    @Test("expires_in: huge, negative, fractional or not a number never traps", arguments: [
        ("1e300", Duration.seconds(365 * 86_400)), ("-5", .seconds(60)), ("0.5", .seconds(60)), ("300", .seconds(300)),
        ("9223372036854775807", .seconds(365 * 86_400)), ("\"x\"", .seconds(60)),
    ])
    func expiresIn(value: String, lifetime: Duration) throws {
        let body = Data(#"{"token":"t","expires_in":\#(value)}"#.utf8)
        if value.hasPrefix("\"") {
            #expect(throws: AuthError.self) { try TokenService.parseTokenResponse(body, started: .now) }
            return
        }
        #expect(try TokenService.parseTokenResponse(body, started: .now).lifetime == lifetime)
    }

    @Test("A token answer over the limit is AuthError.tokenServiceFailed")
    func oversizedAnswer() async throws {
        let big = #"{"token":""# + String(repeating: "a", count: 2_000) + #""}"#
        let stub = StubTransport { _ in (.ok, big) }
        let service = TokenService(transport: stub, configuration: .init(maxResponseBytes: 1_000))
        await #expect {
            try await service.fetchToken(TokenRequest(realm: try #require(URL(string: "https://a.example/t")), service: "s", scopes: []))
        } throws: { error in
            (error as? AuthError)?.code == .tokenServiceFailed
        }
    }
}
