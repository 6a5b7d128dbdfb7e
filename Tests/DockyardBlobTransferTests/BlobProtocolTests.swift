import Foundation
import Testing

@testable import DockyardBlobTransfer

@Suite("Blob protocol arithmetic")
struct BlobProtocolTests {
    @Test(
        "An upload session's Range header gives the next offset",
        arguments: [
            ("0-1023", Int64?.some(1024)),
            ("bytes=0-4194303", 4_194_304),
            (" 0-9 ", 10),
            ("0-0", 0),
            ("5-9", nil),
            ("0-", nil),
            ("garbage", nil),
            ("0--1", nil),
        ])
    func uploadOffset(header: String, expected: Int64?) {
        #expect(BlobProtocol.uploadOffset(fromRange: header) == expected)
    }

    @Test("Range request headers are inclusive byte ranges")
    func rangeHeaders() {
        #expect(BlobProtocol.rangeHeader(from: 65536) == "bytes=65536-")
        #expect(BlobProtocol.rangeHeader(for: 10..<20) == "bytes=10-19")
        #expect(BlobProtocol.chunkContentRange(0..<4_194_304) == "0-4194303")
        #expect(BlobProtocol.chunkContentRange(4_194_304..<5_000_000) == "4194304-4999999")
    }

    @Test(
        "Content-Range of a 206 gives the first byte and total",
        arguments: [
            ("bytes 100-199/200", Int64?.some(100), Int64?.some(200)),
            ("bytes 0-0/*", 0, nil),
            ("bytes 5-4/10", nil, nil),
            ("items 0-1/2", nil, nil),
        ])
    func contentRange(header: String, first: Int64?, total: Int64?) {
        let parsed = BlobProtocol.contentRangeStart(header)
        #expect(parsed?.first == first)
        #expect(parsed?.total == total)
    }

    @Test(
        "Upload Locations resolve against the request URL",
        arguments: [
            ("/v2/a/b/blobs/uploads/123?_state=x%3D", "http://127.0.0.1:5000/v2/a/b/blobs/uploads/123?_state=x%3D"),
            ("https://storage.example.com/up/1?sig=abc", "https://storage.example.com/up/1?sig=abc"),
            ("123?_state=y", "http://127.0.0.1:5000/v2/a/b/blobs/uploads/123?_state=y"),
            ("//cdn.example.net/u/9", "http://cdn.example.net/u/9"),
        ])
    func location(header: String, expected: String) throws {
        let request = try #require(URL(string: "http://127.0.0.1:5000/v2/a/b/blobs/uploads/"))
        #expect(try BlobProtocol.resolveLocation(header, against: request).absoluteString == expected)
    }

    @Test("Unusable Locations are a typed error", arguments: ["", "ftp://x/y", "mailto:a@b"])
    func badLocation(header: String) throws {
        let request = try #require(URL(string: "http://127.0.0.1:5000/v2/a/b/blobs/uploads/"))
        let error = #expect(throws: BlobTransferError.self) { try BlobProtocol.resolveLocation(header, against: request) }
        #expect(error?.code == .invalidResponse)
    }

    @Test("The digest query is appended without touching the session state")
    func appendDigest() throws {
        let session = try #require(URL(string: "http://h/v2/a/blobs/uploads/u?_state=AbC%2B%3D%3D&x=1"))
        let closed = BlobProtocol.appendingQuery(session, name: "digest", value: "sha256:abc")
        #expect(closed.absoluteString == "http://h/v2/a/blobs/uploads/u?_state=AbC%2B%3D%3D&x=1&digest=sha256:abc")
        let bare = try #require(URL(string: "http://h/v2/a/blobs/uploads/u"))
        #expect(BlobProtocol.appendingQuery(bare, name: "from", value: "library/a b").absoluteString
            == "http://h/v2/a/blobs/uploads/u?from=library/a%20b")
    }

    @Test(
        "Chunk planning covers every byte once, honouring the registry's minimum",
        arguments: [
            (Int64(10), 4, Int64?.none, [0..<4, 4..<8, 8..<10]),
            (10, 4, 6, [0..<6, 6..<10]),
            (8, 4, nil, [0..<4, 4..<8]),
            (0, 4, nil, []),
            (3, 0, nil, [0..<1, 1..<2, 2..<3]),
        ] as [(Int64, Int, Int64?, [Range<Int64>])])
    func chunks(total: Int64, configured: Int, minimum: Int64?, expected: [Range<Int64>]) {
        let size = BlobProtocol.chunkSize(configured: configured, minimum: minimum)
        #expect(BlobProtocol.chunks(total: total, chunkSize: size) == expected)
    }

    @Test("Blob and upload URLs hang off the repository URL")
    func urls() throws {
        let repository = try #require(URL(string: "http://127.0.0.1:5000/v2/library/hello/"))
        let digest = try ContentDigestFixture.digest
        #expect(BlobProtocol.blobURL(repository, digest).absoluteString == "http://127.0.0.1:5000/v2/library/hello/blobs/\(digest)")
        #expect(BlobProtocol.uploadsURL(repository).absoluteString == "http://127.0.0.1:5000/v2/library/hello/blobs/uploads/")
    }
}

@Suite("Blob transfer errors")
struct BlobTransferErrorTests {
    @Test("Registry errors[] bodies are decoded into the error and its description")
    func registryBody() throws {
        let body = Array(#"{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"sha256:ab"}]}"#.utf8)
        let url = try #require(URL(string: "http://user:secret@h/v2/a/blobs/sha256:ab?token=xyz"))
        let error = BlobTransferError.response(status: 404, url: url, body: body, digest: nil, doing: "downloading blob")
        #expect(error.code == .blobNotFound)
        // The one errors[] decoder the registry client uses too: the detail is kept.
        #expect(error.registryErrors == [.init(code: "BLOB_UNKNOWN", message: "blob unknown to registry", detail: "sha256:ab")])
        #expect(error.description.contains("BLOB_UNKNOWN: blob unknown to registry"))
        #expect(!error.description.contains("secret"))
        #expect(!error.description.contains("xyz"))
        #expect(error.url == "http://h/v2/a/blobs/sha256:ab")
    }

    @Test(
        "Statuses map to codes",
        arguments: [
            (401, "", BlobTransferError.Code.unauthorized),
            (403, "", .denied),
            (404, #"{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}"#, .uploadNotFound),
            (400, #"{"errors":[{"code":"DIGEST_INVALID"}]}"#, .digestMismatch),
            (500, "oops", .unexpectedStatus),
        ])
    func statuses(status: Int, body: String, code: BlobTransferError.Code) throws {
        let url = try #require(URL(string: "http://h/v2/a/blobs/uploads/"))
        let error = BlobTransferError.response(status: status, url: url, body: Array(body.utf8), digest: nil, doing: "uploading")
        #expect(error.code == code)
        #expect(error.isRetryable == (status >= 500))
    }
}

@Suite("Progress coalescing")
struct ProgressCoalescerTests {
    @Test("Reports at most once per interval, and the final count when forced")
    func coalesces() {
        var coalescer = ProgressCoalescer(interval: .seconds(60))
        let answers = [
            coalescer.shouldReport(1), coalescer.shouldReport(2), coalescer.shouldReport(3),
            coalescer.shouldReport(4, force: true), coalescer.shouldReport(4, force: true),
        ]
        #expect(answers == [true, false, false, true, false])
    }
}
