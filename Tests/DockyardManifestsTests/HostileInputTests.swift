import DockyardManifests
import Foundation
import Testing

/// Untrusted bytes must give a typed error, never a crash or a hang.
@Suite("Hostile and malformed input")
struct HostileInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let code: ManifestError.Code
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ code: ManifestError.Code) {
            self.name = name
            self.bytes = Array(text.utf8)
            self.code = code
        }

        init(_ name: String, bytes: [UInt8], _ code: ManifestError.Code) {
            self.name = name
            self.bytes = bytes
            self.code = code
        }
    }

    static let cases: [Case] = [
        Case("empty input", "", .invalidJSON),
        Case("whitespace only", " \n\t ", .invalidJSON),
        Case("truncated object", #"{"schemaVersion":2,"config":{"#, .invalidJSON),
        Case("trailing comma", #"{"schemaVersion":2,}"#, .invalidJSON),
        Case("trailing garbage", #"{"schemaVersion":2} x"#, .invalidJSON),
        Case("two documents", #"{} {}"#, .invalidJSON),
        Case("comment", #"{/* no */"schemaVersion":2}"#, .invalidJSON),
        Case("single quotes", #"{'schemaVersion':2}"#, .invalidJSON),
        Case("unquoted key", #"{schemaVersion:2}"#, .invalidJSON),
        Case("leading zero", #"{"schemaVersion":02}"#, .invalidJSON),
        Case("bare minus", #"{"schemaVersion":-}"#, .invalidJSON),
        Case("NaN", #"{"schemaVersion":NaN}"#, .invalidJSON),
        Case("unterminated string", #"{"a":"abc"#, .invalidJSON),
        Case("raw newline in string", "{\"a\":\"x\ny\"}", .invalidJSON),
        Case("bad escape", #"{"a":"\q"}"#, .invalidJSON),
        Case("short unicode escape", #"{"a":"\u12"}"#, .invalidJSON),
        Case("byte-order mark", "\u{FEFF}{}", .invalidJSON),
        Case("invalid UTF-8 lead byte", bytes: Array(#"{"a":""#.utf8) + [0xFF] + Array(#""}"#.utf8), .invalidJSON),
        Case("overlong UTF-8", bytes: Array(#"{"a":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), .invalidJSON),
        Case("UTF-8 surrogate", bytes: Array(#"{"a":""#.utf8) + [0xED, 0xA0, 0x80] + Array(#""}"#.utf8), .invalidJSON),
        Case("truncated UTF-8", bytes: Array(#"{"a":""#.utf8) + [0xE2, 0x82], .invalidJSON),
        Case("NUL byte", bytes: Array(#"{"a":""#.utf8) + [0x00] + Array(#""}"#.utf8), .invalidJSON),
        Case("deep array nesting", String(repeating: "[", count: 100_000), .nestingTooDeep),
        Case("deep object nesting", String(repeating: #"{"a":"#, count: 100_000), .nestingTooDeep),
        Case("duplicate key", #"{"schemaVersion":2,"schemaVersion":1}"#, .duplicateKey),
        Case("top-level array", "[]", .wrongType),
        Case("top-level string", #""manifest""#, .wrongType),
        Case("top-level null", "null", .wrongType),
        Case("unknown shape", #"{"hello":"world"}"#, .unknownDocumentKind),
    ]

    @Test("malformed input gives the right typed error", arguments: cases)
    func malformed(_ input: Case) {
        let report = ManifestValidator.report(for: input.bytes)
        #expect(report.error?.code == input.code, "\(report.error.map(String.init(describing:)) ?? "valid")")
        #expect(throws: ManifestError.self) { try ManifestDocument(bytes: input.bytes) }
    }

    @Test("nesting up to the limit is fine; one level more is refused")
    func nestingBoundary() throws {
        // A valid manifest whose annotations hold nothing deep cannot nest; build raw JSON around an object.
        let depthOK = String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
        let okDocument = #"{"schemaVersion":2,"x":"# + depthOK + "}"
        #expect(ManifestValidator.report(for: Array(okDocument.utf8), as: .index).error?.code == .missingField)
        let tooDeep = #"{"schemaVersion":2,"x":"# + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "}"
        #expect(ManifestValidator.report(for: Array(tooDeep.utf8), as: .index).error?.code == .nestingTooDeep)
    }

    static let typeCases: [(String, String, ManifestError.Code)] = [
        ("schemaVersion as string", Samples.manifest().replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":"2""#), .wrongType),
        ("schemaVersion 2.0", Samples.manifest().replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":2.0"#), .wrongType),
        ("schemaVersion 3", Samples.manifest().replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":3"#), .unsupportedSchemaVersion),
        ("schemaVersion huge", Samples.manifest().replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":1e400"#), .wrongType),
        ("size beyond Int64", Samples.manifest().replacingOccurrences(of: "675598", with: "9223372036854775808"), .invalidSize),
        ("size negative", Samples.manifest().replacingOccurrences(of: "675598", with: "-1"), .invalidSize),
        ("size fractional", Samples.manifest().replacingOccurrences(of: "675598", with: "1.5"), .invalidSize),
        ("size exponent", Samples.manifest().replacingOccurrences(of: "675598", with: "1e3"), .invalidSize),
        ("size null", Samples.manifest().replacingOccurrences(of: "675598", with: "null"), .invalidSize),
        ("layers is an object", Samples.manifest().replacingOccurrences(of: #""layers":["#, with: #""layers":{"a":"#)
            .replacingOccurrences(of: "}]}", with: "}}}"), .wrongType),
        ("config is null", Samples.manifest(config: "null"), .wrongType),
        ("annotation value is a number", Samples.manifest(extra: #","annotations":{"a":1}"#), .wrongType),
        ("annotations is an array", Samples.manifest(extra: #","annotations":["a"]"#), .wrongType),
        ("subject is null", Samples.manifest(extra: #","subject":null"#), .wrongType),
        ("mediaType names an index", Samples.manifest(extra: #","mediaType":"application/vnd.oci.image.index.v1+json""#), .mediaTypeMismatch),
        ("artifactType malformed", Samples.manifest(extra: #","artifactType":"nope""#), .invalidMediaType),
    ]

    @Test("wrong types, huge numbers and out-of-range values are refused with their path",
          arguments: typeCases.map { Case($0.0, $0.1, $0.2) })
    func wrongTypes(_ input: Case) {
        let report = ManifestValidator.report(for: input.bytes, as: .manifest)
        #expect(report.error?.code == input.code, "\(report.error.map(String.init(describing:)) ?? "valid")")
    }

    @Test("errors name the JSON path of the offending value")
    func errorPaths() throws {
        let layers = [
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"\#(Samples.layerDigest)"}"#,
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"\#(Samples.layerDigest)"}"#,
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":1,"digest":"sha256:abc"}"#,
        ].joined(separator: ",")
        let error = try #require(throws: ManifestError.self) {
            try ManifestValidator.validate(Array(Samples.manifest(layers: layers).utf8))
        }
        #expect(error.path == "layers[2].digest")
        #expect(error.code == .invalidDigest)
        #expect(error.description == "layers[2].digest: sha256 digest must have 64 hex digits, found 3")

        let index = #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"\#(Samples.layerDigest)","platform":{"os":"linux","architecture":"amd64","os.version":7}}]}"#
        let platformError = try #require(throws: ManifestError.self) { try ManifestValidator.validate(Array(index.utf8)) }
        #expect(platformError.path == #"manifests[0].platform["os.version"]"#)
        #expect(platformError.code == .wrongType)
    }

    @Test("lone UTF-16 surrogate escapes are read as U+FFFD, as Go does")
    func loneSurrogate() throws {
        let text = Samples.manifest(extra: #","annotations":{"a":"\ud800x","b":"\ud83d\ude00"}"#)
        let document = try ManifestDocument(bytes: Array(text.utf8))
        #expect(try #require(document.manifest?.annotations?["a"]) == "\u{FFFD}x")
        #expect(try #require(document.manifest?.annotations?["b"]) == "😀")
    }

    @Test("unknown fields are tolerated everywhere")
    func unknownFields() throws {
        let text = Samples.manifest(extra: #","future":{"deep":[1,2.5,true,null,"x"]},"x-vendor":"y""#)
        #expect(try ManifestValidator.validate(Array(text.utf8)) == .manifest)
        #expect(try ManifestDocument(bytes: Array(text.utf8)).manifest?.layers.count == 1)
    }
}
