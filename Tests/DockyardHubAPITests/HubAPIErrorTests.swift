@testable import DockyardHubAPI
import Foundation
import NIOHTTP1
import Testing

@Suite("HubAPIError body shapes")
struct HubAPIErrorTests {
    @Test("each body shape keeps status, message and field errors", arguments: [
        (401, #"{"detail":"Incorrect authentication credentials"}"#, "Incorrect authentication credentials", [String: [String]](), HubAPIError.Code.unauthorized),
        (404, #"{"message":"object not found","errinfo":{}}"#, "object not found", [:], .notFound),
        (400, #"{"message":"body is invalid","errinfo":{"secret":"must be at least 9 characters"}}"#, "body is invalid", ["secret": ["must be at least 9 characters"]], .invalidRequest),
        (400, #"{"fields":{"ordering":["Invalid ordering value. Must be one of: name"]},"text":"Invalid ordering value"}"#, "Invalid ordering value", ["ordering": ["Invalid ordering value. Must be one of: name"]], .invalidRequest),
        (409, #"{"code":"conflict","message":"already exists","details":{"name":"taken"}}"#, "already exists", ["name": ["taken"]], .conflict),
        (401, #"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#, "authentication required", [:], .unauthorized),
        (400, #"{"description":["Ensure this field has no more than 255 characters."]}"#, "invalid fields", ["description": ["Ensure this field has no more than 255 characters."]], .invalidRequest),
        (400, #"{"__all__":["Repository with this Name and Namespace already exists."]}"#, "Repository with this Name and Namespace already exists.", [:], .invalidRequest),
        (429, #"{"detail":"Rate limit exceeded","error":false}"#, "Rate limit exceeded", [:], .rateLimited),
        (404, "<html><head><title>404 : Docker</title></head><body>x</body></html>", "404 : Docker", [:], .notFound),
        (500, "", "internal server error", [:], .serverError),
    ])
    func shapes(status: Int, body: String, message: String, fields: [String: [String]], code: HubAPIError.Code) {
        let error = HubAPIError.decode(status: status, body: Array(body.utf8), method: "GET",
                                       url: URL(string: "https://hub.docker.com/v2/x?token=hunter2"))
        #expect(error.status == status)
        #expect(error.message == message)
        #expect(error.fieldErrors == fields)
        #expect(error.code == code)
        #expect(error.url == "https://hub.docker.com/v2/x")
        #expect(!error.description.contains("hunter2"))
    }

    @Test("a 401 carrying login_2fa_token means two-factor is required")
    func twoFactor() {
        let body = #"{"detail":"Require secondary authentication on MFA enabled account","login_2fa_token":"eyJ.x.y"}"#
        let error = HubAPIError.decode(status: 401, body: Array(body.utf8))
        #expect(error.code == .twoFactorRequired)
        #expect(!error.description.contains("eyJ.x.y"))
    }

    @Test("rate-limit headers and Retry-After / X-Retry-After")
    func rateLimitHeaders() {
        var headers = HTTPHeaders([("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1700000000")])
        let state = HubRateLimit(headers: headers)
        #expect(state == HubRateLimit(limit: 10, remaining: 0, reset: Date(timeIntervalSince1970: 1700000000)))
        #expect(HubRateLimit(headers: HTTPHeaders()) == nil)
        headers.add(name: "Retry-After", value: "7")
        #expect(HubRateLimitPolicy.retryAfter(in: headers) == .seconds(7))
        let now = Date(timeIntervalSince1970: 1000)
        #expect(HubRateLimitPolicy.retryAfter(in: HTTPHeaders([("X-Retry-After", "1012")]), now: now) == .seconds(12))
        #expect(HubRateLimitPolicy.retryAfter(in: HTTPHeaders([("X-Retry-After", "900")]), now: now) == .zero)
        #expect(HubRateLimitPolicy.retryAfter(in: HTTPHeaders()) == nil)
    }

    @Test("tokens echoed in an error body never reach the message or the field errors", arguments: [
        #"{"login_2fa_token":"SECRET-2FA"}"#,
        #"{"token":"SECRET-2FA","name":["taken"]}"#,
        #"{"message":"denied","errinfo":{"access_token":"SECRET-2FA","reason":"expired"}}"#,
        #"{"fields":{"refresh_token":["SECRET-2FA"]},"text":"bad request"}"#,
        #"{"name":{"jwt":"SECRET-2FA","why":"taken"}}"#,
    ])
    func secretFields(body: String) {
        let error = HubAPIError.decode(status: 400, body: Array(body.utf8))
        #expect(!error.description.contains("SECRET-2FA"), "\(error)")
        #expect(!error.fieldErrors.values.joined().contains { $0.contains("SECRET-2FA") })
        #expect(!error.message.isEmpty)
    }

    @Test("an absurd Retry-After is clamped, not a crash", arguments: [
        ("Retry-After", "1e300"), ("Retry-After", "-1e300"), ("X-Retry-After", "1.7e308"), ("Retry-After", "99999999999999999999"),
    ])
    func hugeRetryAfter(name: String, value: String) throws {
        // Retry-After is read by the shared parser, X-Retry-After by the Hub policy; neither traps.
        let wait = HubRateLimitPolicy.retryAfter(in: HTTPHeaders([(name, value)]))
        #expect(wait.map { $0 >= .zero } ?? true)
        if name == "X-Retry-After" { #expect(wait.map { $0 <= .seconds(365 * 24 * 3600) } ?? true) }
    }
}
