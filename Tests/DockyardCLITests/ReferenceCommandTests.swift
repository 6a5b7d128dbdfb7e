import DockyardTestSupport
import Foundation
import Testing

/// `dockyard reference` against its contract (issue 2): one JSON object per REF with exact keys, exit 1 when any
/// REF is invalid, and every parse-mode case of the upstream reference vectors.
@Suite("dockyard reference", .requiresDockyardBinary)
struct ReferenceCommandTests {
    static let validKeys: Set<String> = ["input", "valid", "domain", "path", "name", "tag", "digest", "string", "familiar", "normalized"]
    static let invalidKeys: Set<String> = ["input", "valid", "error", "message"]
    static let digest = "sha256:" + String(repeating: "ab", count: 32)

    struct Case: Sendable, CustomTestStringConvertible {
        var mode: String
        var input: String
        var expected: [String: TestJSON]
        var testDescription: String { "\(mode) \(input)" }
    }

    static let handWritten: [Case] = [
        Case(mode: "normalized", input: "ubuntu", expected: [
            "domain": "docker.io", "path": "library/ubuntu", "name": "docker.io/library/ubuntu", "tag": nil,
            "digest": nil, "string": "docker.io/library/ubuntu", "familiar": "ubuntu",
            "normalized": "docker.io/library/ubuntu",
        ]),
        Case(mode: "normalized", input: "index.docker.io/library/redis:7", expected: [
            "domain": "docker.io", "path": "library/redis", "name": "docker.io/library/redis", "tag": "7",
            "digest": nil, "string": "docker.io/library/redis:7", "familiar": "redis:7",
            "normalized": "docker.io/library/redis:7",
        ]),
        Case(mode: "normalized", input: "localhost:5000/team/app:v1.2", expected: [
            "domain": "localhost:5000", "path": "team/app", "name": "localhost:5000/team/app", "tag": "v1.2",
            "digest": nil, "string": "localhost:5000/team/app:v1.2", "familiar": "localhost:5000/team/app:v1.2",
            "normalized": "localhost:5000/team/app:v1.2",
        ]),
        Case(mode: "normalized", input: "[::1]:5000/app@\(digest)", expected: [
            "domain": "[::1]:5000", "path": "app", "name": "[::1]:5000/app", "tag": nil,
            "digest": .string(digest), "string": .string("[::1]:5000/app@\(digest)"),
        ]),
        Case(mode: "strict", input: "ubuntu:22.04", expected: [
            "domain": "", "path": "ubuntu", "name": "ubuntu", "tag": "22.04", "digest": nil, "string": "ubuntu:22.04",
            "familiar": "ubuntu:22.04", "normalized": "docker.io/library/ubuntu:22.04",
        ]),
        Case(mode: "docker", input: "ubuntu", expected: [
            "domain": "docker.io", "path": "library/ubuntu", "tag": "latest", "digest": nil,
            "string": "docker.io/library/ubuntu:latest", "familiar": "ubuntu:latest",
        ]),
        Case(mode: "docker", input: "ubuntu:22.04@\(digest)", expected: [
            "domain": "docker.io", "path": "library/ubuntu", "tag": nil, "digest": .string(digest),
            "string": .string("docker.io/library/ubuntu@\(digest)"),
        ]),
        Case(mode: "any", input: String(repeating: "ab", count: 32), expected: [
            // As distribution/reference's ParseAnyReference: a bare digest is its own normalized and familiar form.
            "domain": "", "path": nil, "name": nil, "tag": nil, "digest": .string(digest), "string": .string(digest),
            "familiar": .string(digest), "normalized": .string(digest),
        ]),
        Case(mode: "canonical", input: "docker.io/library/ubuntu:22.04", expected: [
            "domain": "docker.io", "path": "library/ubuntu", "tag": "22.04", "familiar": "ubuntu:22.04",
        ]),
    ]

