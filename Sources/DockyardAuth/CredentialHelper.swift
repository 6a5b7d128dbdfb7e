import Dispatch
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `docker-credential-<name>` program: the docker CLI's credential helper protocol.
///
/// Each operation runs the program once with the operation as its only argument:
///
/// | operation | standard input | standard output |
/// | --- | --- | --- |
/// | `get` | the server URL | `{"ServerURL","Username","Secret"}` |
/// | `store` | `{"ServerURL","Username","Secret"}` | nothing |
/// | `erase` | the server URL | nothing |
/// | `list` | nothing | `{"<server URL>": "<username>"}` |
///
/// A helper reports a missing entry with the message `credentials not found in native keychain`; ``get(serverURL:)``
/// returns `nil` then. A `Username` of `<token>` means the `Secret` is an identity token.
///
/// The program runs with a timeout and its input and output are pumped concurrently, so a helper that writes a lot
/// or reads nothing cannot deadlock the caller. Errors carry the helper's message but never a secret.
///
/// Running a helper changes no signal disposition of the calling program: its input goes through a socket written
/// with `MSG_NOSIGNAL`, so a helper that exits without reading raises no `SIGPIPE`. Only absolute `PATH` entries are
/// searched, at most ``maxOutputBytes`` of output are read (a helper that writes more is stopped), and a helper that
/// has exited is never signalled; one that runs past ``timeout`` has its process group killed.
public struct CredentialHelper: Sendable {
    /// The `<name>` of `docker-credential-<name>`, for example `desktop` or `pass`.
    public let name: String
    /// The helper program.
    public let executableURL: URL
    /// The environment the helper runs with.
    public var environment: [String: String]
    /// How long one operation may take before the helper is killed.
    public var timeout: Duration

    /// The most bytes read from a helper's standard output or standard error: 4 MiB.
    public static let maxOutputBytes = 4 << 20

    /// The message helpers print when they hold no credentials for a server.
    public static let notFoundMessage = "credentials not found in native keychain"

