import NIOHTTP1

/// One challenge of a `WWW-Authenticate` response header: an authentication scheme and its parameters.
///
/// The syntax is RFC 9110 §11.6.1 (formerly RFC 7235 §2.1):
///
/// ```
/// WWW-Authenticate = #challenge
/// challenge        = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
/// auth-param       = token BWS "=" BWS ( token / quoted-string )
/// ```
///
/// One header line may hold several challenges, and a response may have several header lines. Scheme and
/// parameter names are case-insensitive: both are stored lowercased. Parsing is tolerant and never fails:
/// empty list elements and odd whitespace are skipped, an unquoted value runs to the next comma or space,
/// a parameter without a value is dropped, a repeated parameter keeps its last value, and an unterminated
/// quoted string ends the parse (keeping what came before it). Parsing never traps on any input.
public struct AuthChallenge: Hashable, Sendable, CustomStringConvertible {
    /// An authentication scheme, compared case-insensitively (stored lowercased).
    public struct Scheme: Hashable, Sendable, RawRepresentable, CustomStringConvertible {
        /// The scheme's name, lowercased.
        public let rawValue: String

        /// Creates a scheme from its name, in any case.
        ///
        /// - Parameter rawValue: The name, for example `Bearer`.
        public init(rawValue: String) { self.rawValue = rawValue.lowercased() }

        /// HTTP Basic authentication (RFC 7617).
        public static let basic = Scheme(rawValue: "basic")
        /// Bearer tokens (RFC 6750), as used by the distribution token specification.
        public static let bearer = Scheme(rawValue: "bearer")

        /// The scheme's lowercased name.
        public var description: String { rawValue }
    }

    /// The authentication scheme.
    public var scheme: Scheme
    /// The parameters, keyed by lowercased name.
    public var parameters: [String: String]
    /// The `token68` form of credentials data, when the challenge carries one instead of parameters.
    public var token68: String?

    /// Creates a challenge.
    ///
    /// - Parameters:
    ///   - scheme: The scheme.
    ///   - parameters: The parameters; their names are lowercased.
    ///   - token68: A token68 value, if any.
    public init(scheme: Scheme, parameters: [String: String] = [:], token68: String? = nil) {
        self.scheme = scheme
        self.parameters = Dictionary(parameters.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        self.token68 = token68
    }

    /// The `realm` parameter: for Bearer, the URL of the token service.
    public var realm: String? { parameters["realm"] }
    /// The `service` parameter: the name the token service knows the registry by.
    public var service: String? { parameters["service"] }
    /// The scopes of the `scope` parameter (space-separated), skipping any that do not parse.
    public var scopes: [Scope] { parameters["scope"].map(Scope.parseList) ?? [] }
    /// The `error` parameter of RFC 6750 §3, for example `invalid_token` or `insufficient_scope`.
    public var error: String? { parameters["error"] }

    /// The challenge in a canonical form: scheme, then parameters sorted by name, values quoted.
    public var description: String {
        var text = scheme.rawValue
        if let token68 { return text + " " + token68 }
        let params = parameters.sorted { $0.key < $1.key }.map { key, value in
            // Escaped scalar by scalar: a backslash followed by a combining mark is one Character, which a
            // Character-wise replacement would miss (found by the `challenge` fuzz target).
            var escaped = ""
            for scalar in value.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { escaped.unicodeScalars.append("\\") }
                escaped.unicodeScalars.append(scalar)
            }
            return "\(key)=\"\(escaped)\""
        }
        if !params.isEmpty { text += " " + params.joined(separator: ",") }
        return text
    }

    /// Parses every challenge of every `WWW-Authenticate` header line, in order.
    ///
    /// - Parameter headers: Response headers.
    /// - Returns: The challenges; empty when there is no such header or nothing in it parses.
    public static func parse(headers: HTTPHeaders) -> [AuthChallenge] {
        headers["WWW-Authenticate"].flatMap { parse($0) }
    }

    /// Parses every challenge of one `WWW-Authenticate` header value, in order.
    ///
    /// - Parameter headerValue: The field value, for example `Bearer realm="https://auth.docker.io/token"`.
    /// - Returns: The challenges; empty when nothing parses.
    public static func parse(_ headerValue: String) -> [AuthChallenge] {
        var parser = ChallengeParser(Array(headerValue.utf8))
        return parser.parseAll()
    }
}

