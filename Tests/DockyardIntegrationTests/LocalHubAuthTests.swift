import DockyardAuth
import DockyardTestSupport
import DockyardTransport
import Foundation
import NIOHTTP1
import Testing
import DockyardHTTPClient

/// Sends GET requests the way a registry client does: with the authenticator's header when it has one, and one
/// challenge round on `401`.
struct ChallengeRound {
    let transport: any HTTPTransport
    let authenticator: RegistryAuthenticator
    let registry: String

    init(transport: any HTTPTransport, authenticator: RegistryAuthenticator, registry: String) {
        self.transport = transport
        self.authenticator = authenticator
        self.registry = registry
    }

    /// A round with a fresh authenticator that sends its token requests through `transport` too.
    init(
        transport: any HTTPTransport,
        credentials: any CredentialProvider,
        registry: String,
        configuration: RegistryAuthenticator.Configuration = .init()
    ) {
        let authenticator = RegistryAuthenticator(transport: transport, credentials: credentials, configuration: configuration)
        self.init(transport: transport, authenticator: authenticator, registry: registry)
    }

    /// Returns the final status and the `Authorization` value that was sent last.
    func get(_ url: URL, scopes: [Scope]) async throws -> (status: Int, authorization: String?) {
        var request = TransportRequest(method: .GET, url: url)
        if let authorization = try await authenticator.authorization(forRegistry: registry, scopes: scopes) {
            request.headers.replaceOrAdd(name: "Authorization", value: authorization)
        }
        var response = try await transport.send(request)
        await response.body.drain()
        if response.status == .unauthorized {
            let authorization = try await authenticator.authorization(
                afterChallenge: response.headers, forRegistry: registry, scopes: scopes,
                rejecting: request.headers.first(name: "Authorization"))
            request.headers.replaceOrAdd(name: "Authorization", value: authorization)
            response = try await transport.send(request)
            await response.body.drain()
        }
        return (Int(response.status.code), request.headers.first(name: "Authorization"))
    }
}

/// A repository name no other test uses, so that token-log lines can be told apart.
func uniqueRepository(_ namespace: String) -> String {
    "\(namespace)/h4-\(UUID().uuidString.prefix(8).lowercased())"
}