    /// Finds `docker-credential-<name>` on the environment's `PATH`.
    ///
    /// - Parameters:
    ///   - name: The helper's `<name>`, as in `credsStore` or `credHelpers`.
    ///   - environment: The environment whose `PATH` is searched and with which the helper runs.
    ///   - timeout: How long one operation may take; 30 seconds by default.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/credentialHelperNotFound`` when no such executable is on
    ///   `PATH`.
    public init(
        name: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(30)
    ) throws(AuthError) {
        let program = "docker-credential-\(name)"
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        // Only absolute entries: a relative one (".", "", "bin") would run whatever the working directory holds.
        let found = path.split(separator: ":", omittingEmptySubsequences: true).lazy
            .filter { $0.hasPrefix("/") }
            .map { URL(fileURLWithPath: String($0), isDirectory: true).appendingPathComponent(program) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        guard !name.isEmpty, !name.contains("/"), let found else {
            throw AuthError(
                .credentialHelperNotFound,
                message: "credential helper '\(program)' was not found on PATH; install it, or remove it from "
                    + "credsStore/credHelpers in the docker config.json")
        }
        self.init(name: name, executableURL: found, environment: environment, timeout: timeout)
    }

    /// Uses a helper program at a known location.
    ///
    /// - Parameters:
    ///   - name: The helper's `<name>`, used in messages.
    ///   - executableURL: The program.
    ///   - environment: The environment it runs with.
    ///   - timeout: How long one operation may take; 30 seconds by default.
    public init(
        name: String,
        executableURL: URL,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        timeout: Duration = .seconds(30)
    ) {
        self.name = name
        self.executableURL = executableURL
        self.environment = environment
        self.timeout = timeout
    }

    /// Reads the credentials the helper holds for a server.
    ///
    /// - Parameter serverURL: The server as docker names it: `https://index.docker.io/v1/` for Docker Hub,
    ///   otherwise the registry host, for example `ghcr.io`.
    /// - Returns: The credentials (an identity token when the username is `<token>`), or `nil` when the helper
    ///   holds none.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/credentialHelperFailed`` when the helper fails, times out
    ///   or answers something unreadable.
    public func get(serverURL: String) async throws(AuthError) -> Credentials? {
        let output: Data
        do {
            output = try await run("get", input: Data(serverURL.utf8), secret: nil)
        } catch let error where error.message.contains(Self.notFoundMessage) {
            return nil
        }
        struct Answer: Decodable {
            var Username: String?
            var Secret: String?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: output) else {
            throw failure("answered 'get' with something that is not credentials JSON")
        }
        let username = answer.Username ?? ""
        let secret = answer.Secret ?? ""
        if username.isEmpty && secret.isEmpty { return nil }
        if username == "<token>" { return .identityToken(secret) }
        return .basic(username: username, password: secret)
    }

    /// Stores credentials for a server in the helper.
    ///
    /// - Parameters:
    ///   - credentials: A username and password, or an identity token (stored with the username `<token>`).
    ///   - serverURL: The server as docker names it.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/credentialHelperFailed`` when the helper fails, or for a
    ///   registry token, which the helper protocol cannot hold.
    public func store(_ credentials: Credentials, serverURL: String) async throws(AuthError) {
        let username: String
        let secret: String
        switch credentials {
        case .basic(let user, let password): (username, secret) = (user, password)
        case .identityToken(let token): (username, secret) = ("<token>", token)
        case .registryToken:
            throw failure("cannot store a registry token; the credential helper protocol has no field for it")
        }
        let payload: [String: String] = ["ServerURL": serverURL, "Username": username, "Secret": secret]
        let input: Data
        do {
            input = try JSONEncoder().encode(payload)
        } catch {
            throw failure("could not encode the credentials")
        }
        _ = try await run("store", input: input, secret: secret)
    }

    /// Erases the credentials the helper holds for a server. Erasing credentials that do not exist succeeds.
    ///
    /// - Parameter serverURL: The server as docker names it.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/credentialHelperFailed`` when the helper fails.
    public func erase(serverURL: String) async throws(AuthError) {
        do {
            _ = try await run("erase", input: Data(serverURL.utf8), secret: nil)
        } catch let error where error.message.contains(Self.notFoundMessage) {
            return
        }
    }

    /// Lists the servers the helper holds credentials for.
    ///
    /// - Returns: Usernames keyed by server URL.
    /// - Throws: ``AuthError`` with code ``AuthError/Code/credentialHelperFailed`` when the helper fails or answers
    ///   something unreadable.
    public func list() async throws(AuthError) -> [String: String] {
        let output = try await run("list", input: Data(), secret: nil)
        guard let servers = try? JSONDecoder().decode([String: String].self, from: output) else {
            throw failure("answered 'list' with something that is not a JSON object")
        }
        return servers
    }

    private func failure(_ what: String) -> AuthError {
        AuthError(.credentialHelperFailed, message: "credential helper 'docker-credential-\(name)' \(what)")
    }

    /// Runs one operation and returns its standard output; a non-zero exit throws with the helper's message.
    private func run(_ operation: String, input: Data, secret: String?) async throws(AuthError) -> Data {
        let process = Process()
        process.executableURL = executableURL
        process.arguments = [operation]
        process.environment = environment
        // Standard input is a socket, written with MSG_NOSIGNAL: a helper that exits without reading gives EPIPE
        // here instead of a SIGPIPE, and no process-wide signal disposition has to change.
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, helperSocketType, 0, &sockets) == 0 else {
            throw failure("could not be started: no socket for its input (\(String(cString: strerror(errno))))")
        }
        #if canImport(Darwin)
        var one: Int32 = 1
        _ = setsockopt(sockets[1], SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let childInput = FileHandle(fileDescriptor: sockets[0], closeOnDealloc: true)
        let inputSocket = sockets[1]
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardInput = childInput
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe

        let outcome = HelperRun()
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in
            outcome.markExited()
            exited.signal()
        }
        do {
            try process.run()
        } catch {
            _ = close(inputSocket)
            throw failure("could not be started (\(executableURL.path)): \(error.localizedDescription)")
        }
        try? childInput.close()
        let pid = process.processIdentifier
        // Kills the helper's process group, unless it has exited: a pid is never signalled after its process ended
        // (it could belong to another process by then).
        let stop: @Sendable () -> Void = {
            outcome.ifRunning {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
        }

        // The blocking reads, the write and the wait below run on threads of their own, never on Dispatch's global
        // queues: on Linux those also run Swift's concurrency executor, and blocking them starves every task in
        // the process (the timeout task below included).
        let group = DispatchGroup()
        let limit = Self.maxOutputBytes
        group.enter()
        Thread.detachNewThread {
            let (data, overflow) = Self.readBounded(stdoutPipe.fileHandleForReading, limit: limit)
            outcome.setStdout(data)
            if overflow {
                outcome.markOverflow()
                stop()
            }
            group.leave()
        }
        group.enter()
        Thread.detachNewThread {
            let (data, overflow) = Self.readBounded(stderrPipe.fileHandleForReading, limit: limit)
            outcome.setStderr(data)
            if overflow {
                outcome.markOverflow()
                stop()
            }
            group.leave()
        }
        Thread.detachNewThread {
            input.withUnsafeBytes { bytes in
                guard var pointer = bytes.baseAddress else { return }
                var remaining = bytes.count
                while remaining > 0 {
                    let sent = send(inputSocket, pointer, remaining, helperSendFlags)
                    if sent < 0 {
                        if errno == EINTR { continue }
                        return  // EPIPE: the helper does not read; its exit status tells the rest.
                    }
                    pointer += sent
                    remaining -= sent
                }
            }
            _ = close(inputSocket)
        }

        // The helper runs in its own process group (Foundation spawns it so), which is killed as a whole: a
        // script's children (a `sleep`, a GUI prompt) would otherwise keep the pipes open. SIGKILL, because the
        // child inherits a signal mask that may block SIGTERM.
        let timeoutTask = Task {
            try await Task.sleep(for: timeout)
            outcome.markTimedOut()
            stop()
            // Whatever escaped the group may still hold the pipes: stop waiting for it after a grace period.
            try await Task.sleep(for: .seconds(3))
            exited.signal()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                exited.wait()
                _ = group.wait(timeout: .now() + .seconds(2))
                continuation.resume()
            }
        }
        timeoutTask.cancel()

        let result = outcome.snapshot()
        if result.timedOut {
            throw failure("did not finish '\(operation)' within \(timeout); it was stopped")
        }
        if result.overflow {
            throw failure("wrote more than \(Self.maxOutputBytes) bytes for '\(operation)'; it was stopped")
        }
        guard process.terminationStatus == 0 else {
            var message = String(decoding: result.stdout + result.stderr, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            for secret in Self.secrets(sent: secret, output: result.stdout) {
                message = message.replacingOccurrences(of: secret, with: "<redacted>")
            }
            if message.count > 300 { message = String(message.prefix(300)) + "…" }
            if message.isEmpty { message = "no message" }
            throw failure("failed '\(operation)' (exit status \(process.terminationStatus)): \(message)")
        }
        return result.stdout
    }

    /// Reads a pipe to its end or until more than `limit` bytes came; returns what was read (at most `limit`).
    private static func readBounded(_ handle: FileHandle, limit: Int) -> (Data, overflow: Bool) {
        var data = Data()
        while true {
            guard let chunk = try? handle.read(upToCount: 64 << 10), !chunk.isEmpty else { return (data, false) }
            if data.count + chunk.count > limit {
                data.append(chunk.prefix(limit - data.count))
                try? handle.close()
                return (data, true)
            }
            data.append(chunk)
        }
    }

    private static func secrets(sent: String?, output: Data) -> [String] {
        struct Printed: Decodable { var Secret: String? }
        let printed = (try? JSONDecoder().decode(Printed.self, from: output))?.Secret
        return [sent, printed].compactMap { $0 }.filter { !$0.isEmpty }
    }

}

#if canImport(Glibc)
private let helperSocketType = Int32(SOCK_STREAM.rawValue)
private let helperSendFlags = Int32(MSG_NOSIGNAL)
#elseif canImport(Musl)
private let helperSocketType = SOCK_STREAM
private let helperSendFlags = MSG_NOSIGNAL
#else
private let helperSocketType = SOCK_STREAM
private let helperSendFlags: Int32 = 0  // SO_NOSIGPIPE is set on the socket instead
#endif

private final class HelperRun: @unchecked Sendable {
    private let lock = NSLock()
    private var stdout = Data()
    private var stderr = Data()
    private var timedOut = false
    private var overflow = false
    private var exited = false

