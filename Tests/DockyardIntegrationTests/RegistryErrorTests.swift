@testable import Dockyard
import Foundation
import NIOHTTP1
import Testing

/// Decoding of registry error bodies, `Link` headers and registry names; no network.
@Suite("RegistryError and protocol parsing")
struct RegistryErrorTests {
    private let url = URL(string: "https://user:secret@registry.example.com/v2/alice/app/manifests/v9?token=abc") ?? URL(fileURLWithPath: "/")

    @Test("an errors[] body becomes a typed error with every entry, status, method and a redacted URL")
    func decodesErrorsBody() throws {
        let body = """
            {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v9"}},\
            {"code":"SOMETHING_NEW","message":"later addition"}]}
            """
        let error = RegistryError.decode(
            status: .notFound, headers: [:], body: Array(body.utf8), method: .GET, url: url,
            subject: "registry.example.com/alice/app:v9")
        #expect(error.code == .manifestUnknown)
        #expect(error.status == 404)
        #expect(error.method == "GET")
        #expect(error.url == "https://registry.example.com/v2/alice/app/manifests/v9")
        #expect(error.errors.map(\.code) == ["MANIFEST_UNKNOWN", "SOMETHING_NEW"])
        #expect(error.errors[0].detail == #"{"Tag":"v9"}"#)
        #expect(error.errors[1].code == "SOMETHING_NEW")
        #expect(!error.isRetryable)
        #expect(error.description.contains("registry.example.com/alice/app:v9 does not exist"))
        #expect(error.description.contains("list the repository's tags"))
        #expect(!error.description.contains("dockyard"))
        #expect(!error.description.contains("secret"))
        #expect(!error.description.contains("token=abc"))
    }

    @Test("codes are kept as sent, upper-cased, including unknown ones", arguments: [
        ("DENIED", RegistryError.Code.denied), ("UNAUTHORIZED", .unauthorized), ("TOOMANYREQUESTS", .tooManyRequests),
        ("BLOB_UNKNOWN", .blobUnknown), ("DIGEST_INVALID", .digestInvalid), ("MANIFEST_INVALID", .manifestInvalid),
        ("TAG_INVALID", .tagInvalid), ("NAME_INVALID", .nameInvalid), ("NAME_UNKNOWN", .nameUnknown),
        ("SIZE_INVALID", .sizeInvalid), ("UNSUPPORTED", .unsupported), ("BLOB_UPLOAD_UNKNOWN", .blobUploadUnknown),
        ("BLOB_UPLOAD_INVALID", .blobUploadInvalid), ("MANIFEST_BLOB_UNKNOWN", .manifestBlobUnknown),
        ("PAGINATION_NUMBER_INVALID", .paginationNumberInvalid), ("RANGE_INVALID", .rangeInvalid),
        ("made_up_code", RegistryError.Code("MADE_UP_CODE")),
    ])
    func codes(wire: String, expected: RegistryError.Code) {
        let body = #"{"errors":[{"code":"\#(wire)","message":"m"}]}"#
        let error = RegistryError.decode(
            status: .badRequest, headers: [:], body: Array(body.utf8), method: .PUT, url: url, subject: nil)
        #expect(error.code == expected)
        #expect(!error.description.isEmpty)
    }

    @Test("a 429 keeps Retry-After and Docker Hub's rate limit and is retryable")
    func tooManyRequests() {
        let headers: HTTPHeaders = [
            "Retry-After": "7", "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600",
            "docker-ratelimit-source": "203.0.113.9",
        ]
        let body = #"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit."}]}"#
        let error = RegistryError.decode(
            status: .tooManyRequests, headers: headers, body: Array(body.utf8), method: .GET, url: url, subject: "x")
        #expect(error.code == .tooManyRequests)
        #expect(error.isRetryable)
        #expect(error.retryAfter == .seconds(7))
        #expect(error.rateLimit?.limit == 100)
        #expect(error.rateLimit?.remaining == 0)
        #expect(error.description.contains("retry after 7 s"))
    }

    @Test("statuses without a body map to codes", arguments: [
        (401, RegistryError.Code.unauthorized, false), (403, .denied, false), (429, .tooManyRequests, true),
        (500, .unexpectedStatus, true), (502, .unexpectedStatus, true), (404, .unexpectedStatus, false),
    ])
    func bodylessStatuses(status: Int, code: RegistryError.Code, retryable: Bool) {
        let error = RegistryError.decode(
            status: HTTPResponseStatus(statusCode: status), headers: [:], body: Array("<html>oops</html>".utf8),
            method: .GET, url: url, subject: nil)
        #expect(error.code == code)
        #expect(error.isRetryable == retryable)
        #expect(error.status == status)
    }

