@testable import DockyardHubAPI
import DockyardTestFakes
import DockyardTransport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("HubList paging")
struct HubListTests {
    static func page(_ request: TransportRequest) -> Int {
        HubClient.pageNumber(in: request.url) ?? 1
    }

    @Test("follows next links on the Hub's origin to the end")
    func followsNext() async throws {
        let transport = ScriptedTransport { request in
            let page = HubListTests.page(request)
            let next = page < 3 ? "\"https://hub.docker.com/v2/orgs/acme/groups?page=\(page + 1)&page_size=2\"" : "null"
            return (200, [:], #"{"count":5,"next":\#(next),"results":[{"id":\#(page * 10),"name":"a"},{"id":\#(page * 10 + 1),"name":"b"}]}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.session(HubToken(accessToken: "a.b.c")))
        var pages = 0
        for try await page in client.teams(of: "acme", pageSize: 2).pages {
            pages += 1
            #expect(page.totalCount == 5)
        }
        #expect(pages == 3)
        let ids = try await client.teams(of: "acme", pageSize: 2).collect().map(\.id)
        #expect(ids == [10, 11, 20, 21, 30, 31])
    }

    @Test("a next link to another origin is refused with a typed error; nothing is sent there")
    func foreignNext() async throws {
        let transport = ScriptedTransport { request in
            let page = HubListTests.page(request)
            let next = page < 2 ? "\"https://evil.example/v2/x?page=2\"" : "null"
            return (200, [:], #"{"count":2,"next":\#(next),"results":[{"id":\#(page),"name":"t"}]}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.session(HubToken(accessToken: "a.b.c")))
        let error = await #expect(throws: HubAPIError.self) { _ = try await client.teams(of: "acme").collect() }
        #expect(error?.code == .invalidResponse)
        #expect(error?.description.contains("evil.example") == true)
        #expect(transport.requests.count == 1)
        #expect(transport.requests.allSatisfy { $0.url.host == "hub.docker.com" })
    }

    @Test("from/size paging stops at total")
    func offsets() async throws {
        let transport = ScriptedTransport { request in
            let from = URLComponents(url: request.url, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "from" }?.value.flatMap(Int.init) ?? 0
            let items = (from..<min(from + 2, 5)).map { #"{"id":"ns/r\#($0)","name":"r\#($0)"}"# }.joined(separator: ",")
            return (200, [:], #"{"total":5,"results":[\#(items)]}"#)
        }
        let client = try HubClient(transport: transport)
        #expect(try await client.catalogSearch("r", pageSize: 2).collect().count == 5)
        #expect(transport.requests.count == 3)
    }

    @Test("{data: []} lists are one page")
    func dataList() async throws {
        let transport = ScriptedTransport { _ in (200, [:], #"{"data":[{"id":"1","invitee":"a@b.c"},{"id":"2","invitee":"d"}]}"#) }
        let client = try HubClient(transport: transport)
        try await client.login(.session(HubToken(accessToken: "a.b.c")))
        #expect(try await client.invites(of: "acme").collect().map(\.id) == ["1", "2"])
    }

    @Test("v1 search pages with page and n until num_pages")
    func v1Paging() async throws {
        let transport = ScriptedTransport { request in
            let page = HubListTests.page(request)
            return (200, [:], #"{"num_pages":3,"num_results":3,"page":\#(page),"results":[{"name":"r\#(page)"}]}"#)
        }
        let client = try HubClient(transport: transport)
        #expect(try await client.searchAll("r", pageSize: 1).collect().map(\.name) == ["r1", "r2", "r3"])
        #expect(transport.requests.allSatisfy { $0.url.host == "index.docker.io" })
    }

    @Test("429 is retried after Retry-After, bounded")
    func retries() async throws {
        let transport = ScriptedTransport { _ in (429, HTTPHeaders([("Retry-After", "0")]), #"{"detail":"Rate limit exceeded","error":false}"#) }
        let configuration = HubClient.Configuration(retry: .init(maxAttempts: 3, maxDelay: .seconds(1)))
        let client = try HubClient(configuration: configuration, transport: transport)
        await #expect(throws: HubAPIError.self) { try await client.user("alice") }
        #expect(transport.requests.count == 3)
    }

    @Test("a Retry-After longer than allowed fails at once")
    func longRetryAfter() async throws {
        let transport = ScriptedTransport { _ in (429, HTTPHeaders([("Retry-After", "3600")]), #"{"detail":"Rate limit exceeded","error":false}"#) }
        let client = try HubClient(transport: transport)
        let error = await #expect(throws: HubAPIError.self) { try await client.user("alice") }
        #expect(error?.retryAfter == .seconds(3600))
        #expect(transport.requests.count == 1)
    }

    @Test("credentials never go to another origin")
    func noCredentialsElsewhere() async throws {
        let transport = ScriptedTransport { request in
            if request.url.path == "/v2/auth/token" { return (200, [:], #"{"access_token":"abc.def.ghi"}"#) }
            return (200, [:], "{}")
        }
        let client = try HubClient(transport: transport)
        try await client.login(.personalAccessToken(username: "alice", token: "dckr_pat_x"))
        try await client.sendCallback(try WebhookCallback(state: .success), to: try #require(URL(string: "https://registry.hub.docker.com/u/a/b/hook/1/")))
        try await client.triggerBuild(url: try #require(URL(string: "https://hub.docker.com/api/build/v1/source/1/trigger/2/call/")))
        _ = try? await client.currentUser()
        let withAuth = transport.requests.filter { $0.headers.contains(name: "Authorization") }
        #expect(withAuth.map(\.url.absoluteString) == ["https://hub.docker.com/v2/user/"])
    }

    @Test("configuration is validated", arguments: [0, 101])
    func badPageSize(size: Int) {
        let transport = ScriptedTransport { _ in (200, [:], "{}") }
        #expect(throws: HubAPIError.self) { _ = try HubClient(configuration: .init(pageSize: size), transport: transport) }
    }
}

@Suite("Capability URLs stay out of errors")
struct CapabilityURLTests {
    @Test("a refused trigger or callback names only the origin")
    func redacted() async throws {
        let transport = ScriptedTransport { _ in (404, [:], #"{"detail":"Not found."}"#) }
        let client = try HubClient(transport: transport)
        let trigger = try #require(URL(string: "https://hub.docker.com/api/build/v1/source/SOURCE-SECRET/trigger/TRIGGER-SECRET/call/"))
        let error = await #expect(throws: HubAPIError.self) { try await client.triggerBuild(url: trigger) }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains("SECRET") == false)
        let callback = try #require(URL(string: "https://registry.hub.docker.com/u/a/b/hook/HOOK-SECRET/"))
        let refused = await #expect(throws: HubAPIError.self) { try await client.sendCallback(try WebhookCallback(state: .success), to: callback) }
        #expect(refused?.description.contains("SECRET") == false)
    }
}

@Suite("Session renewal")
struct HubSessionRenewalTests {
    static func jwt(expiresIn seconds: Double) -> String {
        func base64url(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let exp = Int(Date().timeIntervalSince1970 + seconds)
        return base64url(#"{"alg":"HS256"}"#) + "." + base64url(#"{"exp":\#(exp),"jti":"\#(UUID().uuidString)"}"#) + ".sig"
    }

    @Test("a token near its exp is renewed once for many concurrent calls")
    func singleFlight() async throws {
        let transport = ScriptedTransport(delaying: "/v2/auth/token", by: .milliseconds(300)) { request in
            if request.url.path == "/v2/auth/token" {
                // Expires within the 60 s margin, so every later call renews.
                return (200, [:], #"{"access_token":"\#(HubSessionRenewalTests.jwt(expiresIn: 30))"}"#)
            }
            return (200, [:], #"{"username":"alice"}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.personalAccessToken(username: "alice", token: "dckr_pat_x"))
        try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await client.currentUser().username } }
            for try await name in group { #expect(name == "alice") }
        }
        let logins = transport.requests.filter { $0.url.path == "/v2/auth/token" }.count
        #expect(logins == 2, "one login, then one renewal shared by all eight calls")
    }

    @Test("a token far from its exp is reused")
    func reuse() async throws {
        let transport = ScriptedTransport { request in
            if request.url.path == "/v2/auth/token" {
                return (200, [:], #"{"access_token":"\#(HubSessionRenewalTests.jwt(expiresIn: 600))"}"#)
            }
            return (200, [:], #"{"username":"alice"}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.personalAccessToken(username: "alice", token: "dckr_pat_x"))
        for _ in 0..<3 { _ = try await client.currentUser() }
        #expect(transport.requests.filter { $0.url.path == "/v2/auth/token" }.count == 1)
    }

    @Test("a 401 with a renewable login renews once and retries")
    func renewOn401() async throws {
        let calls = Counter()
        let transport = ScriptedTransport { request in
            if request.url.path == "/v2/auth/token" {
                return (200, [:], #"{"access_token":"\#(HubSessionRenewalTests.jwt(expiresIn: 600))"}"#)
            }
            return calls.next() == 0 ? (401, [:], #"{"message":"unauthorized","errinfo":{}}"#) : (200, [:], #"{"username":"alice"}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.personalAccessToken(username: "alice", token: "dckr_pat_x"))
        #expect(try await client.currentUser().username == "alice")
        #expect(transport.requests.filter { $0.url.path == "/v2/auth/token" }.count == 2)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { defer { value += 1 }; return value } }
}

@Suite("Request URLs")
struct HubRequestURLTests {
    @Test("path segments and query values are encoded")
    func encoding() async throws {
        let transport = ScriptedTransport { _ in (200, [:], #"{"num_pages":1,"results":[]}"#) }
        let client = try HubClient(configuration: .init(baseURL: try #require(URL(string: "https://hub.example/api-root"))), transport: transport)
        _ = try await client.search("c++ & co", limit: 5)
        let url = try #require(transport.requests.first?.url.absoluteString)
        #expect(url == "https://hub.example/api-root/v1/search?q=c%2B%2B%20%26%20co&n=5")
        _ = try? await client.user("a b/c")
        #expect(transport.requests.last?.url.absoluteString == "https://hub.example/api-root/v2/users/a%20b%2Fc/")
    }

    @Test("a name of '.' or '..' is refused before anything is sent", arguments: [".", ".."])
    func dotSegments(name: String) async throws {
        let transport = ScriptedTransport { _ in (200, [:], "{}") }
        let client = try HubClient(transport: transport)
        try await client.login(.session(HubToken(accessToken: "a.b.c")))
        let error = await #expect(throws: HubAPIError.self) {
            try await client.deleteRepository(HubRepositoryPath(namespace: "acme", name: name))
        }
        #expect(error?.code == .invalidArgument)
        _ = await #expect(throws: HubAPIError.self) { _ = try await client.user(name) }
        #expect(transport.requests.isEmpty)
    }

    @Test("a foreign next link on a later page ends the list with an error; nothing is sent there")
    func foreignNextLater() async throws {
        let transport = ScriptedTransport { request in
            // Page 1 links to page Int.max on the Hub; that page links to another origin.
            let next = HubListTests.page(request) == 1 ? "https://hub.docker.com/v2/orgs/acme/groups?page=\(Int.max)" : "https://evil.example/x"
            return (200, [:], #"{"next":"\#(next)","results":[{"id":\#(HubListTests.page(request) == 1 ? 1 : 2),"name":"t"}]}"#)
        }
        let client = try HubClient(transport: transport)
        try await client.login(.session(HubToken(accessToken: "a.b.c")))
        let error = await #expect(throws: HubAPIError.self) { _ = try await client.teams(of: "acme").collect() }
        #expect(error?.code == .invalidResponse)
        #expect(transport.requests.count == 2)
        #expect(transport.requests.allSatisfy { $0.url.host == "hub.docker.com" })
    }
}

@Suite("Build polling")
struct HubBuildPollingTests {
    /// Answers the build's polls from `script` (a status per poll: a number, or 500 for a server error).
    static func client(_ script: [Int]) throws -> (HubClient, ScriptedTransport) {
        let counter = Counter()
        let transport = ScriptedTransport { _ in
            let answer = script[min(counter.next(), script.count - 1)]
            if answer == 500 { return (500, [:], #"{"detail":"boom"}"#) }
            return (200, [:], #"{"build_code":"b1","status":\#(answer)}"#)
        }
        // The transport's own retries are off, so that each poll is one request and the poll's tolerance shows.
        return (try HubClient(configuration: .init(retry: .none), transport: transport), transport)
    }

    @Test("server errors between polls are asked again; the build is followed to its end")
    func toleratesServerErrors() async throws {
        let (client, transport) = try Self.client([3, 500, 500, 10])
        let build = try await client.waitForBuild("b1", in: HubRepositoryPath(namespace: "acme", name: "api"), pollInterval: .milliseconds(1))
        #expect(build.status == .success)
        #expect(transport.requests.count == 4)
    }

    @Test("too many server errors in a row end the wait with the server's error")
    func givesUpAfterLimit() async throws {
        let (client, transport) = try Self.client([3, 500, 500, 500, 10])
        let error = await #expect(throws: HubAPIError.self) {
            _ = try await client.waitForBuild("b1", in: HubRepositoryPath(namespace: "acme", name: "api"), pollInterval: .milliseconds(1))
        }
        #expect(error?.code == .serverError)
        #expect(transport.requests.count == 1 + HubClient.buildPollServerErrorLimit)
    }
}

