import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a finished process left behind.
public struct ProcessResult: Sendable {
    /// The exit status (or 128 + signal number when a signal ended it).
    public var status: Int32
    /// Everything the process wrote to standard output.
    public var stdout: Data
    /// Everything the process wrote to standard error.
    public var stderr: Data

    /// Standard output as UTF-8 text.
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Standard error as UTF-8 text.
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// Standard output split into lines, without the trailing empty line.
    public var stdoutLines: [String] {
        stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLastIfEmpty()
    }
    /// Whether the status is 0.
    public var succeeded: Bool { status == 0 }
}

extension Array where Element == String {
    fileprivate func dropLastIfEmpty() -> [String] {
        last == "" ? Array(dropLast()) : self
    }
}

/// Why ``ProcessRunner`` could not give a result.
public enum ProcessRunnerError: Error, CustomStringConvertible {
    /// No executable of that name is on `PATH`.
    case executableNotFound(String)
    /// The process could not be started.
    case launchFailed(command: String, reason: String)
    /// The process ran past its time limit and was killed; `partial` holds what it wrote until then.
    case timedOut(command: String, seconds: Double, partial: ProcessResult)

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .executableNotFound(let name):
            return "'\(name)' was not found on PATH; install it (scripts/install-test-deps installs the test tools)"
        case .launchFailed(let command, let reason):
            return "could not start \(command): \(reason)"
        case .timedOut(let command, let seconds, let partial):
            let tail = partial.stderrText.suffix(400)
            return "\(command) did not finish within \(seconds) s and was killed; stderr: \(tail)"
        }
    }
}