@Suite("RegistryAuthenticator against localhub", .tags(.integration), .requiresLocalHub)
struct LocalHubAuthTests {
    @Test func anonymousPullTokenForPublicRepository() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository("library")
        let mark = hub.tokenServer.logMark()
        try await withTransport { (transport) async throws in
            let round = ChallengeRound(transport: transport, credentials: AnonymousCredentials(), registry: hub.token.host)
            let authenticator = round.authenticator
            let scopes = [Scope.repository(repository, actions: [.pull])]
            #expect(try await authenticator.authorization(forRegistry: hub.token.host, scopes: scopes) == nil)
            let result = try await round.get(hub.token.v2("\(repository)/tags/list"), scopes: scopes)
            #expect(result.status == 404)  // authorized; the repository just doesn't exist
            #expect(result.authorization?.hasPrefix("Bearer ") == true)
            #expect(await authenticator.challenge(forRegistry: hub.token.host)?.service == hub.tokenServer.service)
        }
        let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
        #expect(requests.count == 1)
        #expect(requests.first?.grant == "anonymous")
        #expect(requests.first?.scopes == ["repository:\(repository):pull"])
        #expect(requests.first?.access?.first?.actions == ["pull"])
    }

    @Test func basicCredentialsAskForPushOnlyWhenPushing() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository(hub.user.username)
        let mark = hub.tokenServer.logMark()
        try await withTransport { (transport) async throws in
            let credentials = StaticCredentials(
                .basic(username: hub.user.username, password: hub.user.password), forRegistry: hub.token.host)
            let round = ChallengeRound(transport: transport, credentials: credentials, registry: hub.token.host)
            let url = hub.token.v2("\(repository)/tags/list")
            #expect(try await round.get(url, scopes: [.repository(repository, actions: [.pull])]).status == 404)
            #expect(try await round.get(url, scopes: [.repository(repository, actions: [.pull])]).status == 404)
            #expect(try await round.get(url, scopes: [.repository(repository, actions: [.pull, .push])]).status == 404)
        }
        let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
        #expect(requests.map(\.scopes) == [["repository:\(repository):pull"], ["repository:\(repository):pull,push"]])
        #expect(requests.allSatisfy { $0.grant == "basic" && $0.user == hub.user.username && $0.account == hub.user.username })
        #expect(requests.last?.access?.first?.actions.sorted() == ["pull", "push"])
    }

    @Test func wrongPasswordIsInvalidCredentials() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository(hub.user.username)
        let wrong = "wrong-\(UUID().uuidString)"
        try await withTransport { (transport) async throws in
            let credentials = StaticCredentials(.basic(username: hub.user.username, password: wrong), forRegistry: hub.token.host)
            let round = ChallengeRound(transport: transport, credentials: credentials, registry: hub.token.host)
            do {
                _ = try await round.get(hub.token.v2("\(repository)/tags/list"), scopes: [.repository(repository, actions: [.pull])])
                Issue.record("a wrong password must fail")
            } catch let error as AuthError {
                #expect(error.code == .invalidCredentials)
                #expect(error.status == 401)
                #expect(error.description.contains("incorrect username or password"))
                #expect(!error.description.contains(wrong))
            }
        }
    }

    @Test func personalAccessTokenWorksInPlaceOfPassword() async throws {
        let hub = try LocalHub.required()
        let token = try #require(hub.user.personalAccessToken)
        let repository = uniqueRepository(hub.user.username)
        try await withTransport { (transport) async throws in
            let credentials = StaticCredentials(.basic(username: hub.user.username, password: token), forRegistry: hub.token.host)
            let round = ChallengeRound(transport: transport, credentials: credentials, registry: hub.token.host)
            #expect(try await round.get(hub.token.v2("\(repository)/tags/list"), scopes: [.repository(repository, actions: [.pull, .push])]).status == 404)
        }
    }

    @Test func oauthPasswordGrantThenRefreshTokenGrant() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository(hub.user.username)
        let mark = hub.tokenServer.logMark()
        try await withTransport { (transport) async throws in
            let service = TokenService(
                transport: transport, configuration: .init(clientID: "dockyard-tests", usesOAuthForPasswords: true))
            let scopes = [Scope.repository(repository, actions: [.pull, .push])]
            let first = try await service.fetchToken(
                TokenRequest(
                    realm: hub.tokenServer.realm, service: hub.tokenServer.service, scopes: scopes,
                    credentials: .basic(username: hub.user.username, password: hub.user.password), wantsRefreshToken: true))
            let refreshToken = try #require(first.refreshToken)
            let logged = try #require(try hub.tokenServer.requests(forRepository: repository, since: mark).first?.expiresIn)
            #expect(first.lifetime == .seconds(logged))
            #expect(first.issuedAt != nil)
            let second = try await service.fetchToken(
                TokenRequest(
                    realm: hub.tokenServer.realm, service: hub.tokenServer.service, scopes: scopes,
                    credentials: .identityToken(refreshToken)))
            #expect(second.value != first.value)
            await #expect {
                try await service.fetchToken(
                    TokenRequest(realm: hub.tokenServer.realm, service: hub.tokenServer.service, scopes: scopes, credentials: .identityToken("bogus")))
            } throws: { error in
                (error as? AuthError)?.code == .invalidCredentials && (error as? AuthError)?.description.contains("bogus") == false
            }
        }
        let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
        #expect(requests.map(\.method) == ["POST", "POST", "POST"])
        #expect(requests.map(\.grant) == ["password", "refresh_token", "refresh_token"])
        #expect(requests.first?.offline == true)
        #expect(requests.first?.clientID == "dockyard-tests")
        #expect(requests.dropLast().allSatisfy { $0.user == hub.user.username })
        #expect(requests.last?.status == 401)
    }

    @Test func authenticatorKeepsAndUsesRefreshTokens() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository(hub.user.username)
        let mark = hub.tokenServer.logMark()
        try await withTransport { (transport) async throws in
            let credentials = StaticCredentials(
                .basic(username: hub.user.username, password: hub.user.password), forRegistry: hub.token.host)
            let round = ChallengeRound(
                transport: transport, credentials: credentials, registry: hub.token.host,
                configuration: .init(requestsRefreshTokens: true))
            let authenticator = round.authenticator
            let url = hub.token.v2("\(repository)/tags/list")
            #expect(try await round.get(url, scopes: [.repository(repository, actions: [.pull])]).status == 404)
            #expect(try await authenticator.refreshToken(forRegistry: hub.token.host) != nil)
            #expect(try await round.get(url, scopes: [.repository(repository, actions: [.pull, .push])]).status == 404)
        }
        let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
        #expect(requests.map(\.grant) == ["basic", "refresh_token"])
        #expect(requests.first?.offline == true)
    }

    @Test func identityTokenFromCredentialsUsesRefreshGrant() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository(hub.user.username)
        try await withTransport { (transport) async throws in
            let service = TokenService(transport: transport)
            let login = try await service.fetchToken(
                TokenRequest(
                    realm: hub.tokenServer.realm, service: hub.tokenServer.service, scopes: [],
                    credentials: .basic(username: hub.user.username, password: hub.user.password), wantsRefreshToken: true))
            let identityToken = try #require(login.refreshToken)
            let mark = hub.tokenServer.logMark()
            let round = ChallengeRound(
                transport: transport, credentials: StaticCredentials(.identityToken(identityToken), forRegistry: hub.token.host),
                registry: hub.token.host)
            #expect(try await round.get(hub.token.v2("\(repository)/tags/list"), scopes: [.repository(repository, actions: [.pull, .push])]).status == 404)
            let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
            #expect(requests.map(\.grant) == ["refresh_token"])
            #expect(requests.first?.access?.first?.actions.sorted() == ["pull", "push"])
        }
    }

    @Test func twentyConcurrentChallengesShareOneTokenRequest() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository("library")
        let mark = hub.tokenServer.logMark()
        try await withTransport { (transport) async throws in
            let round = ChallengeRound(transport: transport, credentials: AnonymousCredentials(), registry: hub.token.host)
            let authenticator = round.authenticator
            let url = hub.token.v2("\(repository)/tags/list")
            let scopes = [Scope.repository(repository, actions: [.pull])]
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 { group.addTask { try await round.get(url, scopes: scopes).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 404, count: 20))
            let headers = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await authenticator.authorization(forRegistry: hub.token.host, scopes: scopes) }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
            #expect(headers.count == 1)
        }
        #expect(try hub.tokenServer.requests(forRepository: repository, since: mark).count == 1)
    }

    /// Tokens that live 8 seconds come from a token service (and registry) of this test's own; 8 s, not 2, so that
    /// a loaded machine cannot expire a token between its fetch and its first use.
    @Test(.privateLocalHub(.init(tokenLifetime: 8, exactExpiry: true, components: ["token"])))
    func expiringTokenIsRenewedTransparently() async throws {
        let hub = try LocalHub.required()
        let repository = uniqueRepository("library")
        #expect(hub.tokenServer.lifetime == 8)
        do {
            let mark = hub.tokenServer.logMark()
            try await withTransport { (transport) async throws in
                let round = ChallengeRound(transport: transport, credentials: AnonymousCredentials(), registry: hub.token.host)
                let authenticator = round.authenticator
                let url = hub.token.v2("\(repository)/tags/list")
                let scopes = [Scope.repository(repository, actions: [.pull])]
                let first = try await round.get(url, scopes: scopes)
                #expect(first.status == 404)
                try await Task.sleep(for: .seconds(9))

                // The stale token is really refused by the registry now…
                var stale = TransportRequest(method: .GET, url: url)
                stale.headers.add(name: "Authorization", value: try #require(first.authorization))
                let refused = try await transport.send(stale)
                await refused.body.drain()
                #expect(refused.status == .unauthorized)
                #expect(AuthChallenge.parse(headers: refused.headers).first?.error == "invalid_token")

                // …and the authenticator renews ahead of use, without a 401.
                let fresh = try #require(try await authenticator.authorization(forRegistry: hub.token.host, scopes: scopes))
                #expect(fresh != first.authorization)
                var renewed = TransportRequest(method: .GET, url: url)
                renewed.headers.add(name: "Authorization", value: fresh)
                let accepted = try await transport.send(renewed)
                await accepted.body.drain()
                #expect(accepted.status == .notFound)

                // A token rejected as invalid_token is replaced on the challenge round.
                let replacement = try await authenticator.authorization(
                    afterChallenge: refused.headers, forRegistry: hub.token.host, scopes: scopes,
                    rejecting: first.authorization)
                #expect(replacement == fresh)  // the stale one was already replaced: no third fetch
            }
            let requests = try hub.tokenServer.requests(forRepository: repository, since: mark)
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0.expiresIn == 8 })
        }
    }

    @Test func basicRegistryGetsBasicHeaderAndRejectedPasswordIsReported() async throws {
        let hub = try LocalHub.required()
        try await withTransport { (transport) async throws in
            let good = RegistryAuthenticator(
                transport: transport,
                credentials: StaticCredentials(
                    .basic(username: hub.basicAccount.username, password: hub.basicAccount.password), forRegistry: hub.basic.host))
            let round = ChallengeRound(transport: transport, authenticator: good, registry: hub.basic.host)
            let result = try await round.get(hub.basic.v2(), scopes: [])
            #expect(result.status == 200)
            #expect(result.authorization?.hasPrefix("Basic ") == true)
            #expect(await good.challenge(forRegistry: hub.basic.host)?.realm == hub.basicRealm)
            #expect(try await good.authorization(forRegistry: hub.basic.host, scopes: []) == result.authorization)

            let bad = RegistryAuthenticator(
                transport: transport,
                credentials: StaticCredentials(.basic(username: hub.basicAccount.username, password: "nope-nope"), forRegistry: hub.basic.host))
            let badRound = ChallengeRound(transport: transport, authenticator: bad, registry: hub.basic.host)
            #expect(try await badRound.get(hub.basic.v2(), scopes: []).status == 401)
            // The next round carries the refused header, so the authenticator can say why.
            do {
                _ = try await badRound.get(hub.basic.v2(), scopes: [])
                Issue.record("refused Basic credentials must throw")
            } catch let error as AuthError {
                #expect(error.code == .invalidCredentials)
                #expect(!error.description.contains("nope-nope"))
            }

            let anonymousRound = ChallengeRound(transport: transport, credentials: AnonymousCredentials(), registry: hub.basic.host)
            await #expect {
                try await anonymousRound.get(hub.basic.v2(), scopes: [])
            } throws: { error in
                (error as? AuthError)?.code == .credentialsRequired
            }
        }
    }

    @Test func tokenServiceErrorBodiesAreDecoded() async throws {
        let hub = try LocalHub.required()
        try await withTransport { (transport) async throws in
            let service = TokenService(transport: transport)
            await #expect {
                try await service.fetchToken(TokenRequest(realm: hub.tokenServer.realm, service: "bogus.example", scopes: []))
            } throws: { error in
                guard let error = error as? AuthError else { return false }
                return error.code == .tokenServiceFailed && error.status == 400 && error.description.contains("invalid service")
            }
        }
    }
}
