import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory under the system's temporary directory, removed when the value is released.
///
/// ```swift
/// let scratch = try TemporaryDirectory()
/// let layout = scratch.url.appendingPathComponent("layout")
/// ```
///
/// Keep the value alive for as long as the directory is used; ``remove()`` deletes it earlier. Set
/// `DOCKYARD_KEEP_TEMP=1` to keep every directory for inspection.
public final class TemporaryDirectory: Sendable {
    /// The directory.
    public let url: URL

    /// Creates an empty directory named `<prefix>-<random>`.
    ///
    /// - Parameter prefix: The start of the directory's name.
    /// - Throws: An error when the directory cannot be created.
    public init(prefix: String = "dockyard-test") throws {
        let base = FileManager.default.temporaryDirectory
        let url = base.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(12))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        self.url = url.resolvingSymlinksInPath()
    }

    /// The path of `components` inside the directory (nothing is created).
    ///
    /// - Parameter components: Path components, e.g. `"layout", "index.json"`.
    /// - Returns: The URL.
    public func appending(_ components: String...) -> URL {
        components.reduce(url) { $0.appendingPathComponent($1) }
    }

    /// Writes an executable script (mode 0755) into the directory and returns its URL.
    ///
    /// The file is opened with `O_CLOEXEC`: a test running in parallel that starts a long-lived server at that moment
    /// must not inherit a descriptor open for writing, or executing the script fails with "Text file busy"
    /// (`ETXTBSY`) for as long as that server runs.
    ///
    /// - Parameters:
    ///   - text: The script, starting with its `#!` line.
    ///   - name: The file's name.
    /// - Returns: The script's URL.
    /// - Throws: `POSIXError` when the file cannot be written.
    public func writeExecutable(_ text: String, named name: String) throws -> URL {
        let file = appending(name)
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            written += count
        }
        return file
    }

    /// Deletes the directory and everything in it, unless `DOCKYARD_KEEP_TEMP=1`.
    public func remove() {
        guard ProcessInfo.processInfo.environment["DOCKYARD_KEEP_TEMP"] != "1" else { return }
        try? FileManager.default.removeItem(at: url)
    }

    deinit { remove() }

    /// Runs `body` with a fresh directory and removes it afterwards.
    ///
    /// - Parameters:
    ///   - prefix: The start of the directory's name.
    ///   - body: The work to do; it receives the directory's URL.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws, or an error when the directory cannot be created.
    public static func with<T>(prefix: String = "dockyard-test", _ body: (URL) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory(prefix: prefix)
        defer { directory.remove() }
        return try await body(directory.url)
    }
}