/// A parser over the bytes of one header value. Every step either consumes input or ends, so it terminates.
private struct ChallengeParser {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    private var atEnd: Bool { index >= bytes.count }
    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private static let comma = UInt8(ascii: ",")
    private static let equals = UInt8(ascii: "=")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    mutating func parseAll() -> [AuthChallenge] {
        var challenges: [AuthChallenge] = []
        while true {
            skip { Self.isSpace($0) || $0 == Self.comma }
            guard !atEnd else { break }
            let scheme = readToken()
            guard !scheme.isEmpty else {
                skipElement()
                continue
            }
            var challenge = AuthChallenge(scheme: .init(rawValue: scheme))
            let hadSpace = skip(Self.isSpace)
            if hadSpace, let token68 = readToken68() {
                challenge.token68 = token68
                challenges.append(challenge)
                continue
            }
            let complete = readParameters(into: &challenge)
            challenges.append(challenge)
            if !complete { break }
        }
        return challenges
    }

    /// Reads `name=value` pairs until the next challenge's scheme or the end. Returns `false` when the input
    /// ended inside an unterminated quoted string.
    private mutating func readParameters(into challenge: inout AuthChallenge) -> Bool {
        while true {
            skip(Self.isSpace)
            guard let byte = current else { return true }
            if byte == Self.comma {
                index += 1
                continue
            }
            let start = index
            let name = readToken()
            guard !name.isEmpty else {
                skipElement()
                continue
            }
            skip(Self.isSpace)
            guard current == Self.equals else {
                // A token not followed by "=" starts the next challenge.
                index = start
                return true
            }
            index += 1
            skip(Self.isSpace)
            switch readValue() {
            case .value(let value): challenge.parameters[name.lowercased()] = value
            case .missing: break
            case .unterminated: return false
            }
        }
    }

    private enum Value { case value(String), missing, unterminated }

    private mutating func readValue() -> Value {
        guard current == Self.quote else {
            let start = index
            skip { !Self.isSpace($0) && $0 != Self.comma }
            return index > start ? .value(Self.string(bytes[start..<index])) : .missing
        }
        index += 1
        var value: [UInt8] = []
        while let byte = current {
            index += 1
            if byte == Self.quote { return .value(Self.string(value[...])) }
            if byte == Self.backslash {
                guard let escaped = current else { break }
                index += 1
                value.append(escaped)
            } else {
                value.append(byte)
            }
        }
        return .unterminated
    }

    /// Reads a token68 (RFC 9110 §11.2) if one stands alone up to the next comma or the end.
    private mutating func readToken68() -> String? {
        let start = index
        skip(Self.isToken68)
        guard index > start else { return nil }
        skip { $0 == Self.equals }
        let end = index
        skip(Self.isSpace)
        if atEnd || current == Self.comma { return Self.string(bytes[start..<end]) }
        index = start
        return nil
    }

    private mutating func readToken() -> String {
        let start = index
        skip(Self.isTokenChar)
        return Self.string(bytes[start..<index])
    }

    /// Skips a malformed list element: at least one byte, then up to the next comma outside quotes.
    private mutating func skipElement() {
        var inQuotes = false
        var first = true
        while let byte = current {
            if byte == Self.comma && !inQuotes && !first { return }
            first = false
            index += 1
            if byte == Self.quote {
                inQuotes.toggle()
            } else if byte == Self.backslash && inQuotes {
                index += 1
            }
        }
    }

    @discardableResult
    private mutating func skip(_ predicate: (UInt8) -> Bool) -> Bool {
        let start = index
        while let byte = current, predicate(byte) { index += 1 }
        return index > start
    }

    private static func string(_ slice: ArraySlice<UInt8>) -> String { String(decoding: slice, as: UTF8.self) }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// `tchar` of RFC 9110 §5.6.2.
    private static func isTokenChar(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }

    /// A character of `token68` (RFC 9110 §11.2), trailing `=` aside.
    private static func isToken68(_ byte: UInt8) -> Bool {
        isAlphanumeric(byte) || "-._~+/".utf8.contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}
