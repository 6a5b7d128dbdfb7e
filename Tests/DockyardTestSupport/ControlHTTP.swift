import Foundation

/// A minimal HTTP client (curl) for the test servers' control endpoints and for probing them.
///
/// It is deliberately independent of Dockyard's own transport, so that a test can check the servers (and set
/// them up) without trusting the code under test. Redirects are not followed; bodies are read whole.
public enum ControlHTTP {
    /// A response read whole into memory (control answers are small).
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// The headers, with lowercased names.
        public var headers: [String: String]
        /// The body.
        public var body: Data

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as JSON.
        ///
        /// - Throws: `DecodingError` when the body is not JSON.
        public func json() throws -> TestJSON { try TestJSON(parsing: body) }
    }

    /// Sends one request.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The URL.
    ///   - json: A JSON body, sent with `Content-Type: application/json`.
    ///   - body: A raw body (ignored when `json` is given).
    ///   - headers: Extra request headers.
    ///   - timeout: Seconds to wait for the whole exchange.
    /// - Returns: The response.
    /// - Throws: ``ControlError`` when no response arrives (connection refused, timeout).
    public static func send(
        _ method: String,
        _ url: URL,
        json: TestJSON? = nil,
        body: Data? = nil,
        headers: [String: String] = [:],
        timeout: TimeInterval = 30
    ) async throws -> Response {
        // curl, not URLSession: it is an independent witness, never answers HTTP auth challenges by itself,
        // and sends exactly the headers given.
        let scratch = try TemporaryDirectory(prefix: "http")
        defer { scratch.remove() }
        let headerFile = scratch.appending("headers")
        let bodyFile = scratch.appending("body")
        var arguments = ["-sS", "--globoff", "--max-time", String(Int(timeout.rounded(.up))),
                         "-D", headerFile.path, "-o", bodyFile.path, "-w", "%{http_code}"]
        if method == "HEAD" {
            arguments.append("--head")
        } else {
            arguments += ["-X", method]
        }
        var allHeaders = headers
        var payload: Data? = nil
        if let json {
            payload = json.encoded()
            if !allHeaders.keys.contains(where: { $0.lowercased() == "content-type" }) {
                allHeaders["Content-Type"] = "application/json"
            }
        } else if let body {
            payload = body
        }
        for (name, value) in allHeaders.sorted(by: { $0.key < $1.key }) {
            arguments += ["-H", "\(name): \(value)"]
        }
        if payload != nil { arguments += ["--data-binary", "@-"] }
        arguments.append(url.absoluteString)
        let result = try await ProcessRunner.run(
            "curl", arguments: arguments, stdin: payload, timeout: .seconds(Int64(timeout.rounded(.up)) + 10))
        guard result.succeeded, let status = Int(result.stdoutText), status > 0 else {
            throw ControlError(method: method, url: url, status: 0, body: "no response: \(result.stderrText)")
        }
        return Response(
            status: status,
            headers: parseHeaders((try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""),
            body: (try? Data(contentsOf: bodyFile)) ?? Data())
    }

    /// The header fields of the last response in a `curl -D` dump (earlier blocks are `100 Continue`).
    private static func parseHeaders(_ dump: String) -> [String: String] {
        let blocks = dump.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            .filter { $0.hasPrefix("HTTP/") }
        var fields: [String: String] = [:]
        for line in (blocks.last ?? "").split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { "\($0), \(value)" } ?? value
        }
        return fields
    }

    /// `GET url`.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - headers: Extra request headers.
    /// - Returns: The response.
    /// - Throws: ``ControlError`` when no response arrives.
    public static func get(_ url: URL, headers: [String: String] = [:]) async throws -> Response {
        try await send("GET", url, headers: headers)
    }

    /// `POST url` with a JSON body.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - json: The body.
    ///   - headers: Extra request headers.
    /// - Returns: The response.
    /// - Throws: ``ControlError`` when no response arrives.
    public static func post(_ url: URL, json: TestJSON, headers: [String: String] = [:]) async throws -> Response {
        try await send("POST", url, json: json, headers: headers)
    }

    /// Sends a request and returns its JSON body, requiring a 2xx status.
    ///
    /// - Parameters:
    ///   - method: The HTTP method.
    ///   - url: The URL.
    ///   - json: A JSON body, if any.
    /// - Returns: The parsed body (`null` for an empty body).
    /// - Throws: ``ControlError`` for another status or no response.
    public static func jsonCall(_ method: String, _ url: URL, json: TestJSON? = nil) async throws -> TestJSON {
        let response = try await send(method, url, json: json)
        guard (200..<300).contains(response.status) else {
            throw ControlError(method: method, url: url, status: response.status, body: response.text)
        }
        if response.body.isEmpty { return .null }
        return try response.json()
    }
}

/// A control call that a test server refused.
public struct ControlError: Error, CustomStringConvertible {
    /// The HTTP method.
    public var method: String
    /// The URL.
    public var url: URL
    /// The status code (0 when no response arrived).
    public var status: Int
    /// The response body (or curl's error when no response arrived).
    public var body: String

    /// What was asked and what the server said.
    public var description: String {
        "\(method) \(url.absoluteString) answered \(status): \(body.prefix(500))"
    }
}

/// A lock that async code can hold across suspension points, for servers whose settings are global.
public final class AsyncLock: @unchecked Sendable {
    private let lock = NSLock()
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates an unlocked lock.
    public init() {}

    /// Runs `body` while holding the lock; other callers wait their turn (first come, first served).
    ///
    /// - Parameter body: The work to do.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if held {
                waiters.append(continuation)
                lock.unlock()
            } else {
                held = true
                lock.unlock()
                continuation.resume()
            }
        }
    }

    private func release() {
        lock.lock()
        if waiters.isEmpty {
            held = false
            lock.unlock()
        } else {
            let next = waiters.removeFirst()
            lock.unlock()
            next.resume()
        }
    }

    /// One lock per name for the whole test process (all test targets run in one process).
    ///
    /// - Parameter name: The resource, e.g. a control URL.
    /// - Returns: The lock for that name.
    public static func named(_ name: String) -> AsyncLock {
        registry.lock.lock()
        defer { registry.lock.unlock() }
        if let existing = registry.locks[name] { return existing }
        let created = AsyncLock()
        registry.locks[name] = created
        return created
    }

    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        let lock = NSLock()
        var locks: [String: AsyncLock] = [:]
    }
}

/// A counting semaphore for async code: at most `permits` holders at once, the others wait their turn.
public final class AsyncSemaphore: @unchecked Sendable {
    private let lock = NSLock()
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Creates a semaphore.
    ///
    /// - Parameter permits: How many may hold it at once.
    public init(permits: Int) { available = permits }

    /// Runs `body` while holding a permit.
    ///
    /// - Parameter body: The work to do.
    /// - Returns: What `body` returns.
    /// - Throws: What `body` throws.
    public func withPermit<T>(_ body: () async throws -> T) async rethrows -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            if take() { continuation.resume() } else { enqueue(continuation) }
        }
        defer { release() }
        return try await body()
    }

    private func take() -> Bool {
        lock.withLock {
            guard available > 0 else { return false }
            available -= 1
            return true
        }
    }

    private func enqueue(_ continuation: CheckedContinuation<Void, Never>) {
        let resumeNow: Bool = lock.withLock {
            if available > 0 {
                available -= 1
                return true
            }
            waiters.append(continuation)
            return false
        }
        if resumeNow { continuation.resume() }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if waiters.isEmpty {
                available += 1
                return nil
            }
            return waiters.removeFirst()
        }
        next?.resume()
    }
}
