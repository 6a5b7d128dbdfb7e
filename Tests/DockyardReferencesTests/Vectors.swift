import DockyardTestSupport
import Foundation
import Testing

/// A JSON value from a vector file; keeps `null` apart from a missing key.
typealias VectorValue = TestJSON

/// One case of a vector file.
struct VectorCase: Sendable, CustomTestStringConvertible {
    let raw: VectorValue

    var id: String { raw["id"]?.string ?? "?" }
    var mode: String { raw["mode"]?.string ?? "?" }
    var input: String { raw["input"]?.string ?? "" }
    /// The name of a documented exception, when Dockyard's verdict differs from upstream's.
    var exception: String? { raw["exception"]?.string }
    /// Dockyard's expectation: the `dockyard` override when there is an exception, else upstream's `expect`.
    var expect: VectorValue { raw["dockyard"] ?? raw["expect"] ?? .null }

    var testDescription: String { "\(id) [\(mode)] \(input.count > 60 ? String(input.prefix(60)) + "…" : input)" }
}

/// Loads the vector files from `Tests/DockyardTestSupport/Fixtures/vectors`, found relative to this source file
/// so the tests do not depend on a resource bundle.
enum Vectors {
    /// Exceptions issue 2 allows; a case naming any other exception fails.
    static let allowedExceptions: Set<String> = ["wrongLengthDigest", "algorithmSet"]

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("DockyardTestSupport/Fixtures/vectors")

    static func document(_ file: String) throws -> VectorValue {
        let data = try Data(contentsOf: directory.appendingPathComponent(file))
        return try JSONDecoder().decode(VectorValue.self, from: data)
    }

    /// The cases of a file, optionally only those of some modes; empty when the file cannot be read
    /// (a separate test asserts that it can).
    static func cases(_ file: String, modes: Set<String>? = nil) -> [VectorCase] {
        guard let document = try? document(file), case .array(let items)? = document["cases"] else { return [] }
        return items.map(VectorCase.init(raw:)).filter { modes?.contains($0.mode) ?? true }
    }

    static let referenceFile = "reference-vectors.json"
    static let digestFile = "digest-vectors.json"
}

/// Checks `actual` against `expect[key]` when the key is present: a string must match, `null` means absent.
func check(_ expect: VectorValue, _ key: String, _ actual: String?, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let expected = expect[key] else { return }
    if expected.isNull {
        #expect(actual == nil, "\(key) should be absent", sourceLocation: sourceLocation)
    } else {
        #expect(actual == expected.string, "\(key)", sourceLocation: sourceLocation)
    }
}
