import Foundation

/// Files under `Tests/DockyardTestSupport/Fixtures/`: test vectors, the localhub and hubsim kits, helper scripts.
///
/// The directory is found, in order, from `$DOCKYARD_TEST_FIXTURES` (set by `scripts/test`), from the source tree
/// beside this file, and from the resource bundle that SwiftPM copies the fixtures into.
public enum TestFixtures {
    /// The fixtures directory.
    public static var directory: URL {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["DOCKYARD_TEST_FIXTURES"], !path.isEmpty,
            fileManager.fileExists(atPath: path)
        {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        if fileManager.fileExists(atPath: source.path) {
            return source
        }
        return Bundle.module.resourceURL?.appendingPathComponent("Fixtures") ?? source
    }

    /// The URL of a fixture file or directory.
    ///
    /// - Parameter relativePath: A path inside the fixtures directory, e.g. `vectors/reference-vectors.json`.
    /// - Returns: Its URL (whether or not it exists).
    public static func url(_ relativePath: String) -> URL {
        directory.appendingPathComponent(relativePath)
    }

    /// The bytes of a fixture file.
    ///
    /// - Parameter relativePath: A path inside the fixtures directory.
    /// - Returns: The file's contents.
    /// - Throws: An error when the file cannot be read.
    public static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: url(relativePath))
    }

    /// A fixture file decoded from JSON.
    ///
    /// - Parameters:
    ///   - type: The type to decode.
    ///   - relativePath: A path inside the fixtures directory.
    /// - Returns: The decoded value.
    /// - Throws: An error when the file cannot be read or decoded.
    public static func decode<T: Decodable>(_ type: T.Type, from relativePath: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(relativePath))
    }

    /// The localhub kit (`start`, `stop`, `tokenserver.py`, `faultproxy.py`, `mkimage.py`).
    public static var localhub: URL { url("localhub") }

    /// The hubsim kit (`start`, `stop`, `hubsim.py`, `seed.json`, `spec/`).
    public static var hubsim: URL { url("hubsim") }
}
