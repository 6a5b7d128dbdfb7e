import DockyardManifests
import DockyardReferences
import Foundation
import Testing

/// Documents shared by the tests below.
enum Samples {
    static let configDigest = "sha256:c86f7763873b6c0aae22d963bab59b4f5debbed6685761b5951584f6efb0633b"
    static let layerDigest = "sha256:9d3dd9504c685a304985025df4ed0283e47ac9ffa9bd0326fddf4d59513f0827"

    static let manifestCompact = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
        "config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1470,"digest":"\(configDigest)"},\
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":675598,"digest":"\(layerDigest)"}]}
        """

    static func manifest(layers: String = "", config: String? = nil, extra: String = "") -> String {
        let layerList = layers.isEmpty
            ? "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"size\":675598,\"digest\":\"\(layerDigest)\"}"
            : layers
        let configText = config
            ?? "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"size\":1470,\"digest\":\"\(configDigest)\"}"
        return "{\"schemaVersion\":2,\"config\":\(configText),\"layers\":[\(layerList)]\(extra)}"
    }

    static func descriptor(_ fields: String) -> String { "{\(fields)}" }

    static func digest(_ text: String) -> ContentDigest {
        // Test-only constants, all valid sha256 digests.
        (try? ContentDigest(parsing: text)) ?? ContentDigest.sha256(of: [])
    }
}

@Suite("ManifestDocument")
struct ManifestDocumentTests {
    @Test("the digest is the sha256 of the exact bytes, never of a re-encoding")
    func digestOfExactBytes() throws {
        let compact = Array(Samples.manifestCompact.utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(compact)) as? [String: Any])
        let pretty = Array(try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]))
        let spaced = Array((Samples.manifestCompact + "\n").utf8)

        let a = try ManifestDocument(bytes: compact)
        let b = try ManifestDocument(bytes: pretty)
        let c = try ManifestDocument(bytes: spaced)

        // The same manifest…
        #expect(a.content == b.content)
        #expect(a.content == c.content)
        // …but three different byte strings, so three different digests, each of its own bytes.
        #expect(a.digest == ContentDigest.sha256(of: compact))
        #expect(b.digest == ContentDigest.sha256(of: pretty))
        #expect(c.digest == ContentDigest.sha256(of: spaced))
        #expect(Set([a.digest, b.digest, c.digest]).count == 3)
        #expect(a.bytes == compact && b.bytes == pretty && c.bytes == spaced)
        #expect(a.descriptor.size == Int64(compact.count))
        #expect(a.descriptor.digest == a.digest)
    }

    @Test("the kind and media type come from Content-Type, else the document, else the shape")
    func mediaTypeResolution() throws {
        let bytes = Array(Samples.manifest().utf8)
        #expect(try ManifestDocument(bytes: bytes).mediaType == .ociManifest)
        #expect(try ManifestDocument(bytes: bytes, mediaType: .dockerManifest).mediaType == .dockerManifest)
        #expect(try ManifestDocument(bytes: bytes, mediaType: MediaType(contentType: "application/json; charset=utf-8")).mediaType == .ociManifest)
        let declared = Array(Samples.manifestCompact.utf8)
        #expect(try ManifestDocument(bytes: declared).mediaType == .ociManifest)
    }

    @Test("a document that declares another media type than it arrived with is refused")
    func mediaTypeMismatch() throws {
        let error = try #require(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array(Samples.manifestCompact.utf8), mediaType: .dockerManifest)
        }
        #expect(error.code == .mediaTypeMismatch)
        let indexAsManifest = try #require(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array(#"{"schemaVersion":2,"manifests":[]}"#.utf8), mediaType: .ociManifest)
        }
        #expect(indexAsManifest.path == "config")
        #expect(indexAsManifest.code == .missingField)
    }

    @Test("documents over 4 MiB are refused before decoding; exactly 4 MiB is read")
    func sizeLimit() throws {
        // The template closes the root object itself; drop that brace so the padding ends the document.
        let prefix = Array(Samples.manifest(extra: ",\"annotations\":{\"pad\":\"").utf8.dropLast())
        let suffix = Array("\"}}".utf8)
        func document(totalSize: Int) -> [UInt8] {
            prefix + [UInt8](repeating: UInt8(ascii: "a"), count: totalSize - prefix.count - suffix.count) + suffix
        }
        let atLimit = document(totalSize: ManifestDocument.maximumSize)
        #expect(atLimit.count == 4 * 1024 * 1024)
        let accepted = try ManifestDocument(bytes: atLimit)
        #expect(accepted.manifest?.annotations?["pad"]?.count == atLimit.count - prefix.count - suffix.count)

        let overLimit = document(totalSize: ManifestDocument.maximumSize + 1)
        let error = try #require(throws: ManifestError.self) { try ManifestDocument(bytes: overLimit) }
        #expect(error.code == .documentTooLarge)
        #expect(error.description.contains("4 MiB"))
        // Even bytes that are not JSON at all are refused by size first.
        let garbage = [UInt8](repeating: 0xFF, count: ManifestDocument.maximumSize + 1)
        let garbageError = try #require(throws: ManifestError.self) { try ManifestDocument(bytes: garbage) }
        #expect(garbageError.code == .documentTooLarge)
        #expect(ManifestValidator.report(for: garbage).error?.code == .documentTooLarge)
    }

    @Test("encoding for push yields bytes once, deterministically, and the digest of exactly those bytes")
    func builderDeterminism() throws {
        let manifest = ImageManifest(
            config: Descriptor(mediaType: .ociConfig, digest: Samples.digest(Samples.configDigest), size: 1470),
            layers: [
                Descriptor(mediaType: .ociLayerGzip, digest: Samples.digest(Samples.layerDigest), size: 675598,
                           annotations: ["z": "1", "a": "2", "m": "3"]),
            ],
            annotations: ["org.opencontainers.image.created": "2024-01-01T00:00:00Z", "b": "x", "a": "y"]
        )
        let first = try ManifestDocument(encoding: manifest)
        for _ in 0..<20 {
            let again = try ManifestDocument(encoding: manifest)
            #expect(again.bytes == first.bytes)
            #expect(again.digest == first.digest)
        }
        #expect(first.digest == ContentDigest.sha256(of: first.bytes))
        #expect(first.mediaType == .ociManifest)
        #expect(first.manifest == manifest)
        // Reading the pushed bytes back gives the same document.
        #expect(try ManifestDocument(bytes: first.bytes) == first)
        // Sorted keys, no whitespace: the encoding is canonical for a given value.
        let text = String(decoding: first.bytes, as: UTF8.self)
        #expect(!text.contains(" ") && !text.contains("\n"))
        #expect(text.hasPrefix(#"{"annotations":{"a":"y","b":"x","org.opencontainers.image.created""#))
    }

    @Test("encoding refuses an invalid value instead of producing bytes a registry would reject")
    func builderValidates() throws {
        let empty = ImageManifest(config: .empty, layers: [])
        let error = try #require(throws: ManifestError.self) { try ManifestDocument(encoding: empty) }
        #expect(error.path == "layers")
        #expect(error.code == .invalidValue)

        let artifact = ImageManifest(artifactType: "application/vnd.example+type", config: .empty, layers: [.empty])
        let document = try ManifestDocument(encoding: artifact)
        #expect(document.manifest?.config.data == Array("{}".utf8))
        #expect(Descriptor.empty.digest.description == "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
    }

    @Test("an index round-trips and picks the manifest for a platform")
    func indexDocument() throws {
        let amd = Descriptor(mediaType: .ociManifest, digest: ContentDigest.sha256(of: Array("amd".utf8)), size: 10,
                             platform: Platform(os: "linux", architecture: "amd64"))
        let arm = Descriptor(mediaType: .ociManifest, digest: ContentDigest.sha256(of: Array("arm".utf8)), size: 11,
                             platform: Platform(os: "linux", architecture: "arm64", variant: "v8"))
        let document = try ManifestDocument(encoding: ImageIndex(manifests: [amd, arm]))
        #expect(document.kind == .index)
        #expect(document.mediaType == .ociIndex)
        let index = try #require(document.index)
        #expect(index.manifest(for: try Platform(parsing: "linux/aarch64")) == arm)
        #expect(index.manifest(for: try Platform(parsing: "linux/x86_64")) == amd)
        #expect(index.manifest(for: try Platform(parsing: "windows/amd64")) == nil)
    }

    @Test("an image configuration decodes with its wire names")
    func configuration() throws {
        let json = #"""
            {"architecture":"arm","variant":"v7","os":"linux","created":"2024-02-29T23:59:59.5+01:00",
             "config":{"User":"1:1","ExposedPorts":{"80/tcp":{}},"Env":["A=1"],"Cmd":null,"Volumes":{"/data":{}},
                       "Labels":{"k":"v"},"StopSignal":"SIGTERM"},
             "rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]},
             "history":[{"created_by":"RUN x","empty_layer":true}],"os.features":["x"],"unknown":{"tolerated":[1,2]}}
            """#
        let document = try ManifestDocument(bytes: Array(json.utf8), mediaType: .ociConfig)
        guard case .config(let config) = document.content else {
            Issue.record("expected a configuration")
            return
        }
        #expect(config.platform == Platform(os: "linux", architecture: "arm", variant: "v7", osFeatures: ["x"]))
        #expect(config.config?.exposedPorts == ["80/tcp"])
        #expect(config.config?.volumes == ["/data"])
        #expect(config.config?.cmd == nil)
        #expect(config.rootfs.diffIDs.map(\.description) == ["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"])
        #expect(config.history?.first?.createdBy == "RUN x")
        #expect(config.history?.first?.emptyLayer == true)
    }

    @Test("legacy schema 1 manifests, signed and unsigned, are recognised and readable")
    func schema1() throws {
        let blob = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
        let unsigned = """
            {"schemaVersion":1,"name":"library/busybox","tag":"latest","architecture":"amd64",
             "fsLayers":[{"blobSum":"\(blob)"}],"history":[{"v1Compatibility":"{\\"id\\":\\"x\\"}"}]}
            """
        let document = try ManifestDocument(bytes: Array(unsigned.utf8))
        guard case .schema1(let manifest) = document.content else {
            Issue.record("expected schema 1")
            return
        }
        #expect(document.kind == .manifest)
        #expect(document.mediaType == .dockerSchema1)
        #expect(manifest.name == "library/busybox")
        #expect(manifest.fsLayers.first?.blobSum.description == blob)
        #expect(!manifest.isSigned)

        let signed = String(unsigned.dropLast()) + #","signatures":[{"header":{"alg":"ES256"},"signature":"c2ln","protected":"cHJv"}]}"#
        let signedDocument = try ManifestDocument(bytes: Array(signed.utf8), mediaType: .dockerSchema1Signed)
        #expect(signedDocument.mediaType == .dockerSchema1Signed)
        if case .schema1(let manifest) = signedDocument.content { #expect(manifest.isSigned) } else { Issue.record("expected schema 1") }

        let mismatched = unsigned.replacingOccurrences(of: #""history":[{"v1Compatibility":"{\"id\":\"x\"}"}]"#, with: #""history":[]"#)
        let error = try #require(throws: ManifestError.self) { try ManifestDocument(bytes: Array(mismatched.utf8)) }
        #expect(error.path == "history")
    }

    @Test("a signed schema 1 manifest is identified by the digest of its JWS payload")
    func schema1Payload() throws {
        let blob = "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
        let payload = """
            {
               "schemaVersion": 1,
               "name": "library/busybox",
               "tag": "latest",
               "architecture": "amd64",
               "fsLayers": [ { "blobSum": "\(blob)" } ],
               "history": [ { "v1Compatibility": "{}" } ]
            }
            """
        let payloadBytes = Array(payload.utf8)
        let formatLength = payloadBytes.count - 2  // everything before the closing "\n}"
        func base64url(_ bytes: [UInt8]) -> String {
            Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let protected = base64url(Array(#"{"formatLength":\#(formatLength),"formatTail":"\#(base64url(Array("\n}".utf8)))","time":"2016-01-01T00:00:00Z"}"#.utf8))
        let signed = Array(payloadBytes[..<formatLength])
            + Array(#",\#n   "signatures": [ { "header": { "alg": "ES256" }, "signature": "c2ln", "protected": "\#(protected)" } ]\#n}"#.utf8)
        let document = try ManifestDocument(bytes: signed, mediaType: .dockerSchema1Signed)
        #expect(document.schema1Payload == payloadBytes)
        #expect(document.schema1PayloadDigest == ContentDigest.sha256(of: payloadBytes))
        #expect(document.digest == ContentDigest.sha256(of: signed))
        #expect(document.digest != document.schema1PayloadDigest)
        // Other documents have no schema 1 payload.
        #expect(try ManifestDocument(bytes: Array(Samples.manifestCompact.utf8)).schema1PayloadDigest == nil)
    }

    @Test("descriptors and oci-layout files validate but are not ManifestDocuments")
    func notDocuments() throws {
        let descriptor = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"\#(Samples.configDigest)"}"#
        #expect(try ManifestValidator.validate(Array(descriptor.utf8)) == .descriptor)
        let error = try #require(throws: ManifestError.self) { try ManifestDocument(bytes: Array(descriptor.utf8)) }
        #expect(error.code == .unknownDocumentKind)
        #expect(try ManifestValidator.validate(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)) == .layout)
    }
}
