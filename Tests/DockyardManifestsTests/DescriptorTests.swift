import DockyardManifests
import DockyardReferences
import Foundation
import Testing

@Suite("MediaType")
struct MediaTypeTests {
    @Test("constants have the values the OCI and Docker specs define")
    func constants() {
        #expect(MediaType.ociManifest.rawValue == "application/vnd.oci.image.manifest.v1+json")
        #expect(MediaType.ociIndex.rawValue == "application/vnd.oci.image.index.v1+json")
        #expect(MediaType.ociConfig.rawValue == "application/vnd.oci.image.config.v1+json")
        #expect(MediaType.ociLayerZstd.rawValue == "application/vnd.oci.image.layer.v1.tar+zstd")
        #expect(MediaType.ociLayerNondistributableGzip.rawValue == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")
        #expect(MediaType.dockerManifest.rawValue == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(MediaType.dockerManifestList.rawValue == "application/vnd.docker.distribution.manifest.list.v2+json")
        #expect(MediaType.dockerLayerGzip.rawValue == "application/vnd.docker.image.rootfs.diff.tar.gzip")
        #expect(MediaType.dockerForeignLayerGzip.rawValue == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip")
        #expect(MediaType.dockerSchema1Signed.rawValue == "application/vnd.docker.distribution.manifest.v1+prettyjws")
    }

    @Test("the Accept set covers every manifest type, modern ones first")
    func accept() {
        let accept = MediaType.manifestAccept
        #expect(Set(accept) == [.ociIndex, .ociManifest, .dockerManifestList, .dockerManifest, .dockerSchema1, .dockerSchema1Signed])
        #expect(accept.firstIndex(of: .ociManifest).map { $0 < (accept.firstIndex(of: .dockerSchema1) ?? 0) } == true)
        #expect(accept.allSatisfy { $0.isManifest })
        #expect(accept.allSatisfy { $0.isWellFormed })
    }

    @Test("classification")
    func classification() {
        #expect(MediaType.dockerManifestList.isIndex && !MediaType.dockerManifestList.isImageManifest)
        #expect(MediaType.ociLayerZstd.isLayer && MediaType.ociLayerZstd.isZstd && !MediaType.ociLayerZstd.isGzip)
        #expect(MediaType.dockerLayerGzip.isGzip && MediaType.dockerForeignLayerGzip.isLayer)
        #expect(MediaType.dockerConfig.isImageConfiguration && !MediaType.ociConfig.isLayer)
        #expect(MediaType(contentType: " application/vnd.oci.image.index.v1+json ; charset=utf-8") == .ociIndex)
        #expect(DocumentKind(mediaType: .dockerSchema1Signed) == .manifest)
        #expect(DocumentKind(mediaType: .ociLayerGzip) == nil)
    }

    @Test("the media type grammar of the OCI schema", arguments: [
        ("application/json", true), ("a/b", true), ("text/plain", true), ("application/vnd.a+b.c-d_e", true),
        ("application", false), ("/json", false), ("application/", false), (".a/b", false), ("a/.b", false),
        ("a b/c", false), ("a/b/c", false), ("application/json; charset=utf-8", false), ("", false),
        (String(repeating: "a", count: 127) + "/" + String(repeating: "b", count: 127), true),
        (String(repeating: "a", count: 128) + "/b", false),
    ])
    func grammar(_ text: String, _ valid: Bool) {
        #expect(MediaType(text).isWellFormed == valid)
    }
}

