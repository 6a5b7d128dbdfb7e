import Foundation

/// Runs the built `dockyard` command-line tool.
///
/// The binary is `$DOCKYARD_BIN` (set by `scripts/test`), else `.build/debug/dockyard` in the package.
///
/// ```swift
/// let cli = try DockyardCLI()
/// let result = try await cli.run("reference", "--json", "ubuntu")
/// #expect(result.status == 0)
/// ```
public struct DockyardCLI: Sendable {
    /// The `dockyard` executable.
    public var executable: URL
    /// Variables added to the environment of every run (for example `DOCKER_CONFIG`).
    public var environment: [String: String]

    /// Finds the built binary.
    ///
    /// - Parameter environment: Variables added to the environment of every run.
    /// - Throws: ``DockyardCLI/NotBuilt`` when there is no binary.
    public init(environment: [String: String] = [:]) throws {
        guard let executable = DockyardCLI.locate() else { throw NotBuilt() }
        self.executable = executable
        self.environment = environment
    }

    /// The binary, or `nil` when it is not built.
    public static func locate() -> URL? {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["DOCKYARD_BIN"], !path.isEmpty,
            fileManager.isExecutableFile(atPath: path)
        {
            return URL(fileURLWithPath: path)
        }
        // Tests/DockyardTestSupport/DockyardCLI.swift -> the package root.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for configuration in ["debug", "release"] {
            let candidate = root.appendingPathComponent(".build/\(configuration)/dockyard")
            if fileManager.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `dockyard` with `arguments`.
    ///
    /// - Parameters:
    ///   - arguments: The arguments, e.g. `["reference", "--json", "ubuntu"]`.
    ///   - stdin: Bytes for standard input (`--password-stdin`, `-` files).
    ///   - environment: Variables added for this run.
    ///   - timeout: How long the run may take.
    /// - Returns: The status and output.
    /// - Throws: ``ProcessRunnerError`` when it cannot run or runs too long.
    public func run(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String] = [:], timeout: Duration = .seconds(300)
    ) async throws -> ProcessResult {
        try await ProcessRunner.run(
            executable.path, arguments: arguments, stdin: stdin,
            environment: self.environment.merging(environment) { _, new in new }, timeout: timeout)
    }

    /// Runs `dockyard` with `arguments`.
    ///
    /// - Parameter arguments: The arguments.
    /// - Returns: The status and output.
    /// - Throws: ``ProcessRunnerError`` when it cannot run or runs too long.
    public func run(_ arguments: String...) async throws -> ProcessResult {
        try await run(arguments)
    }

    /// Standard output parsed as one JSON document per line (the `--json` contract of several commands).
    ///
    /// - Parameter result: A run's result.
    /// - Returns: One value per non-empty line.
    /// - Throws: `DecodingError` when a line is not JSON.
    public static func jsonLines(_ result: ProcessResult) throws -> [TestJSON] {
        try result.stdoutLines.filter { !$0.isEmpty }.map { try TestJSON(parsing: $0) }
    }

    /// The `dockyard` binary is not built.
    public struct NotBuilt: Error, CustomStringConvertible {
        /// How to build it.
        public var description: String {
            "the dockyard binary is not built: run `swift build --product dockyard`, or set DOCKYARD_BIN"
        }
    }
}
