@testable import DockyardHubAPI
import Foundation
import Testing

@Suite("WebhookDelivery and WebhookCallback")
struct WebhookDeliveryTests {
    static let current = """
    {"callback_url": "https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/",
     "push_data": {"pushed_at": 1417566161, "pusher": "trustedbuilder", "tag": "latest"},
     "repository": {"comment_count": 0, "date_created": 1417494799, "description": "", "full_description": "Docker Hub based automated build from a GitHub repo",
      "is_official": false, "is_private": true, "is_trusted": true, "name": "testhook", "namespace": "svendowideit",
      "owner": "svendowideit", "repo_name": "svendowideit/testhook", "repo_url": "https://registry.hub.docker.com/u/svendowideit/testhook/",
      "star_count": 0, "status": "Active"}}
    """
    static let legacy = """
    {"callback_url": "https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/",
     "push_data": {"images": ["27d47432a69bca5f2700e4dff7de0388ed65f9d3fb1ec645e2bc24c223dc1cc3", "51a9c7c1f8bb2fa19bcd09789a34e63f35abb80044bc10196e304f6634cc582c"],
                   "pushed_at": 1417566161.5, "pusher": "trustedbuilder", "tag": "latest"},
     "repository": {"comment_count": 0, "date_created": 1417494799.0, "description": "", "dockerfile": "FROM ubuntu\\n",
      "is_private": true, "name": "testhook", "namespace": "svendowideit", "repo_name": "svendowideit/testhook", "star_count": 0, "status": "Active"}}
    """

    @Test("integer timestamps, no images, no dockerfile")
    func currentPayload() throws {
        let delivery = try WebhookDelivery.decode(from: Array(Self.current.utf8))
        #expect(delivery.pushData.pushedAt == Date(timeIntervalSince1970: 1417566161))
        #expect(delivery.pushData.images == nil)
        #expect(delivery.repository.dockerfile == nil)
        #expect(delivery.repository.repoName == "svendowideit/testhook")
        #expect(delivery.repository.dateCreated == Date(timeIntervalSince1970: 1417494799))
        #expect(delivery.callbackURL.host == "registry.hub.docker.com")
    }

    @Test("float timestamps, images and dockerfile")
    func legacyPayload() throws {
        let delivery = try WebhookDelivery.decode(from: Array(Self.legacy.utf8))
        #expect(delivery.pushData.pushedAt.timeIntervalSince1970 == 1417566161.5)
        #expect(delivery.pushData.images?.count == 2)
        #expect(delivery.repository.dockerfile == "FROM ubuntu\n")
        #expect(delivery.repository.owner == nil)
    }

    @Test("round trip through Codable keeps the fields")
    func roundTrip() throws {
        let delivery = try WebhookDelivery.decode(from: Array(Self.legacy.utf8))
        let again = try WebhookDelivery.decode(from: Array(try JSONEncoder().encode(delivery)))
        #expect(again == delivery)
    }

    @Test("bad bodies give clear errors", arguments: [
        ("", "empty"),
        ("not json", "not a Docker Hub webhook payload"),
        (#"{"push_data": {"pushed_at": 1, "pusher": "a", "tag": "b"}, "repository": {"name": "n", "namespace": "s"}}"#, "callback_url"),
        (#"{"callback_url": "http://x/cb", "push_data": {"pushed_at": "soon", "pusher": "a", "tag": "b"}, "repository": {"name": "n", "namespace": "s"}}"#, "pushed_at"),
        (#"{"callback_url": "nope", "push_data": {"pushed_at": 1, "pusher": "a", "tag": "b"}, "repository": {"name": "n", "namespace": "s"}}"#, "callback_url"),
    ])
    func badPayloads(body: String, mention: String) {
        #expect {
            _ = try WebhookDelivery.decode(from: Array(body.utf8))
        } throws: { error in
            (error as? WebhookPayloadError)?.message.contains(mention) == true
        }
    }

    @Test("callback limits are checked before sending", arguments: [
        (255, 100, true), (256, 10, false), (10, 101, false), (0, 0, true),
    ])
    func callbackLimits(descriptionLength: Int, contextLength: Int, valid: Bool) {
        let make = {
            try WebhookCallback(state: .success, description: String(repeating: "d", count: descriptionLength),
                                context: String(repeating: "c", count: contextLength))
        }
        if valid {
            #expect(throws: Never.self) { _ = try make() }
        } else {
            let error = #expect(throws: HubAPIError.self) { _ = try make() }
            #expect(error?.code == .invalidArgument)
            #expect(error?.fieldErrors[descriptionLength > 255 ? "description" : "context"] != nil)
        }
    }

    @Test("target_url must be an absolute http(s) URL")
    func callbackTargetURL() throws {
        let refused = #expect(throws: HubAPIError.self) { _ = try WebhookCallback(state: .error, targetURL: URL(string: "ftp://x/y")) }
        #expect(refused?.code == .invalidArgument)
        #expect(refused?.fieldErrors["target_url"] == ["Enter a valid URL."])
        let callback = try WebhookCallback(state: .failure, description: "387 tests PASSED", context: "Continuous integration by Acme CI",
                                           targetURL: URL(string: "http://ci.acme.com/results/afd339c1c3d27"))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(callback)) as? [String: String])
        #expect(json == ["state": "failure", "description": "387 tests PASSED", "context": "Continuous integration by Acme CI",
                         "target_url": "http://ci.acme.com/results/afd339c1c3d27"])
    }

    @Test("decoding a callback applies the same limits", arguments: [
        (#"{"state":"success","description":"\#(String(repeating: "x", count: 300))"}"#, "description"),
        (#"{"state":"success","context":"\#(String(repeating: "x", count: 101))"}"#, "context"),
        (#"{"state":"success","target_url":"ftp://x/y"}"#, "target_url"),
        (#"{"state":"success","target_url":"not a url"}"#, "target_url"),
    ])
    func decodeCallback(body: String, field: String) {
        let error = #expect(throws: HubAPIError.self) { _ = try JSONDecoder().decode(WebhookCallback.self, from: Data(body.utf8)) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.fieldErrors[field] != nil)
    }

    @Test("a callback with an unknown state is a decoding error")
    func decodeCallbackState() throws {
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(WebhookCallback.self, from: Data(#"{"state":"maybe"}"#.utf8)) }
        let valid = try JSONDecoder().decode(WebhookCallback.self, from: Data(#"{"state":"error","target_url":"https://ci.example/1"}"#.utf8))
        #expect(valid.state == .error)
        #expect(valid.targetURL?.absoluteString == "https://ci.example/1")
    }
}
