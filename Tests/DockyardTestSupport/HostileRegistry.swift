import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A registry that misbehaves on purpose (`Fixtures/hostile/hostile.py`), started per test on ephemeral loopback
/// ports, with a second "foreign" origin standing for a CDN, a storage service or any host a server names.
///
/// Both origins record every request they receive (``records()``), so a test can assert what reached where:
/// that no `Authorization` reached the foreign origin, and how many bytes of a generated multi-GiB body the
/// client accepted before it stopped reading.
///
/// ```swift
/// let hostile = try await HostileRegistry.launch(v2: .redirect)
/// defer { hostile.stop() }
/// // … run the client against hostile.registry …
/// #expect(try await hostile.records().filter { $0.origin == "foreign" }.allSatisfy { $0.authorization == nil })
/// ```
public final class HostileRegistry: Sendable {
    /// What the registry's `/v2/` does.
    public enum V2: String, Sendable {
        /// `200`: an open registry.
        case open
        /// `401 Basic` unless the request carries ``user``'s Basic credentials.
        case basic
        /// `401 Bearer` with a realm on the registry itself (`/token`), whose token the registry accepts.
        case bearer
        /// `307` to the foreign origin's `/v2/`, which answers `401 Basic` with its own realm.
        case redirect
        /// `307` to the foreign origin's `/v2/`, which answers `401 Bearer` with a realm on the foreign origin.
        case redirectBearer = "redirect-bearer"
        /// `401 Basic` with a generated body of ``hugeBytes``.
        case huge401 = "huge-401"
    }

    /// One request an origin received.
    public struct Record: Sendable, Decodable, CustomStringConvertible {
        /// `registry` or `foreign`.
        public var origin: String
        /// The method.
        public var method: String
        /// The path with the query.
        public var path: String
        /// The `Authorization` header, if any.
        public var authorization: String?
        /// Request body bytes read.
        public var bodyBytes: Int
        /// Response body bytes written before the client stopped reading (or all of them).
        public var sentBytes: Int
        /// The declared length of a generated body, if one was sent.
        public var declaredBytes: Int?
        /// Whether the answer is complete (or the client went away).
        public var finished: Bool
        /// Whether the client closed the connection before the whole body was written.
        public var clientClosed: Bool?
        /// The status answered.
        public var status: Int?
        /// Whether a stall route held the request (`stallhead`, `stallbody`).
        public var stalled: Bool?

        enum CodingKeys: String, CodingKey {
            case origin, method, path, authorization, finished, status, stalled
            case bodyBytes = "body_bytes"
            case sentBytes = "sent_bytes"
            case declaredBytes = "declared_bytes"
            case clientClosed = "client_closed"
        }

        /// `origin METHOD path -> status`, with whether credentials came.
        public var description: String {
            "\(origin) \(method) \(path) -> \(status.map(String.init) ?? "-")"
                + (authorization == nil ? "" : " [Authorization]") + " sent \(sentBytes)"
        }
    }

    /// The registry's base URL, e.g. `http://127.0.0.1:40123`.
    public let registry: URL
    /// The foreign origin's base URL, e.g. `http://127.0.0.2:40124`.
    public let foreign: URL
    /// The registry name for references: `127.0.0.1:40123`.
    public let name: String
    /// The user name the registry accepts.
    public let user: String
    /// The password the registry accepts (and that must never reach the foreign origin).
    public let password: String
    /// The size of generated bodies.
    public let hugeBytes: Int
    private let process: Process
    private let scratch: TemporaryDirectory

    private init(
        registry: URL, foreign: URL, user: String, password: String, hugeBytes: Int, process: Process,
        scratch: TemporaryDirectory
    ) {
        self.registry = registry
        self.foreign = foreign
        self.name = "\(registry.host ?? "127.0.0.1"):\(registry.port ?? 80)"
        self.user = user
        self.password = password
        self.hugeBytes = hugeBytes
        self.process = process
        self.scratch = scratch
    }

    /// Starts a hostile registry.
    ///
    /// - Parameters:
    ///   - v2: What `/v2/` does.
    ///   - hugeBytes: The size of generated bodies; 2 GiB by default.
    ///   - user: The user name the registry accepts.
    ///   - password: The password the registry accepts.
    /// - Returns: The running server; call ``stop()`` when done.
    /// - Throws: ``ServiceUnavailable``-like errors when `python3` is missing or the server does not come up.
    public static func launch(
        v2: V2 = .open, hugeBytes: Int = 2 << 30, user: String = "alice", password: String = "hostile-secret-1"
    ) async throws -> HostileRegistry {
        let scratch = try TemporaryDirectory(prefix: "hostile")
        let ready = scratch.appending("ready.json")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-S", TestFixtures.url("hostile/hostile.py").path, "--ready", ready.path, "--v2", v2.rawValue,
            "--huge-bytes", String(hugeBytes), "--user", user, "--password", password,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: {
            let log = scratch.appending("hostile.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            return log
        }())
        try process.run()
        // Wait for the ready file (python starts in well under a second; give a loaded machine 60 s).
        for _ in 0..<600 {
            if let data = try? Data(contentsOf: ready),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                let registryText = object["registry"] as? String, let registryURL = URL(string: registryText),
                let foreignText = object["foreign"] as? String, let foreignURL = URL(string: foreignText)
            {
                return HostileRegistry(
                    registry: registryURL, foreign: foreignURL, user: user, password: password,
                    hugeBytes: hugeBytes, process: process, scratch: scratch)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let log = (try? String(contentsOf: scratch.appending("hostile.log"), encoding: .utf8)) ?? ""
        scratch.remove()
        throw HostileRegistryError(message: "hostile.py did not start: \(log.suffix(600))")
    }

    /// Every request both origins received, oldest first.
    ///
    /// - Returns: The records.
    /// - Throws: ``ControlError`` when the control endpoint does not answer, or a decoding error.
    public func records() async throws -> [Record] {
        let response = try await ControlHTTP.get(registry.appendingPathComponent("__hostile__/records"))
        return try JSONDecoder().decode([Record].self, from: response.body)
    }

    /// The records once every generated body has finished (the client read it all or went away), polling until
    /// then; gives up after `attempts` polls of 100 ms and returns what there is.
    ///
    /// - Parameter attempts: How many times to look.
    /// - Returns: The records.
    /// - Throws: What ``records()`` throws.
    public func settledRecords(attempts: Int = 300) async throws -> [Record] {
        var latest = try await records()
        for _ in 0..<attempts where latest.contains(where: { !$0.finished }) {
            try await Task.sleep(for: .milliseconds(100))
            latest = try await records()
        }
        return latest
    }

    /// The records of the foreign origin.
    public func foreignRecords() async throws -> [Record] {
        try await records().filter { $0.origin == "foreign" }
    }

    /// Stops the server (SIGKILL: a test process may block SIGTERM in its children, and the server keeps nothing
    /// worth flushing) and removes its files.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        scratch.remove()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// The hostile registry could not be started.
public struct HostileRegistryError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The message.
    public var description: String { message }
}
