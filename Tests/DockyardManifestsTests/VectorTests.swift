import DockyardManifests
import DockyardReferences
import Foundation
import Testing

/// One case of `Fixtures/vectors/oci-manifest-vectors.json` (format in that folder's README).
struct ManifestVector: Decodable, Sendable, CustomTestStringConvertible {
    let id: String
    let kind: String
    let valid: Bool
    let description: String
    let source: String
    let digest: String?
    let document: String

    var testDescription: String { "\(id): \(description)" }

    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("DockyardTestSupport/Fixtures/vectors/oci-manifest-vectors.json")

    private struct File: Decodable {
        let format: String
        let cases: [ManifestVector]
    }

    /// Every case; empty when the file cannot be read (``VectorFileTests`` then fails).
    static let all: [ManifestVector] = (try? load()) ?? []

    static func load() throws -> [ManifestVector] {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
        return file.cases
    }
}

@Suite("OCI image-spec schema vectors")
struct VectorFileTests {
    @Test("the vector file loads and holds every upstream case")
    func loads() throws {
        let cases = try ManifestVector.load()
        #expect(cases.count == 73)
        #expect(Set(cases.map(\.id)).count == cases.count, "ids are unique")
        let kinds = Dictionary(grouping: cases, by: \.kind).mapValues(\.count)
        #expect(kinds == ["manifest": 16, "index": 14, "descriptor": 29, "config": 12, "layout": 2])
        #expect(cases.filter(\.valid).count == 31)
    }

    @Test("every case gets the upstream verdict", arguments: ManifestVector.all)
    func upstreamVerdict(_ vector: ManifestVector) throws {
        let kind = try #require(DocumentKind(rawValue: vector.kind))
        let bytes = Array(vector.document.utf8)
        let report = ManifestValidator.report(for: bytes, as: kind)
        if vector.valid {
            #expect(report.isValid, "expected valid, got: \(report.error.map(String.init(describing:)) ?? "")")
        } else {
            #expect(!report.isValid, "expected invalid")
            // An invalid verdict must come with a readable reason.
            #expect(!(report.error?.message.isEmpty ?? true))
        }
        // The throwing API agrees with the report.
        if vector.valid {
            #expect(throws: Never.self) { try ManifestValidator.validate(bytes, as: kind) }
        } else {
            #expect(throws: ManifestError.self) { try ManifestValidator.validate(bytes, as: kind) }
        }
    }

    @Test("the digest of a document is the digest of its exact bytes, as upstream recorded it",
          arguments: ManifestVector.all.filter { $0.digest != nil })
    func upstreamDigest(_ vector: ManifestVector) throws {
        let bytes = Array(vector.document.utf8)
        let expected = try ContentDigest(parsing: try #require(vector.digest))
        #expect(ManifestValidator.report(for: bytes).digest == expected)
        let document = try ManifestDocument(bytes: bytes)
        #expect(document.digest == expected)
        #expect(document.bytes == bytes)
    }

    @Test("valid manifests, indexes and configs that use sha256 digests decode into ManifestDocument",
          arguments: ManifestVector.all.filter { vector in
              vector.valid && ["manifest", "index", "config"].contains(vector.kind) && !vector.document.contains("+b64")
                  && !vector.document.contains("multihash")
          })
    func decodesValidDocuments(_ vector: ManifestVector) throws {
        let document = try ManifestDocument(bytes: Array(vector.document.utf8))
        #expect(document.kind.rawValue == vector.kind)
        #expect(document.digest == ContentDigest.sha256(of: Array(vector.document.utf8)))
    }

    @Test("a valid document whose digests use an algorithm Dockyard cannot verify is reported as unsupportedDigest")
    func unsupportedAlgorithmInManifestDocument() throws {
        let vector = try #require(ManifestVector.all.first { $0.valid && $0.kind == "manifest" && $0.document.contains("+b64") })
        let error = try #require(throws: ManifestError.self) {
            try ManifestDocument(bytes: Array(vector.document.utf8))
        }
        #expect(error.code == .unsupportedDigest)
        #expect(error.path == "config.digest")
    }
}
