@testable import DockyardHubAPI
import DockyardTestFakes
import DockyardTransport
import Foundation
import NIOHTTP1
import Testing

@Suite("Secrets stay out of descriptions, dumps and errors")
struct HubRedactionTests {
    /// Every text form a value can take in a log line or a debugger.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return [String(describing: value), String(reflecting: value), "\(value)", dumped]
    }

    static func expectHidden(_ secret: String, in value: Any, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(value) {
            #expect(!text.contains(secret), "\(text)", sourceLocation: sourceLocation)
        }
    }

    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VybmFtZSI6ImJvYiIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl"

    @Test("logins never show their secret")
    func logins() {
        Self.expectHidden("hunter2-password", in: HubLogin.password(username: "bob", password: "hunter2-password"))
        Self.expectHidden("dckr_pat_secret", in: HubLogin.personalAccessToken(username: "bob", token: "dckr_pat_secret"))
        Self.expectHidden("dckr_oat_secret", in: HubLogin.organizationAccessToken(organization: "acme", token: "dckr_oat_secret"))
        Self.expectHidden(Self.jwt, in: HubLogin.session(HubToken(accessToken: Self.jwt, refreshToken: "refresh-secret")))
        Self.expectHidden("refresh-secret", in: HubLogin.session(HubToken(accessToken: Self.jwt, refreshToken: "refresh-secret")))
        #expect(String(describing: HubLogin.password(username: "bob", password: "x")).contains("bob"))
    }

    @Test("tokens never show the JWT or the refresh token")
    func tokens() {
        let token = HubToken(accessToken: Self.jwt, refreshToken: "refresh-secret")
        #expect(token.username == "bob")
        Self.expectHidden(Self.jwt, in: token)
        Self.expectHidden("refresh-secret", in: token)
        Self.expectHidden(Self.jwt, in: [token])
        Self.expectHidden(Self.jwt, in: Optional(token) as Any)
    }

    @Test("a client whose session holds a password dumps without it")
    func client() async throws {
        let client = try HubClient(transport: FailingTransport())
        try await client.login(.session(HubToken(accessToken: Self.jwt)))
        Self.expectHidden(Self.jwt, in: client)
        #expect(Self.renderings(client).last?.contains("hub.docker.com") == true)
    }

    @Test("access tokens, build triggers, hooks and deliveries hide their secrets")
    func models() throws {
        let pat = try HubJSON.decoder.decode(HubAccessToken.self, from: Data(#"""
            {"uuid":"u-1","token_label":"ci","scopes":["repo:read"],"is_active":true,"token":"dckr_pat_SECRET"}
            """#.utf8))
        #expect(pat.token == "dckr_pat_SECRET")
        Self.expectHidden("dckr_pat_SECRET", in: pat)
        #expect(Self.renderings(pat).last?.contains("ci") == true)

        let oat = try HubJSON.decoder.decode(HubOrganizationAccessToken.self, from: Data(#"""
            {"id":"o-1","label":"deploy","token":"dckr_oat_SECRET","resources":[]}
            """#.utf8))
        Self.expectHidden("dckr_oat_SECRET", in: oat)

        let trigger = try HubJSON.decoder.decode(HubBuildTrigger.self, from: Data(#"""
            {"token":"TRIGGERSECRET","active":true,"trigger_url":"https://hub.docker.com/api/build/v1/source/s/trigger/TRIGGERSECRET/call/"}
            """#.utf8))
        Self.expectHidden("TRIGGERSECRET", in: trigger)
        #expect(Self.renderings(trigger).last?.contains("https://hub.docker.com/") == true)

        Self.expectHidden("HOOKSECRET", in: HubWebhookPipeline.Hook(name: "ci", hookURL: URL(string: "https://hooks.example/services/HOOKSECRET")!))

        let delivery = try WebhookDelivery.decode(from: Array(#"""
            {"callback_url":"https://registry.hub.docker.com/u/acme/api/hook/CALLBACKSECRET/",
             "push_data":{"pushed_at":1700000000,"pusher":"bob","tag":"latest"},
             "repository":{"repo_name":"acme/api","name":"api","namespace":"acme"}}
            """#.utf8))
        Self.expectHidden("CALLBACKSECRET", in: delivery)
    }

    @Test("a transport failure at a trigger or callback URL names only the origin", arguments: ["trigger", "callback"])
    func capabilityTransportErrors(kind: String) async throws {
        let client = try HubClient(transport: FailingTransport())
        let url = try #require(URL(string: "https://hub.docker.com/api/build/v1/source/s/trigger/CAPSECRET/call/"))
        do {
            if kind == "trigger" {
                try await client.triggerBuild(url: url)
            } else {
                try await client.sendCallback(try WebhookCallback(state: .success), to: url)
            }
            Issue.record("expected the transport's error")
        } catch let error as TransportError {
            #expect(error.code == .timedOut)
            #expect(!error.description.contains("CAPSECRET"))
            #expect(error.description.contains("https://hub.docker.com/<\(kind) URL>"))
        }
    }

    @Test("a trigger or callback URL that is not absolute http(s) is refused before sending", arguments: ["trigger", "callback"])
    func capabilityURLMustBeHTTP(kind: String) async throws {
        let transport = ScriptedTransport { _ in (200, [:], "{}") }
        let client = try HubClient(transport: transport)
        for text in ["ftp://hub.docker.com/x/", "/relative/path"] {
            let url = try #require(URL(string: text))
            let error = await #expect(throws: HubAPIError.self) {
                if kind == "trigger" {
                    try await client.triggerBuild(url: url)
                } else {
                    try await client.sendCallback(try WebhookCallback(state: .success), to: url)
                }
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message == "the \(kind) URL must be an absolute http(s) URL")
        }
        #expect(transport.requests.isEmpty)
    }
}
