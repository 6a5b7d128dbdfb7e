import DockyardTransport
import NIOHTTP1
import Testing

@Suite("RateLimit")
struct RateLimitTests {
    @Test("Docker Hub's headers")
    func dockerHub() throws {
        let headers: HTTPHeaders = [
            "ratelimit-limit": "100;w=21600",
            "ratelimit-remaining": "76;w=21600",
            "docker-ratelimit-source": "192.0.2.1",
        ]
        let limit = try #require(RateLimit(headers: headers))
        #expect(limit.limit == 100)
        #expect(limit.remaining == 76)
        #expect(limit.window == .seconds(21600))
        #expect(limit.source == "192.0.2.1")
        #expect(limit.description == "76 of 100 pulls remaining per 6h (source 192.0.2.1)")
    }

    @Test("header names are case-insensitive; window and source optional")
    func minimal() throws {
        let limit = try #require(RateLimit(headers: ["RateLimit-Limit": "200", "RATELIMIT-REMAINING": "0"]))
        #expect(limit == RateLimit(limit: 200, remaining: 0, window: nil, source: nil))
    }

    @Test("the window comes from whichever header has it; unknown parameters are ignored")
    func windowFromRemaining() throws {
        let limit = try #require(RateLimit(headers: ["ratelimit-limit": "100", "ratelimit-remaining": "5; w=60; x=1"]))
        #expect(limit.window == .seconds(60))
        #expect(limit.remaining == 5)
    }

    @Test("missing or malformed headers give nil", arguments: [
        [:],
        ["ratelimit-limit": "100;w=21600"],
        ["ratelimit-remaining": "1;w=21600"],
        ["ratelimit-limit": "lots", "ratelimit-remaining": "1"],
        ["ratelimit-limit": "-1", "ratelimit-remaining": "1"],
    ] as [HTTPHeaders])
    func absent(headers: HTTPHeaders) {
        #expect(RateLimit(headers: headers) == nil)
    }
}
