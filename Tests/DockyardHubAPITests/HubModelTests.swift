@testable import DockyardHubAPI
import Foundation
import Testing

@Suite("Lenient model decoding")
struct HubModelTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try HubClient.decode(type, from: Array(json.utf8))
    }

    @Test("tag: images as array or object, v2 as string, status as tag_status, null fields")
    func tagShapes() throws {
        let array = try decode(HubTag.self, #"{"name":"latest","images":[{"architecture":"arm64","os":"linux","variant":"v8","size":5,"os_version":null,"features":null}],"v2":true,"tag_status":"active","last_updated":"2021-01-05T21:06:53.506400Z"}"#)
        #expect(array.images.map(\.platform) == ["linux/arm64/v8"])
        #expect(array.v2 == true)
        #expect(array.lastUpdated != nil)
        let object = try decode(HubTag.self, #"{"name":"old","images":{"architecture":"amd64","os":"linux","variant":null},"v2":"false","status":"inactive","last_updated":"2021-01-05T21:06:53Z"}"#)
        #expect(object.images.map(\.platform) == ["linux/amd64"])
        #expect(object.v2 == false)
        #expect(object.tagStatus == "inactive")
    }

    @Test("repository: nulls, missing user and permissions, odd status_description")
    func repositoryShapes() throws {
        let repository = try decode(HubRepository.self, #"{"name":"whalesay","namespace":"docker","repository_type":null,"status":1,"status_description":"Active","is_private":false,"star_count":757,"pull_count":130737682,"storage_size":null,"affiliation":null,"media_types":null,"categories":[{"name":"Languages & frameworks","slug":"languages-and-frameworks"}]}"#)
        #expect(repository.fullName == "docker/whalesay")
        #expect(repository.repositoryType == nil)
        #expect(repository.permissions == nil)
        #expect(repository.mediaTypes.isEmpty)
        #expect(repository.categories.count == 1)
    }

    @Test("access token: null expires_at, empty token means none")
    func accessTokenShapes() throws {
        let token = try decode(HubAccessToken.self, #"{"uuid":"b30b","token_label":"ro","scopes":["repo:read"],"is_active":true,"token":"","expires_at":null,"created_at":"2021-07-20T12:00:00.000000Z","last_used":null}"#)
        #expect(token.token == nil)
        #expect(token.expiresAt == nil)
        #expect(token.createdAt != nil)
    }

    @Test("member roles compare without case; Invitee is accepted")
    func roles() throws {
        let member = try decode(HubOrganizationMember.self, #"{"username":"x","role":"Editor","groups":["developers"],"type":"Invitee"}"#)
        #expect(member.role == .editor)
        #expect(member.user.type == "Invitee")
        #expect(HubRole(rawValue: "Owner") == .owner)
    }

    @Test("page envelopes: results/count, total, data, null next", arguments: [
        (#"{"count":2,"next":null,"previous":null,"results":[{"name":"a","id":1},{"name":"b","id":2}]}"#, 2),
        (#"{"total":1,"next":null,"previous":null,"results":[{"name":"a","id":1}]}"#, 1),
        (#"{"data":[{"name":"a","id":1}]}"#, nil),
    ])
    func envelopes(json: String, count: Int?) throws {
        let envelope = try decode(PageEnvelope<HubTeam>.self, json)
        #expect(envelope.count == count)
        #expect(envelope.next == nil)
        #expect(!envelope.results.isEmpty)
    }

    @Test("build status codes", arguments: [(0, "queued", false), (3, "building", false), (10, "success", true), (-1, "failure", true), (-4, "cancelled", true)])
    func buildStatus(code: Int, name: String, final: Bool) throws {
        let status = try decode(HubBuildStatus.self, String(code))
        #expect(status.description == name)
        #expect(status.isFinal == final)
    }

    @Test("JWT exp is read for renewal")
    func jwt() {
        func base64url(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let jwt = base64url(#"{"alg":"HS256"}"#) + "." + base64url(#"{"exp":2000,"username":"alice","source":{"type":"pat"}}"#) + ".sig"
        let token = HubToken(accessToken: jwt)
        #expect(token.expiresAt == Date(timeIntervalSince1970: 2000))
        #expect(token.username == "alice")
        #expect(token.source == "pat")
        #expect(token.expires(within: .seconds(60), now: Date(timeIntervalSince1970: 1950)))
        #expect(!token.expires(within: .seconds(60), now: Date(timeIntervalSince1970: 1900)))
        #expect(!token.description.contains(jwt))
        #expect(HubToken(accessToken: "not-a-jwt").expiresAt == nil)
    }

    @Test("repository paths", arguments: [("nginx", "library/nginx"), ("acme/api", "acme/api"), ("docker.io/alice/tools", "alice/tools")])
    func paths(text: String, expected: String) throws {
        #expect(try HubRepositoryPath(parsing: text).description == expected)
    }

    @Test("bad repository paths are refused", arguments: ["", "a/b/c", "a//b", "a/b:tag", "acme/..", "../x", "./."])
    func badPaths(text: String) {
        let error = #expect(throws: HubAPIError.self) { _ = try HubRepositoryPath(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("NAMESPACE/NAME") == true)
    }
}

@Suite("docker search filters")
struct HubSearchFilterTests {
    let results = [
        HubSearchResult(name: "nginx", description: "Official build of Nginx.", starCount: 20000, isOfficial: true),
        HubSearchResult(name: "someone/nginx", description: "", starCount: 3),
        HubSearchResult(name: "other/nginx-auto", description: "", starCount: 50, isAutomated: true),
    ]

    @Test("filters apply as the daemon applies them", arguments: [
        (["is-official=true"], ["nginx"]),
        (["is-official=false"], ["someone/nginx", "other/nginx-auto"]),
        (["stars=10"], ["nginx", "other/nginx-auto"]),
        (["stars=10", "stars=100"], ["nginx"]),
        (["is-automated=true"], ["other/nginx-auto"]),
        ([], ["nginx", "someone/nginx", "other/nginx-auto"]),
    ])
    func filters(raw: [String], expected: [String]) throws {
        let filters = try HubSearchFilters(parsing: raw)
        #expect(results.filter(filters.matches).map(\.name) == expected)
    }

    @Test("bad filters are refused", arguments: [["is-official=maybe"], ["stars=many"], ["color=red"], ["nofilter"], ["is-official=true", "is-official=false"]])
    func badFilters(raw: [String]) {
        let error = #expect(throws: HubAPIError.self) { _ = try HubSearchFilters(parsing: raw) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("filter") == true)
    }
}

@Suite("docker search description")
struct HubSearchDescriptionTests {
    @Test("truncated to 45 characters with an ellipsis unless --no-trunc", arguments: [
        (String(repeating: "a", count: 45), String(repeating: "a", count: 45), String(repeating: "a", count: 45)),
        (String(repeating: "b", count: 46), String(repeating: "b", count: 44) + "…", String(repeating: "b", count: 46)),
        ("line one\nline two", "line one line two", "line one line two"),
    ])
    func truncation(description: String, truncated: String, full: String) {
        let result = HubSearchResult(name: "x", description: description)
        #expect(result.displayDescription() == truncated)
        #expect(result.displayDescription(truncate: false) == full)
    }
}