    @Test("a valid reference prints exactly the contract's keys and values", arguments: handWritten)
    func validReference(_ testCase: Case) async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run(["reference", "--json", "--mode", testCase.mode, "--", testCase.input])
        #expect(result.status == 0, "stderr: \(result.stderrText)")
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == 1, "one line per REF: \(result.stdoutText)")
        let object = try #require(lines[0].object)
        #expect(Set(object.keys) == Self.validKeys)
        #expect(object["input"] == .string(testCase.input))
        #expect(object["valid"] == true)
        for (key, value) in testCase.expected {
            #expect(object[key] == value, "\(key)")
        }
    }

    static let invalid: [(input: String, mode: String, error: String)] = [
        ("", "strict", "nameEmpty"),
        ("", "normalized", "invalidFormat"),  // upstream normalizes "" to "docker.io/library/" first
        ("Uppercase:tag", "strict", "nameContainsUppercase"),
        ("ubuntu", "canonical", "nameNotCanonical"),
        (String(repeating: "a", count: 256), "strict", "nameTooLong"),
        ("validname@invaliddigest:" + String(repeating: "f", count: 64), "strict", "digestUnsupported"),
        ("a b", "normalized", "invalidFormat"),
    ]

    @Test("an invalid reference prints its error case and message, and exits 1", arguments: invalid)
    func invalidReference(_ input: String, _ mode: String, _ error: String) async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run(["reference", "--json", "--mode", mode, "--", input])
        #expect(result.status == 1)
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == 1, "one line per REF: \(result.stdoutText)")
        let object = try #require(lines[0].object)
        #expect(Set(object.keys) == Self.invalidKeys)
        #expect(object["input"] == .string(input))
        #expect(object["valid"] == false)
        #expect(object["error"] == .string(error))
        #expect((object["message"]?.string ?? "").isEmpty == false)
    }

    @Test("several REFs give one line each, in order, and one invalid REF makes the exit status 1")
    func mixedReferences() async throws {
        let cli = try DockyardCLI()
        let inputs = ["alpine", "NotValid", "quay.io/org/app:1"]
        let result = try await cli.run(["reference", "--json", "--"] + inputs)
        #expect(result.status == 1)
        let lines = try DockyardCLI.jsonLines(result)
        #expect(lines.map { $0["input"]?.string } == inputs)
        #expect(lines.map { $0["valid"]?.bool } == [true, false, true])

        let allValid = try await cli.run(["reference", "--json", "alpine", "quay.io/org/app:1"])
        #expect(allValid.status == 0)
        #expect(try DockyardCLI.jsonLines(allValid).count == 2)
    }

    @Test("without --json it prints a table with a row per REF")
    func table() async throws {
        let cli = try DockyardCLI()
        let result = try await cli.run("reference", "alpine:3.20", "ghcr.io/org/tool")
        #expect(result.status == 0)
        let lines = result.stdoutLines
        #expect(lines.count == 3)
        #expect(lines.first?.contains("REFERENCE") == true)
        #expect(lines.contains { $0.hasPrefix("alpine:3.20") && $0.contains("library/alpine") })
    }

    // MARK: Upstream vectors

    static let parseModes = ["normalized", "strict", "docker", "any", "canonical"]

    @Test("every parse-mode case of reference-vectors.json gets upstream's verdict", arguments: parseModes)
    func vectors(mode: String) async throws {
        let document = try TestJSON(parsing: TestFixtures.data("vectors/reference-vectors.json"))
        let cases = (document["cases"]?.array ?? []).filter { $0["mode"]?.string == mode }
        try #require(!cases.isEmpty)
        let inputs = cases.compactMap { $0["input"]?.string }
        try #require(inputs.count == cases.count)

        let cli = try DockyardCLI()
        let result = try await cli.run(["reference", "--json", "--mode", mode, "--"] + inputs)
        let lines = try DockyardCLI.jsonLines(result)
        try #require(lines.count == cases.count, "one line per REF; stderr: \(result.stderrText)")

        var anyInvalid = false
        for (vector, actual) in zip(cases, lines) {
            let id = vector["id"]?.string ?? "?"
            let expected = (vector["dockyard"] ?? vector["expect"])?.object ?? [:]
            #expect(actual["input"] == vector["input"], "\(id)")
            if expected["valid"] == false { anyInvalid = true }
            for (key, value) in expected {
                let got = actual[key] ?? .null
                #expect(got == value, "\(id) (\(vector["input"]?.string ?? "")): \(key) is \(got), expected \(value)")
            }
        }
        #expect(result.status == (anyInvalid ? 1 : 0))
    }
}