    func setStdout(_ data: Data) { lock.withLock { stdout = data } }
    func setStderr(_ data: Data) { lock.withLock { stderr = data } }
    func markTimedOut() { lock.withLock { timedOut = true } }
    func markOverflow() { lock.withLock { overflow = true } }
    func markExited() { lock.withLock { exited = true } }
    /// Runs `body` (a kill) only while the helper has not been seen to exit, holding the lock so that the exit
    /// cannot be recorded in between.
    func ifRunning(_ body: () -> Void) { lock.withLock { if !exited { body() } } }
    func snapshot() -> (stdout: Data, stderr: Data, timedOut: Bool, overflow: Bool) {
        lock.withLock { (stdout, stderr, timedOut, overflow) }
    }
}

extension CredentialHelper: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The program and its timeout, without the environment it runs with (which may hold other programs' secrets):
    /// `CredentialHelper(docker-credential-pass at /usr/bin/docker-credential-pass, timeout 30 seconds)`.
    public var description: String {
        "CredentialHelper(docker-credential-\(name) at \(executableURL.path), timeout \(timeout))"
    }

    /// The same as ``description``: no environment values.
    public var debugDescription: String { description }

    /// A mirror that shows no environment values, so `dump(_:)` and debuggers print ``description``.
    public var customMirror: Mirror { Mirror(self, children: ["redacted": description]) }
}
