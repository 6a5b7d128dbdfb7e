import DockyardTestSupport
import Foundation
import Testing

/// `dockyard manifest validate` against its contract (issue 2): `{"file","valid","kind","mediaType","digest","error"}`
/// per file, `digest` the sha256 of the exact bytes, exit 1 when any file is invalid.
@Suite("dockyard manifest validate", .requiresDockyardBinary)
struct ManifestValidateCommandTests {
    static let keys: Set<String> = ["file", "valid", "kind", "mediaType", "digest", "error"]
    static let configDigest = "sha256:" + String(repeating: "1", count: 64)
    static let layerDigest = "sha256:" + String(repeating: "2", count: 64)

    /// A valid OCI manifest written with unusual spacing, so a re-encoding would change its digest.
    static let manifest = """
        {"schemaVersion":2,  "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(configDigest)","size":7023},
           "layers":[ {"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(layerDigest)","size":32654} ]}

        """

    static let index = """
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
          {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\(layerDigest)","size":7143,
           "platform":{"architecture":"arm64","os":"linux","variant":"v8"}}]}
        """

    /// The sha256 of a file computed by coreutils, an independent witness.
    static func sha256(of file: URL) async throws -> String {
        let result = try await ProcessRunner.check("sha256sum", arguments: [file.path])
        return "sha256:" + (result.stdoutText.split(separator: " ").first.map(String.init) ?? "")
    }

    @Test("a valid manifest: every key, the media type, the digest of the exact bytes, exit 0")
    func validManifest() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("manifest.json")
        try Data(Self.manifest.utf8).write(to: file)

        let result = try await DockyardCLI().run("manifest", "validate", "--json", file.path)
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == 1)
        let object = try #require(lines[0].object)
        #expect(Set(object.keys) == Self.keys)
        #expect(object["file"] == .string(file.path))
        #expect(object["valid"] == true)
        #expect(object["kind"] == "manifest")
        #expect(object["mediaType"] == "application/vnd.oci.image.manifest.v1+json")
        #expect(object["digest"] == .string(try await Self.sha256(of: file)))
        #expect(object["error"] == .null)
    }

    @Test("standard input (-) is validated and digested like a file")
    func standardInput() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("index.json")
        try Data(Self.index.utf8).write(to: file)
        let result = try await DockyardCLI().run(["manifest", "validate", "--json", "-"], stdin: Data(Self.index.utf8))
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let object = try #require(try DockyardCLI.jsonLines(result).first)
        #expect(object["file"] == "-")
        #expect(object["kind"] == "index")
        #expect(object["digest"] == .string(try await Self.sha256(of: file)))
    }

    @Test("an invalid document is reported with an error, and any invalid file makes the status 1")
    func invalidDocument() async throws {
        let scratch = try TemporaryDirectory()
        let good = scratch.appending("good.json")
        let bad = scratch.appending("bad.json")
        try Data(Self.manifest.utf8).write(to: good)
        let broken = Self.manifest.replacingOccurrences(of: Self.configDigest, with: "sha256:1234")
        try Data(broken.utf8).write(to: bad)

        let result = try await DockyardCLI().run("manifest", "validate", "--json", good.path, bad.path)
        #expect(result.status == 1)
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == 2)
        #expect(lines[0]["file"] == .string(good.path))
        #expect(lines[0]["valid"] == true)
        #expect(lines[1]["file"] == .string(bad.path))
        #expect(lines[1]["valid"] == false)
        #expect((lines[1]["error"]?.string ?? "").isEmpty == false)
        #expect(Set(lines[1].object?.keys.map { $0 } ?? []) == Self.keys)
    }

    @Test("a missing file is invalid with an error, not a crash")
    func missingFile() async throws {
        let scratch = try TemporaryDirectory()
        let missing = scratch.appending("nope.json").path
        let result = try await DockyardCLI().run("manifest", "validate", "--json", missing)
        #expect(result.status == 1)
        let object = try #require(try DockyardCLI.jsonLines(result).first)
        #expect(object["file"] == .string(missing))
        #expect(object["valid"] == false)
        #expect((object["error"]?.string ?? "").isEmpty == false)
    }

    @Test("--kind overrides the media type: a manifest checked as an index is invalid")
    func kindOption() async throws {
        let scratch = try TemporaryDirectory()
        let file = scratch.appending("manifest.json")
        try Data(Self.manifest.utf8).write(to: file)
        let result = try await DockyardCLI().run("manifest", "validate", "--json", "--kind", "index", file.path)
        #expect(result.status == 1)
        let object = try #require(try DockyardCLI.jsonLines(result).first)
        #expect(object["valid"] == false)
        #expect(object["kind"] == "index")
    }

    @Test("an unknown --kind is a usage error (exit 2)")
    func unknownKind() async throws {
        let result = try await DockyardCLI().run("manifest", "validate", "--kind", "bogus", "x.json")
        #expect(result.status == 2)
        #expect(!result.stderrText.isEmpty)
    }

    // MARK: Upstream vectors

    static let kinds = ["manifest", "index", "config", "descriptor", "layout"]

    @Test("every oci-manifest-vectors.json case gets upstream's verdict through the CLI", arguments: kinds)
    func vectors(kind: String) async throws {
        let document = try TestJSON(parsing: TestFixtures.data("vectors/oci-manifest-vectors.json"))
        let cases = (document["cases"]?.array ?? []).filter { $0["kind"]?.string == kind }
        try #require(!cases.isEmpty)
        let scratch = try TemporaryDirectory()
        var files: [String] = []
        for vector in cases {
            let file = scratch.appending("\(vector["id"]?.string ?? UUID().uuidString).json")
            try Data((vector["document"]?.string ?? "").utf8).write(to: file)
            files.append(file.path)
        }
        let result = try await DockyardCLI().run(["manifest", "validate", "--json", "--kind", kind] + files)
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == cases.count, "one line per file; stderr: \(result.stderrText)")
        var anyInvalid = false
        for (index, (vector, actual)) in zip(cases, lines).enumerated() {
            let id = vector["id"]?.string ?? "?"
            let valid = vector["valid"]?.bool ?? false
            if !valid { anyInvalid = true }
            #expect(actual["file"] == .string(files[index]), "\(id)")
            #expect(actual["valid"] == .bool(valid), "\(id): \(vector["description"]?.string ?? "") — \(actual["error"] ?? .null)")
            if let digest = vector["digest"] {
                #expect(actual["digest"] == digest, "\(id): digest of the exact bytes")
            }
        }
        #expect(result.status == (anyInvalid ? 1 : 0))
    }
}