@Suite("Descriptor validation")
struct DescriptorValidationTests {
    static func descriptor(_ extra: String, digest: String = Samples.layerDigest, size: String = "1") -> [UInt8] {
        Array(#"{"mediaType":"application/octet-stream","size":\#(size),"digest":"\#(digest)"\#(extra)}"#.utf8)
    }

    /// go-digest checks beyond the schema's pattern, plus descriptor field rules.
    static let cases: [(String, [UInt8], ManifestError.Code?)] = [
        ("sha256 ok", descriptor(""), nil),
        ("sha512 ok", descriptor("", digest: "sha512:" + String(repeating: "ab", count: 64)), nil),
        ("sha384 right length", descriptor("", digest: "sha384:" + String(repeating: "a", count: 96)), nil),
        ("sha256 too short", descriptor("", digest: "sha256:" + String(repeating: "a", count: 63)), .invalidDigest),
        ("sha256 too long", descriptor("", digest: "sha256:" + String(repeating: "a", count: 65)), .invalidDigest),
        ("sha512 wrong length", descriptor("", digest: "sha512:" + String(repeating: "a", count: 64)), .invalidDigest),
        ("sha256 not hex", descriptor("", digest: "sha256:" + String(repeating: "g", count: 64)), .invalidDigest),
        ("empty digest", descriptor("", digest: ""), .invalidDigest),
        ("colon only", descriptor("", digest: ":"), .invalidDigest),
        ("trailing separator", descriptor("", digest: "sha256+:abc"), .invalidDigest),
        ("unregistered algorithm", descriptor("", digest: "blake3:abc"), nil),
        ("size zero", descriptor("", size: "0"), nil),
        ("size Int64.max", descriptor("", size: "9223372036854775807"), nil),
        ("size -0", descriptor("", size: "-0"), nil),
        ("url with query", descriptor(#","urls":["https://example.com/a?b=c#d"]"#), nil),
        ("url with percent escape", descriptor(#","urls":["https://example.com/a%20b"]"#), nil),
        ("url without scheme", descriptor(#","urls":["//example.com/a"]"#), .invalidURL),
        ("url with space", descriptor(#","urls":["https://example.com/a b"]"#), .invalidURL),
        ("url with bad escape", descriptor(#","urls":["https://example.com/%zz"]"#), .invalidURL),
        ("url with backslash", descriptor(#","urls":["https://example.com\\a"]"#), .invalidURL),
        ("url not a string", descriptor(#","urls":[1]"#), .wrongType),
        ("urls not an array", descriptor(#","urls":"https://example.com""#), .wrongType),
        ("platform without os", descriptor(#","platform":{"architecture":"amd64"}"#), .missingField),
        ("platform os not string", descriptor(#","platform":{"architecture":"amd64","os":1}"#), .wrongType),
        ("platform features not strings", descriptor(#","platform":{"architecture":"amd64","os":"linux","os.features":[1]}"#), .wrongType),
        ("data matches", descriptor(#","data":"YQ==""#, digest: ContentDigest.sha256(of: Array("a".utf8)).description), nil),
        ("data wrong size", descriptor(#","data":"YWI=""#, digest: ContentDigest.sha256(of: Array("a".utf8)).description), .dataMismatch),
        ("data wrong digest", descriptor(#","data":"Yg==""#, digest: ContentDigest.sha256(of: Array("a".utf8)).description), .dataMismatch),
        ("data not base64", descriptor(#","data":"!!!!""#), .invalidBase64),
        ("data bad padding", descriptor(#","data":"Y=Q=""#), .invalidBase64),
        ("data unpadded", descriptor(#","data":"YQ""#), .invalidBase64),
        ("data with unverifiable digest is accepted", descriptor(#","data":"YQ==""#, digest: "blake3:abc"), nil),
    ]

    @Test("descriptor rules", arguments: cases)
    func rules(_ name: String, _ bytes: [UInt8], _ code: ManifestError.Code?) {
        let report = ManifestValidator.report(for: bytes, as: .descriptor)
        #expect(report.error?.code == code, "\(name): \(report.error.map(String.init(describing:)) ?? "valid")")
    }

    @Test("a descriptor with embedded data round-trips through base64")
    func dataRoundTrip() throws {
        let bytes: [UInt8] = Array(0...255)
        let descriptor = Descriptor(mediaType: "application/octet-stream", describing: bytes, embedding: true)
        let manifest = ImageManifest(config: .empty, layers: [descriptor])
        let document = try ManifestDocument(encoding: manifest)
        #expect(document.manifest?.layers.first?.data == bytes)
        #expect(document.manifest?.layers.first?.size == 256)
    }

    @Test("timestamps follow RFC 3339", arguments: [
        ("2015-10-31T22:22:56.015925234Z", true), ("2024-02-29T00:00:00Z", true), ("2024-01-01T00:00:00+05:30", true),
        ("2023-02-29T00:00:00Z", false), ("2024-13-01T00:00:00Z", false), ("2024-01-01 00:00:00Z", false),
        ("2024-01-01T24:00:00Z", false), ("2024-01-01T00:00:00", false), ("2024-01-01T00:00:00.Z", false),
        ("yesterday", false),
    ])
    func timestamps(_ text: String, _ valid: Bool) {
        let config = #"{"architecture":"amd64","os":"linux","created":"\#(text)","rootfs":{"type":"layers","diff_ids":[]}}"#
        #expect(ManifestValidator.report(for: Array(config.utf8), as: .config).isValid == valid)
    }
}