    @Test("401 and 403 tell which registry needs credentials, in SDK terms", arguments: [
        ("127.0.0.1:5000/alice/app:v1", "127.0.0.1:5000"),
        ("ghcr.io/org/tool:1", "ghcr.io"),
        ("docker.io/library/ubuntu:latest", "docker.io"),
        ("alice/app", "docker.io"),
    ])
    func loginHint(subject: String, registry: String) {
        for status in [HTTPResponseStatus.unauthorized, .forbidden] {
            let error = RegistryError.decode(status: status, headers: [:], body: [], method: .GET, url: url, subject: subject)
            #expect(error.registryName == registry)
            #expect(error.description.contains("credentials for \(registry)"), "\(error)")
            // An SDK error never names a command of the CLI: an app embedding the SDK would show it to its users.
            #expect(!error.description.contains("dockyard"), "\(error)")
        }
    }

    @Test("credentials go to the registry's own endpoint only, and never over a plain-HTTP downgrade")
    func credentialKeys() async throws {
        let client = try RegistryClient(credentials: AnonymousCredentials())
        func key(_ text: String) throws -> String {
            let url = try #require(URL(string: text))
            return try client.credentialKey(for: TransportRequest(method: .GET, url: url), registry: "docker.io")
        }
        #expect(try key("https://registry-1.docker.io/v2/library/ubuntu/tags/list") == "docker.io")
        #expect(try key("https://mirror.example:5000/v2/library/ubuntu/tags/list") == "mirror.example:5000")
        let error = try #require(throws: RegistryError.self) {
            try key("http://registry-1.docker.io/v2/library/ubuntu/tags/list?last=a&n=10")
        }
        #expect(error.code == .invalidResponse)
        #expect(error.description.contains("plain HTTP"))
        #expect(!error.description.contains("last=a"))
        for name in ["user:s3cret@registry.example", "registry.example/v2", "a b", "registry.example?x=1"] {
            let refused = try #require(throws: RegistryError.self) { try client.endpoint(forRegistry: name) }
            #expect(refused.code == .invalidConfiguration)
            #expect(!refused.description.contains("s3cret"))
        }
        await client.shutdown()
    }

    @Test("printing or dumping a client shows no credentials")
    func clientHidesCredentials() async throws {
        let client = try RegistryClient(
            credentials: StaticCredentials(.basic(username: "alice", password: "pa55-w0rd-secret"), forRegistry: "docker.io"))
        var dumped = ""
        dump(client, to: &dumped)
        await client.shutdown()
        for text in [dumped, String(describing: client), String(reflecting: client)] {
            #expect(!text.contains("pa55-w0rd-secret"))
        }
        #expect(dumped.contains("configuration"))
    }

    @Test("a HEAD 404 on a manifest is MANIFEST_UNKNOWN (HEAD answers have no body)")
    func headNotFound() {
        let error = RegistryError.decode(status: .notFound, headers: [:], body: [], method: .HEAD, url: url, subject: "a:b")
        #expect(error.code == .manifestUnknown)
    }

    @Test("the next link is found in Link header values", arguments: [
        (#"</v2/a/tags/list?last=x&n=2>; rel="next""#, "/v2/a/tags/list?last=x&n=2"),
        (#"<https://r.example/v2/a/tags/list?n=2&last=x>;rel=next"#, "https://r.example/v2/a/tags/list?n=2&last=x"),
        (#"</first>; rel="prev", </second>; rel="next""#, "/second"),
        (#"</p>; title="a;b"; rel="next last""#, "/p"),
        (#"</p>; rel="prev""#, nil),
        ("garbage", nil),
    ] as [(String, String?)])
    func linkHeader(value: String, expected: String?) {
        #expect(LinkHeader.nextTarget(value) == expected)
    }

    @Test("registry names: Docker Hub aliases become docker.io; schemes and paths are dropped", arguments: [
        ("docker.io", "docker.io"), ("index.docker.io", "docker.io"), ("registry-1.docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "docker.io"), ("", "docker.io"), ("ghcr.io", "ghcr.io"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"), ("localhost:5000/v2/", "localhost:5000"),
    ])
    func registryNames(input: String, expected: String) {
        #expect(RegistryClient.registryName(input) == expected)
    }
}