/// Runs command-line programs (`dockyard`, `skopeo`, `curl`, `python3`) from tests.
///
/// Output goes to temporary files rather than pipes, so a chatty process can never block on a full pipe,
/// and large outputs (a raw manifest, a blob) are kept exactly.
public enum ProcessRunner {
    /// Runs a program to completion.
    ///
    /// - Parameters:
    ///   - executable: A path, or a name looked up on `PATH`.
    ///   - arguments: The arguments.
    ///   - stdin: Bytes for standard input; `nil` gives an empty standard input.
    ///   - environment: Variables added to (or replacing those of) the inherited environment.
    ///   - inheritEnvironment: Whether to start from this process's environment; `true` by default.
    ///   - currentDirectory: The working directory; this process's by default.
    ///   - timeout: How long the program may run before it is terminated (SIGTERM, then SIGKILL after 5 s).
    ///   - startsBackgroundProcesses: Set it for programs that leave daemons running (localhub's and hubsim's
    ///     `start`). Foundation notices a child's exit when the last holder of a descriptor it shares with the
    ///     child closes it, so a daemon inheriting that descriptor would make the run wait for the daemon. With this
    ///     flag the program runs under a small launcher that closes inherited descriptors and restores default
    ///     signal handling (so `stop` can end the daemons with SIGTERM).
    /// - Returns: The exit status and everything written to standard output and standard error.
    /// - Throws: ``ProcessRunnerError`` when the program cannot be found or started, or runs too long.
    public static func run(
        _ executable: String,
        arguments: [String] = [],
        stdin: Data? = nil,
        environment: [String: String] = [:],
        inheritEnvironment: Bool = true,
        currentDirectory: URL? = nil,
        timeout: Duration = .seconds(300),
        startsBackgroundProcesses: Bool = false
    ) async throws -> ProcessResult {
        guard var executableURL = locate(executable) else { throw ProcessRunnerError.executableNotFound(executable) }
        let command = ([executable] + arguments).joined(separator: " ")
        var arguments = arguments
        if startsBackgroundProcesses {
            guard let python = locate("python3") else { throw ProcessRunnerError.executableNotFound("python3") }
            arguments = ["-S", "-c", launcher, executableURL.path] + arguments
            executableURL = python
        }
        let scratch = try TemporaryDirectory(prefix: "process")
        defer { scratch.remove() }
        let outURL = scratch.url.appendingPathComponent("stdout")
        let errURL = scratch.url.appendingPathComponent("stderr")
        let inURL = scratch.url.appendingPathComponent("stdin")
        for url in [outURL, errURL, inURL] {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        if let stdin { try stdin.write(to: inURL) }

        let process = Process()
        process.executableURL = executableURL
        process.arguments = arguments
        var env = inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        env.merge(environment) { _, new in new }
        process.environment = env
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        defer {
            try? outHandle.close()
            try? errHandle.close()
            try? inHandle.close()
        }
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle

        let box = ProcessBox(process)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                process.terminationHandler = { _ in continuation.resume() }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: ProcessRunnerError.launchFailed(command: command, reason: "\(error)"))
                    return
                }
                box.started()
                box.watchdog = Task.detached {
                    try await Task.sleep(for: timeout)
                    box.stop(timedOut: true)
                }
            }
        } onCancel: {
            box.stop(timedOut: false)
        }
        box.watchdog?.cancel()

        let result = ProcessResult(
            status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
            stdout: (try? Data(contentsOf: outURL)) ?? Data(),
            stderr: (try? Data(contentsOf: errURL)) ?? Data()
        )
        if box.didTimeOut {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            throw ProcessRunnerError.timedOut(command: command, seconds: seconds, partial: result)
        }
        return result
    }

    /// Runs a program and throws unless it exits with status 0.
    ///
    /// - Parameters:
    ///   - executable: A path, or a name looked up on `PATH`.
    ///   - arguments: The arguments.
    ///   - stdin: Bytes for standard input.
    ///   - environment: Variables added to the inherited environment.
    ///   - timeout: How long the program may run.
    ///   - startsBackgroundProcesses: Whether the program leaves daemons running (see ``run(_:arguments:stdin:environment:inheritEnvironment:currentDirectory:timeout:startsBackgroundProcesses:)``).
    /// - Returns: The result of a successful run.
    /// - Throws: ``ProcessRunnerError``, or ``ProcessFailure`` when the status is not 0.
    @discardableResult
    public static func check(
        _ executable: String,
        arguments: [String] = [],
        stdin: Data? = nil,
        environment: [String: String] = [:],
        timeout: Duration = .seconds(300),
        startsBackgroundProcesses: Bool = false
    ) async throws -> ProcessResult {
        let result = try await run(
            executable, arguments: arguments, stdin: stdin, environment: environment, timeout: timeout,
            startsBackgroundProcesses: startsBackgroundProcesses)
        guard result.succeeded else {
            throw ProcessFailure(command: ([executable] + arguments).joined(separator: " "), result: result)
        }
        return result
    }

    /// Runs argv[1:] with descriptors above 2 closed and default signal handling, and exits with its status.
    private static let launcher = """
        import os, signal, subprocess, sys
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGPIPE):
            signal.signal(s, signal.SIG_DFL)
        code = subprocess.call(sys.argv[1:], close_fds=True)
        sys.exit(code if code >= 0 else 128 - code)
        """

    /// The file URL of `name`: itself when it contains a `/`, otherwise the first match on `PATH`.
    ///
    /// - Parameter name: A path or a program name.
    /// - Returns: The executable's URL, or `nil` when there is none.
    public static func locate(_ name: String) -> URL? {
        if name.contains("/") {
            return FileManager.default.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

/// A process that exited with a non-zero status when success was required.
public struct ProcessFailure: Error, CustomStringConvertible {
    /// The command line.
    public var command: String
    /// What the process left behind.
    public var result: ProcessResult

    /// The command, its status and the end of its standard error.
    public var description: String {
        "\(command) exited with status \(result.status): \(result.stderrText.suffix(1000))"
    }
}

/// Shares a running `Process` with the watchdog and the cancellation handler.
private final class ProcessBox: @unchecked Sendable {
    private let lock = NSLock()
    private let process: Process
    private var running = false
    private var timedOut = false
    private var _watchdog: Task<Void, any Error>?

    init(_ process: Process) { self.process = process }

    var watchdog: Task<Void, any Error>? {
        get { lock.withLock { _watchdog } }
        set { lock.withLock { _watchdog = newValue } }
    }

    var didTimeOut: Bool { lock.withLock { timedOut } }

    func started() { lock.withLock { running = true } }

    /// Terminates the process, then kills it if it is still there after 5 s.
    func stop(timedOut: Bool) {
        let pid: Int32? = lock.withLock {
            guard running, process.isRunning else { return nil }
            if timedOut { self.timedOut = true }
            return process.processIdentifier
        }
        guard let pid else { return }
        kill(pid, SIGTERM)
        Task.detached { [self] in
            try? await Task.sleep(for: .seconds(5))
            let stillRunning = lock.withLock { process.isRunning }
            if stillRunning { kill(pid, SIGKILL) }
        }
    }
}
