@testable import DockyardAuth
import DockyardTransport
import DockyardTestFakes
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@Suite("TokenService")
struct TokenServiceTests {
    let realm = URL(string: "https://auth.example/token?client=x")!

    @Test func getQueryCarriesServiceScopesAccountAndOfflineToken() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t1","expires_in":300,"issued_at":"2026-01-01T00:00:00Z"}"#) }
        let service = TokenService(transport: stub, configuration: .init(clientID: "cid"))
        let token = try await service.fetchToken(
            TokenRequest(
                realm: realm, service: "registry.example",
                scopes: [.repository("b", actions: [.pull]), .repository("a", actions: [.push, .pull])],
                credentials: .basic(username: "alice+x", password: "pw"), wantsRefreshToken: true))
        #expect(token.value == "t1")
        #expect(token.lifetime == .seconds(300))
        #expect(token.issuedAt == Date(timeIntervalSince1970: 1_767_225_600))
        let request = try #require(stub.sent.first)
        #expect(request.method == .GET)
        #expect(
            request.url.query
                == "client=x&service=registry.example&scope=repository%3Aa%3Apull%2Cpush&scope=repository%3Ab%3Apull&account=alice%2Bx&offline_token=true&client_id=cid"
        )
        #expect(request.headers.first(name: "Authorization") == "Basic " + Data("alice+x:pw".utf8).base64EncodedString())
    }

    @Test func anonymousGetSendsNoAuthorization() async throws {
        let stub = StubTransport { _ in (.ok, #"{"access_token":"a1"}"#) }
        let token = try await TokenService(transport: stub).fetchToken(TokenRequest(realm: realm, service: nil, scopes: []))
        #expect(token.value == "a1")
        #expect(token.lifetime == TokenService.defaultLifetime)  // no expires_in: 60 s
        #expect(stub.sent.first?.headers.contains(name: "Authorization") == false)
        #expect(stub.sent.first?.url.query == "client=x")
    }

    @Test func oauthPostFallsBackToGetOn404And405() async throws {
        for status in [HTTPResponseStatus.notFound, .methodNotAllowed] {
            let stub = StubTransport { request in
                request.method == .POST ? (status, "") : (.ok, #"{"token":"from-get"}"#)
            }
            let service = TokenService(transport: stub, configuration: .init(usesOAuthForPasswords: true))
            let token = try await service.fetchToken(
                TokenRequest(realm: realm, service: "s", scopes: [.repository("a", actions: [.pull])], credentials: .basic(username: "u", password: "p")))
            #expect(token.value == "from-get")
            #expect(stub.sent.map(\.method) == [.POST, .GET])
            let form = try #require(stub.sent.first?.body)
            var body = ByteBuffer()
            for try await var chunk in form.makeStream() { body.writeBuffer(&chunk) }
            #expect(
                String(buffer: body)
                    == "grant_type=password&username=u&password=p&client_id=dockyard&service=s&scope=repository%3Aa%3Apull")
            #expect(stub.sent.first?.headers.first(name: "Content-Type") == "application/x-www-form-urlencoded")
        }
    }

    @Test func refreshGrantKeepsRefreshToken() async throws {
        let stub = StubTransport { _ in (.ok, #"{"access_token":"a","refresh_token":"r2","expires_in":120}"#) }
        let token = try await TokenService(transport: stub).fetchToken(
            TokenRequest(realm: realm, service: "s", scopes: [], credentials: .identityToken("r1")))
        #expect(token.refreshToken == "r2")
        #expect(stub.sent.first?.method == .POST)
    }

    @Test(
        "error bodies become readable errors",
        arguments: [
            (401, #"{"details":"incorrect username or password"}"#, AuthError.Code.invalidCredentials, "incorrect username or password"),
            (403, #"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#, .tokenServiceFailed, "DENIED: requested access"),
            (400, #"{"error":"unsupported_grant_type","error_description":"nope"}"#, .tokenServiceFailed, "unsupported_grant_type: nope"),
            (500, "<html>oops</html>", .tokenServiceFailed, "Internal Server Error"),
            (200, #"{"expires_in":60}"#, .tokenServiceFailed, "without a token"),
            (200, "not json", .tokenServiceFailed, "without a token"),
        ] as [(Int, String, AuthError.Code, String)])
    func errorBodies(status: Int, body: String, code: AuthError.Code, fragment: String) async {
        let stub = StubTransport { _ in (HTTPResponseStatus(statusCode: status), body) }
        do {
            _ = try await TokenService(transport: stub).fetchToken(
                TokenRequest(realm: realm, service: "s", scopes: [], credentials: .basic(username: "u", password: "hunter2")))
            Issue.record("expected an error")
        } catch let error as AuthError {
            #expect(error.code == code)
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(!error.description.contains("hunter2"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func serverEchoOfThePasswordIsRedacted() async {
        let stub = StubTransport { _ in (.unauthorized, #"{"details":"bad password hunter2"}"#) }
        await #expect {
            try await TokenService(transport: stub).fetchToken(
                TokenRequest(realm: realm, service: "s", scopes: [], credentials: .basic(username: "u", password: "hunter2")))
        } throws: { error in
            "\(error)".contains("<redacted>") && !"\(error)".contains("hunter2")
        }
    }

    @Test("an echo of the Basic header or of the form-encoded password is redacted too", arguments: [
        "Basic " + Data("u:p@ss word/1".utf8).base64EncodedString(),
        "password=p%40ss%20word%2F1",
    ])
    func serverEchoOfEncodedPasswordIsRedacted(echo: String) async {
        let stub = StubTransport { _ in (.unauthorized, #"{"details":"rejected \#(echo)"}"#) }
        let error = await #expect(throws: AuthError.self) {
            try await TokenService(transport: stub).fetchToken(
                TokenRequest(realm: realm, service: "s", scopes: [], credentials: .basic(username: "u", password: "p@ss word/1")))
        }
        let text = error?.description ?? ""
        #expect(text.contains("<redacted>"), "\(text)")
        #expect(!text.contains(Data("u:p@ss word/1".utf8).base64EncodedString()))
        #expect(!text.contains("p%40ss"))
    }

    @Test func credentialsNeverGoToNonLoopbackPlainHTTPRealms() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t"}"#) }
        let service = TokenService(transport: stub)
        let insecure = URL(string: "http://auth.example/token")!
        await #expect {
            try await service.fetchToken(TokenRequest(realm: insecure, service: "s", scopes: [], credentials: .basic(username: "u", password: "p")))
        } throws: { error in
            (error as? AuthError)?.code == .insecureRealm
        }
        #expect(stub.sent.isEmpty)
        // Anonymous requests may not use it either (issue 8); loopback realms may take credentials, and the
        // opt-in or an insecure registry's host allows it.
        await #expect {
            try await service.fetchToken(TokenRequest(realm: insecure, service: "s", scopes: []))
        } throws: { error in
            (error as? AuthError)?.code == .insecureRealm
        }
        _ = try await TokenService(transport: stub, configuration: .init(insecureRegistries: ["auth.example"]))
            .fetchToken(TokenRequest(realm: insecure, service: "s", scopes: []))
        _ = try await service.fetchToken(
            TokenRequest(realm: URL(string: "http://127.0.0.1:9/token")!, service: "s", scopes: [], credentials: .basic(username: "u", password: "p")))
        _ = try await TokenService(transport: stub, configuration: .init(allowsInsecureRealms: true)).fetchToken(
            TokenRequest(realm: insecure, service: "s", scopes: [], credentials: .basic(username: "u", password: "p")))
        #expect(stub.sent.count == 3)
    }

    @Test func loopbackHosts() {
        #expect(TokenService.isLoopback(host: "127.0.0.1"))
        #expect(TokenService.isLoopback(host: "127.9.8.7"))
        #expect(TokenService.isLoopback(host: "localhost"))
        #expect(TokenService.isLoopback(host: "[::1]"))
        #expect(!TokenService.isLoopback(host: "127.0.0.1.example.com"))
        #expect(!TokenService.isLoopback(host: "10.0.0.1"))
    }
}

@Suite("RegistryAuthenticator")
struct RegistryAuthenticatorTests {
    /// A token service that answers every request with a new token: `t1`, `t2`, …, each valid for 300 s.
    static func numberedTokenService() -> StubTransport {
        let counter = Mutex(0)
        return StubTransport { _ in
            let number = counter.withLock { value in
                value += 1
                return value
            }
            return (.ok, #"{"token":"t\#(number)","expires_in":300}"#)
        }
    }

    @Test func unsupportedOrMissingChallengeIsTypedError() async {
        let stub = StubTransport { _ in (.ok, #"{"token":"t"}"#) }
        let authenticator = RegistryAuthenticator(transport: stub, credentials: AnonymousCredentials())
        for headers in [HTTPHeaders(), ["WWW-Authenticate": "Negotiate abc=="], ["WWW-Authenticate": "Bearer service=\"s\""]] {
            await #expect {
                try await authenticator.authorization(afterChallenge: headers, forRegistry: "r.example", scopes: [])
            } throws: { error in
                (error as? AuthError)?.code == .unsupportedChallenge
            }
        }
    }

    @Test func challengeScopeIsMergedWithRequestedScopes() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t"}"#) }
        let authenticator = RegistryAuthenticator(transport: stub, credentials: AnonymousCredentials())
        let headers: HTTPHeaders = [
            "WWW-Authenticate": #"Bearer realm="https://auth.example/token",service="s",scope="repository:a:push repository:c:pull""#
        ]
        let header = try await authenticator.authorization(
            afterChallenge: headers, forRegistry: "r.example", scopes: [.repository("a", actions: [.pull])])
        #expect(header == "Bearer t")
        #expect(stub.sent.first?.url.query == "service=s&scope=repository%3Aa%3Apull%2Cpush&scope=repository%3Ac%3Apull")
        // The remembered challenge drops the request-specific scope.
        #expect(await authenticator.challenge(forRegistry: "r.example")?.parameters["scope"] == nil)
    }

    @Test func registryTokenIsUsedDirectly() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"never"}"#) }
        let authenticator = RegistryAuthenticator(
            transport: stub, credentials: StaticCredentials(.registryToken("direct"), forRegistry: "r.example"))
        let headers: HTTPHeaders = ["WWW-Authenticate": #"Bearer realm="https://auth.example/token",service="s""#]
        #expect(try await authenticator.authorization(afterChallenge: headers, forRegistry: "r.example", scopes: []) == "Bearer direct")
        #expect(stub.sent.isEmpty)
    }

    @Test func forceRefreshDropsTheCachedToken() async throws {
        let stub = Self.numberedTokenService()
        let authenticator = RegistryAuthenticator(transport: stub, credentials: AnonymousCredentials())
        let headers: HTTPHeaders = ["WWW-Authenticate": #"Bearer realm="https://auth.example/token",service="s""#]
        let scopes = [Scope.repository("a", actions: [.pull])]
        #expect(try await authenticator.authorization(afterChallenge: headers, forRegistry: "docker.io", scopes: scopes) == "Bearer t1")
        // Hub aliases share the registry's state.
        #expect(try await authenticator.authorization(forRegistry: "registry-1.docker.io", scopes: scopes) == "Bearer t1")
        await authenticator.invalidateToken(forRegistry: "docker.io", scopes: scopes)
        #expect(try await authenticator.authorization(forRegistry: "docker.io", scopes: scopes) == "Bearer t2")
        // Rejecting the current token on a challenge round fetches another one.
        #expect(
            try await authenticator.authorization(
                afterChallenge: headers, forRegistry: "docker.io", scopes: scopes, rejecting: "Bearer t2") == "Bearer t3")
        // Rejecting a token that was already replaced reuses the replacement.
        #expect(
            try await authenticator.authorization(
                afterChallenge: headers, forRegistry: "docker.io", scopes: scopes, rejecting: "Bearer t2") == "Bearer t3")
        #expect(stub.sent.count == 3)
    }

    @Test func freshTokenRefusedForInsufficientScopeIsReported() async throws {
        let stub = StubTransport { _ in (.ok, #"{"token":"t","expires_in":300}"#) }
        // The token's age is judged by the cache's clock, which does not move here: the token is 0 s old.
        let clock = ManualClock()
        let authenticator = RegistryAuthenticator(
            transport: stub, credentials: AnonymousCredentials(), cache: TokenCache(now: { clock.now }))
        let scopes = [Scope.repository("alice/app", actions: [.pull, .push])]
        let plain: HTTPHeaders = ["WWW-Authenticate": #"Bearer realm="https://auth.example/token",service="s""#]
        let header = try await authenticator.authorization(afterChallenge: plain, forRegistry: "r.example", scopes: scopes)
        let denied: HTTPHeaders = [
            "WWW-Authenticate":
                #"Bearer realm="https://auth.example/token",service="s",scope="repository:alice/app:pull,push",error="insufficient_scope""#
        ]
        await #expect {
            try await authenticator.authorization(afterChallenge: denied, forRegistry: "r.example", scopes: scopes, rejecting: header)
        } throws: { error in
            (error as? AuthError)?.code == .insufficientScope
        }
        #expect(stub.sent.count == 1)
    }

    @Test("insufficient_scope on a token a minute old fetches a new token instead of failing (the cache's clock decides)")
    func olderTokenRefusedForInsufficientScopeIsRenewed() async throws {
        let stub = Self.numberedTokenService()
        let clock = ManualClock()
        let authenticator = RegistryAuthenticator(
            transport: stub, credentials: AnonymousCredentials(), cache: TokenCache(now: { clock.now }))
        let scopes = [Scope.repository("alice/app", actions: [.pull, .push])]
        let plain: HTTPHeaders = ["WWW-Authenticate": #"Bearer realm="https://auth.example/token",service="s""#]
        let header = try await authenticator.authorization(afterChallenge: plain, forRegistry: "r.example", scopes: scopes)
        #expect(header == "Bearer t1")
        // Tokens are stamped by the monotonic clock when fetched, a little after the manual clock's base; a minute
        // later on the manual clock the token is surely older than 5 s, and not yet due for renewal (300 s).
        clock.advance(by: .seconds(60))
        let denied: HTTPHeaders = [
            "WWW-Authenticate":
                #"Bearer realm="https://auth.example/token",service="s",scope="repository:alice/app:pull,push",error="insufficient_scope""#
        ]
        let renewed = try await authenticator.authorization(afterChallenge: denied, forRegistry: "r.example", scopes: scopes, rejecting: header)
        #expect(renewed == "Bearer t2")
        #expect(stub.sent.count == 2)
    }
}
