@testable import DockyardHubAPI
import Foundation
import Testing

/// Issue 8: a forged delivery cannot make a receiver call back to a host of the forger's choosing.
@Suite("Webhook callback hosts")
struct WebhookCallbackHostTests {
    @Test("Callbacks go to Docker Hub over HTTPS, to the configured Hub host, or to an explicitly allowed host", arguments: [
        ("https://registry.hub.docker.com/u/a/b/hook/1/", nil, [], true),
        ("https://hub.docker.com/u/a/b/hook/1/", nil, [], true),
        ("http://registry.hub.docker.com/u/a/b/hook/1/", nil, [], false),
        ("https://evil.example/hook/1/", nil, [], false),
        ("https://169.254.169.254/latest/meta-data/", nil, [], false),
        ("http://127.0.0.1:9/hook/", "127.0.0.1", [], true),
        ("http://127.0.0.1:9/hook/", nil, [], false),
        ("https://hooks.internal.example/1/", nil, ["hooks.internal.example"], true),
        ("http://hooks.internal.example/1/", nil, ["hooks.internal.example"], false),
    ] as [(String, String?, Set<String>, Bool)])
    func hosts(url: String, hubHost: String?, allowed: Set<String>, accepted: Bool) throws {
        let parsed = try #require(URL(string: url))
        if accepted {
            #expect(throws: Never.self) { try WebhookDelivery.checkCallbackURL(parsed, hubHost: hubHost, allowedHosts: allowed) }
        } else {
            let error = #expect(throws: HubAPIError.self) {
                try WebhookDelivery.checkCallbackURL(parsed, hubHost: hubHost, allowedHosts: allowed)
            }
            #expect(error?.code == .invalidArgument)
        }
    }
}
