import DockyardTransport
import Foundation
import NIOHTTP1
import Testing

@Suite("Redaction")
struct RedactionTests {
    @Test("credential headers are hidden, others kept")
    func headers() {
        let headers: HTTPHeaders = [
            "Authorization": "Bearer eyJsecret",
            "proxy-authorization": "Basic c2VjcmV0",
            "Cookie": "session=secret",
            "X-Registry-Auth": "secret",
            "Accept": "application/json",
        ]
        let redacted = headers.redactingCredentials()
        #expect(redacted.first(name: "Authorization") == "Bearer <redacted>")
        #expect(redacted.first(name: "Proxy-Authorization") == "Basic <redacted>")
        #expect(redacted.first(name: "Cookie") == "<redacted>")
        #expect(redacted.first(name: "X-Registry-Auth") == "<redacted>")
        #expect(redacted.first(name: "Accept") == "application/json")
        #expect(!"\(redacted)".contains("secret"))
        #expect(!"\(redacted)".contains("c2VjcmV0"))
    }

    @Test("URLs lose user information, query and fragment")
    func url() throws {
        let url = try #require(URL(string: "https://user:pass@cdn.example.com:8443/blobs/x?X-Amz-Signature=abc#frag"))
        #expect(url.loggableDescription == "https://cdn.example.com:8443/blobs/x")
    }

    @Test("requests and responses print and dump without credentials or signed queries")
    func requestAndResponse() throws {
        let url = try #require(URL(string: "https://user:pw-9@cdn.example.com/blobs/x?X-Amz-Signature=sig-7"))
        let request = TransportRequest(
            url: url, headers: ["Authorization": "Bearer tok-5", "Cookie": "c-3", "Accept": "application/json"])
        let response = TransportResponse(
            status: .ok, headers: ["Set-Cookie": "c-4", "Content-Length": "0"], body: .empty, url: url)
        #expect("\(request)" == "GET https://cdn.example.com/blobs/x [Authorization: Bearer <redacted>, Cookie: <redacted>, Accept: application/json]")
        #expect("\(response)" == "200 OK from https://cdn.example.com/blobs/x [Set-Cookie: <redacted>, Content-Length: 0]")
        var dumped = ""
        dump(request, to: &dumped)
        dump(response, to: &dumped)
        let printed = [String(reflecting: request), String(reflecting: response), "\([request])", dumped]
        for text in printed {
            for secret in ["tok-5", "c-3", "c-4", "pw-9", "sig-7"] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
    }
}
