import Foundation

/// Whether the real test servers must be present, and the error a test gets when they are not.
public enum TestServices {
    /// `true` when `DOCKYARD_REQUIRE_SERVICES=1` (set by `scripts/test`): a test that needs a server then fails
    /// instead of being skipped when the server is missing.
    public static var areRequired: Bool {
        ProcessInfo.processInfo.environment["DOCKYARD_REQUIRE_SERVICES"] == "1"
    }

    /// How to start the servers, for messages.
    public static let howToStart =
        "run the tests with scripts/test, or start the servers with: eval \"$(scripts/services start)\""
}

/// A test server that a test needs is not running, or its environment is incomplete.
public struct ServiceUnavailable: Error, CustomStringConvertible {
    /// The server: `localhub` or `hubsim`.
    public var service: String
    /// The environment variables that are missing or malformed.
    public var missing: [String]

    /// Which server, which variables, and how to start it.
    public var description: String {
        let names = missing.count > 3
            ? missing.prefix(3).joined(separator: ", ") + " and \(missing.count - 3) more"
            : missing.joined(separator: ", ")
        return "\(service) is not running (\(names) unset or invalid); \(TestServices.howToStart)"
    }
}

/// Reads typed values out of an environment, remembering which ones were missing.
struct EnvironmentReader {
    let environment: [String: String]
    private(set) var missing: [String] = []

    init(_ environment: [String: String]) { self.environment = environment }

    mutating func string(_ name: String) -> String {
        guard let value = environment[name], !value.isEmpty else {
            missing.append(name)
            return ""
        }
        return value
    }

    func optionalString(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    mutating func url(_ name: String) -> URL {
        let text = string(name)
        guard let url = URL(string: text), url.scheme != nil, url.host != nil else {
            if !text.isEmpty { missing.append(name) }
            return URL(fileURLWithPath: "/")
        }
        return url
    }

    mutating func file(_ name: String) -> URL {
        URL(fileURLWithPath: string(name))
    }

    mutating func int(_ name: String) -> Int {
        let text = string(name)
        guard let value = Int(text) else {
            if !text.isEmpty { missing.append(name) }
            return 0
        }
        return value
    }
}
