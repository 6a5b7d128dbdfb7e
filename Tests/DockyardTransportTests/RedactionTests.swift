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
}
